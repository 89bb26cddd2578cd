"""clinic.services.courses.admin: chairs and treatment kinds changed safely. A change that breaks booked
sessions lists them and waits for confirmation; once confirmed they are kept as booked and flagged."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import AuditEvent, Chair, KindKey, TreatmentKind, TreatmentSession
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from clinic.services.courses import admin
from clinic.services.rules.changes import AdminChangeError, ConfirmationNeeded
from clinic.timeutil import utcnow
from tests.fixtures_courses import INFUSION_DAYS, claims_of, local


def chairs_now() -> list[tuple[str, bool]]:
    return [(c.name, c.is_active) for c in db.session.scalars(select(Chair).order_by(Chair.id))]


def infusion(name="IV ketamine infusion", dose=40, monitoring=30, turnover=15) -> admin.KindInput:
    return admin.KindInput("infusion", name, dose, monitoring, turnover)


def test_a_chair_is_added_renamed_and_audited(app, course_now, make_staff):
    staff = make_staff()
    with app.app_context():
        chair, flagged = admin.save_chair(
            None, "  Window chair ", True, actor_id=staff, now=utcnow(), confirmed=False
        )
        assert flagged == [] and chairs_now()[-1] == ("Window chair", True)
        admin.save_chair(chair.id, "Garden chair", False, actor_id=staff, now=utcnow(), confirmed=False)
        assert chairs_now() == [("Chair 1", True), ("Chair 2", True), ("Garden chair", False)]
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("admin.chair")).order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == ["admin.chair_add", "admin.chair_change"]
        assert events[1].details["before"] == {"name": "Window chair", "active": True}
        assert events[1].details["after"] == {"name": "Garden chair", "active": False}


@pytest.mark.parametrize(
    ("chair_id", "name", "field"),
    [
        (None, "   ", "name"),
        (None, "x" * (admin.NAME_MAX + 1), "name"),
        (None, "Chair\n3", "name"),
        (None, "chair 2", "name"),  # taken, whatever the case
        (1, "CHAIR 2", "name"),
        (987, "Chair 9", "name"),  # gone meanwhile
    ],
)
def test_bad_chair_names_are_refused_and_nothing_changes(app, course_now, chair_id, name, field):
    with app.app_context():
        with pytest.raises(AdminChangeError) as refused:
            admin.save_chair(chair_id, name, True, actor_id=None, now=utcnow(), confirmed=False)
        assert set(refused.value.errors) == {field}
        assert chairs_now() == [("Chair 1", True), ("Chair 2", True)]


def test_the_same_chair_may_keep_its_name(app, course_now):
    with app.app_context():
        chair, _ = admin.save_chair(2, "chair 2", True, actor_id=None, now=utcnow(), confirmed=False)
        assert chair.name == "chair 2"


def test_the_last_chair_in_use_stays_in_use(app, course_now):
    with app.app_context():
        admin.save_chair(2, "Chair 2", False, actor_id=None, now=utcnow(), confirmed=False)
        with pytest.raises(AdminChangeError) as refused:
            admin.save_chair(1, "Chair 1", False, actor_id=None, now=utcnow(), confirmed=False)
        assert "at least one chair in use" in refused.value.errors["active"]
        assert chairs_now() == [("Chair 1", True), ("Chair 2", False)]


def test_a_booked_chair_goes_out_of_use_only_once_confirmed_and_its_sessions_stay(app, infusion_course):
    _, ids, staff = infusion_course
    with app.app_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            admin.save_chair(1, "Chair 1", False, actor_id=staff, now=utcnow(), confirmed=False)
        assert [ref.session_id for ref in asked.value.affected] == ids
        assert {ref.chair_name for ref in asked.value.affected} == {"Chair 1"}
        assert chairs_now()[0] == ("Chair 1", True)  # nothing saved yet
        assert db.session.scalars(select(TreatmentSession.flagged_at)).all() == [None] * 6
        _, flagged = admin.save_chair(1, "Chair 1", False, actor_id=staff, now=utcnow(), confirmed=True)
        assert flagged == ids and chairs_now()[0] == ("Chair 1", False)
        sessions = db.session.scalars(select(TreatmentSession).order_by(TreatmentSession.id)).all()
        assert all(s.chair_id == 1 and claims_of(s.id) for s in sessions)  # kept exactly as booked
        assert all(s.flag_reason.startswith("Chair 1 was taken out of use on ") for s in sessions)


@pytest.mark.parametrize(
    ("changed", "fields"),
    [
        ({"name": " "}, {"name"}),
        ({"name": "x" * (admin.KIND_NAME_MAX + 1)}, {"name"}),
        ({"dose": None}, {"dose_minutes"}),
        ({"dose": 4}, {"dose_minutes"}),
        ({"dose": 241}, {"dose_minutes"}),
        ({"monitoring": -1, "turnover": 121}, {"monitoring_minutes", "turnover_minutes"}),
    ],
)
def test_bad_kind_minutes_are_refused_by_field(app, course_now, changed, fields):
    with app.app_context():
        with pytest.raises(AdminChangeError) as refused:
            admin.update_kind(infusion(**changed), actor_id=None, now=utcnow(), confirmed=False)
        assert set(refused.value.errors) == fields


def test_esketamine_monitoring_stays_at_least_120_minutes(app, course_now):
    with app.app_context():
        spray = admin.KindInput("nasal_spray", "Esketamine nasal spray", 15, 119, 15)
        with pytest.raises(AdminChangeError) as refused:
            admin.update_kind(spray, actor_id=None, now=utcnow(), confirmed=False)
        assert "at least 120 minutes" in refused.value.errors["monitoring_minutes"]
        shorter = admin.update_kind(infusion(monitoring=20), actor_id=None, now=utcnow(), confirmed=False)
        assert shorter[0].monitoring_minutes == 20  # other kinds may monitor for less


def test_an_unknown_kind_or_no_change_saves_nothing(app, course_now):
    with app.app_context():
        with pytest.raises(AdminChangeError):
            admin.update_kind(
                admin.KindInput("pills", "Pills", 5, 5, 5), actor_id=None, now=utcnow(), confirmed=False
            )
        assert admin.update_kind(infusion(), actor_id=None, now=utcnow(), confirmed=False) is None
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("admin."))).all() == []
        )


def test_a_new_name_alone_touches_no_session(app, infusion_course):
    _, _, staff = infusion_course
    with app.app_context():
        before = [(s.ends_at, s.revision) for s in db.session.scalars(select(TreatmentSession))]
        kind, flagged = admin.update_kind(
            infusion(name="IV infusion"), actor_id=staff, now=utcnow(), confirmed=False
        )
        assert (kind.name, flagged) == ("IV infusion", [])
        assert [(s.ends_at, s.revision) for s in db.session.scalars(select(TreatmentSession))] == before


def test_longer_monitoring_applies_where_it_fits_and_flags_the_rest(
    app, infusion_course, completed_request, book
):
    _, ids, staff = infusion_course  # 09:00 each day in chair 1
    # the next course sits right after the first session on its first day, in the same chair
    book(
        completed_request(email="b@example.com"),
        "infusion",
        [local(INFUSION_DAYS[0], 10, 30), *(local(d, 13) for d in INFUSION_DAYS[1:])],
    )
    with app.app_context():
        db.session.execute(update(Chair).where(Chair.id == 2).values(is_active=False))
        db.session.commit()
        longer = infusion(monitoring=60)
        with pytest.raises(ConfirmationNeeded) as asked:
            admin.update_kind(longer, actor_id=staff, now=utcnow(), confirmed=False)
        assert [ref.session_id for ref in asked.value.affected] == [ids[0]]
        kind = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.INFUSION))
        assert kind.monitoring_minutes == 30  # nothing saved before the answer
        _, flagged = admin.update_kind(longer, actor_id=staff, now=utcnow(), confirmed=True)
        assert flagged == [ids[0]]
        broken, moved = db.session.get(TreatmentSession, ids[0]), db.session.get(TreatmentSession, ids[1])
        assert broken.flagged_at and broken.ends_at - broken.starts_at == timedelta(minutes=85)
        assert "no longer fit" in broken.flag_reason
        assert moved.flagged_at is None and moved.revision == 1
        assert (moved.care_ends_at - moved.starts_at, moved.ends_at - moved.starts_at) == (
            timedelta(minutes=100),
            timedelta(minutes=115),
        )
        assert claims_of(moved.id) == hold_units(Interval(moved.starts_at, moved.ends_at))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.treatment_change"))
        assert event.details["flagged_sessions"] == [ids[0]]
        assert event.details["after"]["monitoring_minutes"] == 60
