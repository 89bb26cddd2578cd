"""Each visit's views counted as they are recorded (models.AuditVisit, kept by migration 0018's trigger): the
same visits as folding the whole log by the rule, on both databases, whichever way a view is recorded;
none lost when many are recorded at once."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.extensions import db
from clinic.models import AuditEvent, AuditVisit
from clinic.services import unit_of_work
from clinic.services.audit import log
from clinic.services.audit.record import VISIT_GAP, record_view
from clinic.services.casework import cases
from clinic.services.rules.read import close_version_reader, outside_request
from tests.test_concurrency import run_threads

START = datetime(2026, 11, 20, 15, tzinfo=UTC)


def folded(rows) -> dict[int, tuple[int, datetime]]:
    """The visits by the rule, from every view in the log: each repeat view belongs to the last first view by
    the same person of the same record before it, in (at, id) order (repeat views before any first view
    start none). By the id of the visit's first view: (views, last view's instant)."""
    visits: dict[int, tuple[int, datetime]] = {}
    current: dict[tuple, int] = {}
    for row in sorted(rows, key=lambda row: (row.at, row.id)):
        key = (row.action, row.actor_id, row.record_type, row.record_id)
        if not row.is_repeat_view:
            current[key] = row.id
            visits[row.id] = (1, row.at)
        elif key in current:
            views, last = visits[current[key]]
            visits[current[key]] = (views + 1, max(last, row.at))
    return visits


def logged() -> list[sa.Row]:
    columns = ("id", "at", "action", "actor_id", "record_type", "record_id", "is_repeat_view")
    return db.session.execute(
        sa.select(*(getattr(AuditEvent, name) for name in columns)).where(
            AuditEvent.action.in_(log.VIEW_ACTIONS)
        )
    ).all()


def counted() -> dict[int, tuple[int, datetime]]:
    rows = db.session.execute(sa.select(AuditVisit.first_view_id, AuditVisit.views, AuditVisit.last_at))
    return {first: (views, last_at) for first, views, last_at in rows}


def test_a_visit_is_counted_as_its_views_are_recorded_and_shown_once(ctx, app, add_request, make_staff):
    nurse = make_staff()
    request_id = add_request()
    for minutes in (0, 5, 20):  # one visit: each view less than 30 minutes after the one before
        with unit_of_work():
            record_view(
                cases.VIEW,
                actor_id=nurse,
                record_type=cases.RECORD,
                record_id=request_id,
                now=START + timedelta(minutes=minutes),
            )
    with outside_request(app) as connection:  # as a kept page sent again records it
        record_view(
            cases.VIEW,
            actor_id=nurse,
            record_type=cases.RECORD,
            record_id=request_id,
            now=START + timedelta(minutes=45),
            on=connection,
        )
    cases.add_note(request_id, "Called, left a message.", actor_id=nurse, now=START)
    history, visits = cases.history_of(request_id, [])
    shown = [event for event in history if event.action == cases.VIEW]
    assert [visits[event.id] for event in shown] == [log.Visit(4, START + timedelta(minutes=45))]
    assert counted() == folded(logged())


views = st.lists(
    st.tuples(
        st.sampled_from(["nurse", "doctor", None]),  # None: the patient (a check-in opened)
        st.sampled_from([1, 2]),
        st.sampled_from(sorted(log.VIEW_ACTIONS)),
        st.integers(min_value=0, max_value=int(VISIT_GAP.total_seconds() * 1.5)),  # seconds since the last
        st.booleans(),  # recorded outside any request (a kept page) or in the request's transaction
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(views=views)
def test_counted_visits_are_the_log_folded_by_the_rule(ctx, app, make_staff, views):
    db.session.execute(sa.delete(AuditEvent))  # each example starts from an empty log
    db.session.commit()
    staff = {"nurse": make_staff(), "doctor": make_staff(), None: None}
    at = START
    for who, record_id, action, seconds, kept in views:
        at += timedelta(seconds=seconds)
        arguments = {"actor_id": staff[who], "record_type": cases.RECORD, "record_id": record_id, "now": at}
        if kept:
            with outside_request(app) as connection:
                record_view(action, on=connection, **arguments)
        else:
            with unit_of_work():
                record_view(action, **arguments)
    db.session.remove()
    assert counted() == folded(logged())
    assert sum(size for size, _ in counted().values()) == len(views)


def test_views_recorded_at_once_are_all_counted(app, make_staff, add_request):
    """Colleagues refreshing one request at the same moment, each on their own connection: every view is
    counted in some visit of its viewer (the trigger's increment is one statement, never lost)."""
    request_id = add_request()
    staff = [make_staff(), make_staff()]
    each = 10

    def refresh(i: int, barrier):
        with app.app_context():
            barrier.wait()
            for _ in range(each):
                with outside_request(app) as connection:
                    record_view(
                        cases.VIEW,
                        actor_id=staff[i % 2],
                        record_type=cases.RECORD,
                        record_id=request_id,
                        on=connection,
                    )
            close_version_reader(app)

    assert run_threads(6, refresh) == [None] * 6
    with app.app_context():
        by_viewer = db.session.execute(
            sa.select(AuditVisit.actor_key, sa.func.sum(AuditVisit.views)).group_by(AuditVisit.actor_key)
        ).all()
        assert sorted(by_viewer) == sorted((viewer, 3 * each) for viewer in staff)
