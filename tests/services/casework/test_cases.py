"""clinic.services.casework.cases: what staff do to one request, each change one transaction."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, OutboxMessage, RequestTally, SlotClaim
from clinic.services.casework import cases
from clinic.services.mail import outbox
from clinic.triage.enums import RequestStatus
from clinic.triage.workflow import WorkflowError

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")


class InjectedFailure(RuntimeError):
    """Stands for anything going wrong in the middle of a use case: a bug, a lost connection."""


def snapshot() -> dict:
    """Everything a status change with a cancellation touches, read fresh from the database."""
    db.session.remove()
    state = {
        "requests": db.session.execute(
            select(ConsultationRequest.id, ConsultationRequest.status, ConsultationRequest.appointment_at)
        ).all(),
        "bookings": db.session.execute(select(Booking.id, Booking.cancelled_at, Booking.cancelled_by)).all(),
        "claims": db.session.execute(select(SlotClaim.booking_id, SlotClaim.seat)).all(),
        "tallies": db.session.execute(
            select(RequestTally.status, RequestTally.priority, RequestTally.n)
        ).all(),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    }
    db.session.remove()
    return state


def fail_after_first_write(engine: sa.Engine):
    """Raise right after the first INSERT, UPDATE or DELETE has reached the database."""

    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise InjectedFailure(statement.split()[0])

    sa.event.listen(engine, "after_cursor_execute", after)
    return lambda: sa.event.remove(engine, "after_cursor_execute", after)


def fail_at_the_status_audit(monkeypatch):
    """Raise at the last step, once every earlier write (release, seat, notice, status) is flushed."""
    real_record = cases.record

    def record(action, **kwargs):
        if action == "request.status":
            db.session.flush()
            raise InjectedFailure("request.status")
        return real_record(action, **kwargs)

    monkeypatch.setattr(cases, "record", record)
    return monkeypatch.undo


@pytest.mark.parametrize("point", ["first write", "last step"])
@pytest.mark.parametrize("target", [RequestStatus.CANCELLED, RequestStatus.DECLINED])
def test_a_failure_after_the_first_write_of_a_status_change_with_a_cancellation_changes_nothing(
    app, make_request, make_staff, monkeypatch, target, point
):
    staff_id = make_staff()
    request_id = make_request()
    with app.app_context():
        before = snapshot()
        if point == "first write":
            stop = fail_after_first_write(db.engine)
        else:
            stop = fail_at_the_status_audit(monkeypatch)
        try:
            with pytest.raises(InjectedFailure) as failed:
                cases.change_status(request_id, target, actor_id=staff_id, now=NOW)
        finally:
            stop()
        if point == "first write":
            assert str(failed.value) == "UPDATE"  # the booking's release had reached the database
        assert snapshot() == before
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.status is RequestStatus.NEW
        assert consultation.active_booking is not None and consultation.active_booking.claim is not None


def test_a_status_change_with_a_cancellation_is_one_commit_and_mails_after_it(
    app, make_request, make_staff, monkeypatch
):
    staff_id = make_staff()
    request_id = make_request()
    commits: list[str] = []
    delivered: list[int] = []
    real_deliver = outbox.deliver

    def deliver(messages):
        delivered.append(len(commits))  # how many commits had happened when the mail went out
        return real_deliver(messages)

    monkeypatch.setattr(outbox, "deliver", deliver)
    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "commit", lambda conn: commits.append("commit"))
        cases.change_status(request_id, RequestStatus.DECLINED, actor_id=staff_id, now=NOW)
        db.session.remove()
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.status is RequestStatus.DECLINED and consultation.active_booking is None
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["booking.cancel", "request.status"]
    assert delivered == [1]  # the one commit of the use case came before the mail


def test_a_refused_move_changes_nothing(app, make_request, make_staff):
    staff_id = make_staff()
    request_id = make_request(status=RequestStatus.COMPLETED)
    with app.app_context():
        before = snapshot()
        with pytest.raises(WorkflowError):
            cases.change_status(request_id, RequestStatus.NEW, actor_id=staff_id, now=NOW)
        assert snapshot() == before


def test_viewing_is_audited_and_reading_is_not(app, make_request, make_staff):
    staff_id = make_staff()
    request_id = make_request()
    with app.app_context():
        cases.record_view(request_id, actor_id=staff_id)
        detail = cases.detail(request_id)
        assert [e.action for e in detail.history] == ["request.view", "request.create"]
        cases.detail(request_id)
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "request.view")) == 1
        with pytest.raises(cases.RequestNotFound):
            cases.record_view(request_id + 1000, actor_id=staff_id)
        with pytest.raises(cases.RequestNotFound):
            cases.detail(request_id + 1000)


def test_detail_lists_what_to_review(app, make_request):
    request_id = make_request(phq9_9=2, conditions=["hypertension"])
    with app.app_context():
        assert cases.detail(request_id).review_reasons == (
            "Thoughts of self-harm (PHQ-9 item 9): more than half the days",
            "Ticked: high blood pressure",
        )


def test_an_outcome_before_the_appointment_is_refused_with_its_time(app, make_request, make_staff):
    nurse = make_staff()
    request_id = make_request(status="scheduled")
    with app.app_context():
        starts_at = db.session.get(ConsultationRequest, request_id).active_booking.starts_at
        with pytest.raises(WorkflowError, match=r"has not happened yet: it starts .* Mark it completed"):
            cases.change_status(request_id, RequestStatus.COMPLETED, actor_id=nurse, now=NOW)
        assert cases.change_status(
            request_id, RequestStatus.COMPLETED, actor_id=nurse, now=starts_at
        ).status == (RequestStatus.COMPLETED)
    cancelled = make_request(status="scheduled", cancelled=True)
    with app.app_context():
        db.session.get(ConsultationRequest, cancelled).status = RequestStatus.SCHEDULED
        db.session.commit()
        with pytest.raises(WorkflowError, match="no booked appointment to mark no show"):
            cases.change_status(cancelled, RequestStatus.NO_SHOW, actor_id=nurse, now=NOW)


def test_a_records_repeat_views_are_counted_not_loaded(app, add_request, make_staff):
    """A record opened hundreds of times in one visit (a colleague refreshing an urgent request) costs the
    detail page the same as one opened once: the visit is counted as its views are recorded, its views never
    read again."""
    request_id = add_request()
    nurse, doctor = make_staff(email="n@clinic.example"), make_staff(email="d@clinic.example")
    with app.app_context():
        views = [
            (nurse, NOW, False),
            (doctor, NOW.replace(minute=10), False),
            (nurse, NOW.replace(hour=15), False),
        ]
        views += [(nurse, NOW.replace(second=s % 60, minute=1 + s // 60), True) for s in range(300)]
        views += [(doctor, NOW.replace(minute=12), True)]
        db.session.add_all(
            AuditEvent(
                action="request.view",
                actor_id=actor,
                record_type="request",
                record_id=request_id,
                at=at,
                is_repeat_view=repeat,
            )
            for actor, at, repeat in views
        )
        db.session.commit()
        db.session.remove()
        loaded: list[int] = []

        def on_load(event, context):
            loaded.append(event.id)

        sa.event.listen(AuditEvent, "load", on_load)
        try:
            detail = cases.detail(request_id)
        finally:
            sa.event.remove(AuditEvent, "load", on_load)
        shown = [e for e in detail.history if e.action == "request.view"]
        assert [(e.actor_id, e.at) for e in shown] == [
            (nurse, NOW.replace(hour=15)),
            (doctor, NOW.replace(minute=10)),
            (nurse, NOW),
        ]
        assert loaded == []  # the history is read as rows (no ORM objects), the repeat views not at all
        by_start = {(e.actor_id, e.at): detail.visits[e.id] for e in shown}
        assert by_start[nurse, NOW].views == 301 and by_start[nurse, NOW].last_at == NOW.replace(
            minute=5, second=59
        )
        assert by_start[doctor, NOW.replace(minute=10)].views == 2
        assert by_start[nurse, NOW.replace(hour=15)].views == 1
        # Counted as they were recorded (models.AuditVisit), not from the views: the page reads one row per
        # visit, and would show the same counts were the repeat views' rows not there to read at all.
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.is_repeat_view))
        db.session.commit()
        assert cases.detail(request_id).visits == detail.visits
