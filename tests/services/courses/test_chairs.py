"""clinic.services.courses.chairs: which chairs take sessions, the holds that overlap a time, and the claim
rows behind a hold (one per quarter hour, the database deciding who gets a chair)."""

from datetime import timedelta

from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import Chair, ChairClaim, SessionStatus, TreatmentCourse, TreatmentSession
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from clinic.services.courses import chairs
from tests.fixtures_courses import INFUSION_DAYS, claims_of, local

FIRST = local(INFUSION_DAYS[0])


def sessions_of(course_id: int) -> list[TreatmentSession]:
    return db.session.get(TreatmentCourse, course_id).sessions


def test_chairs_in_use_are_tried_in_creation_order(app, course_now):
    with app.app_context():
        db.session.add(Chair(name="Window chair", is_active=True))
        db.session.execute(update(Chair).where(Chair.id == 1).values(is_active=False))
        db.session.commit()
        assert [c.name for c in chairs.all_chairs()] == ["Chair 1", "Chair 2", "Window chair"]
        assert chairs.active_chair_ids() == [2, 3]


def test_holds_between_sees_overlaps_only_and_leaves_out_what_it_is_told(app, infusion_course):
    _, ids, _ = infusion_course
    with app.app_context():
        first = db.session.get(TreatmentSession, ids[0])
        assert chairs.holds_between(first.starts_at, first.ends_at) == [
            chairs.ChairHold(1, Interval(first.starts_at, first.ends_at))
        ]
        assert chairs.holds_between(first.ends_at, first.ends_at + timedelta(hours=1)) == []  # touching
        assert chairs.holds_between(first.starts_at - timedelta(hours=1), first.starts_at) == []
        assert chairs.holds_between(first.starts_at, first.ends_at, leave_out=[ids[0]]) == []
        first.status = SessionStatus.CANCELLED
        db.session.commit()
        assert chairs.holds_between(first.starts_at, first.ends_at) == []  # a cancel frees the time


def test_a_claim_takes_the_first_free_chair_or_none(app, infusion_course, completed_request, book):
    course_id, _, _ = infusion_course
    other = book(completed_request(email="b@example.com"), "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        ours, theirs = sessions_of(course_id)[0], sessions_of(other)[0]
        assert (ours.chair_id, theirs.chair_id) == (1, 2)
        third = TreatmentSession(
            course_id=other,
            number=99,
            starts_at=ours.starts_at + timedelta(minutes=30),
            care_ends_at=ours.starts_at + timedelta(minutes=100),
            ends_at=ours.starts_at + timedelta(minutes=115),
            chair_id=1,
        )
        db.session.add(third)
        db.session.flush()
        assert chairs.claim(third, [1, 2]) is None  # both chairs held for part of the time
        assert claims_of(third.id) == []  # nothing half-claimed
        chairs.release(theirs)  # chair 2 is free again, chair 1 still held by ours
        assert chairs.claim(third, [1, 2, 1]) == 2
        assert third.chair_id == 2
        assert claims_of(third.id) == hold_units(Interval(third.starts_at, third.ends_at))


def test_release_frees_the_time_and_keeps_the_session(app, infusion_course):
    _, ids, _ = infusion_course
    with app.app_context():
        session = db.session.get(TreatmentSession, ids[0])
        chairs.release(session)
        db.session.commit()
        assert claims_of(ids[0]) == []
        assert claims_of(ids[1]) != []
        assert db.session.get(TreatmentSession, ids[0]) is not None


def test_a_move_keeps_the_shared_quarter_hours_and_drops_the_rest(app, infusion_course):
    _, ids, _ = infusion_course
    with app.app_context():
        session = db.session.get(TreatmentSession, ids[0])
        before = db.session.scalars(
            select(ChairClaim.id).where(ChairClaim.session_id == session.id).order_by(ChairClaim.unit_start)
        ).all()
        starts, ends = session.starts_at + timedelta(minutes=30), session.ends_at + timedelta(minutes=30)
        assert chairs.move(session, [1], starts, ends) == 1
        after = db.session.scalars(
            select(ChairClaim.id).where(ChairClaim.session_id == session.id).order_by(ChairClaim.unit_start)
        ).all()
        assert claims_of(session.id) == hold_units(Interval(starts, ends))
        assert after[: len(before) - 2] == before[2:]  # the overlapping quarter hours are the same rows


def test_a_move_to_another_chair_or_nowhere(app, infusion_course, completed_request, book):
    course_id, _, _ = infusion_course
    other = book(completed_request(email="b@example.com"), "infusion", [local(d, 11) for d in INFUSION_DAYS])
    with app.app_context():
        session, blocker = sessions_of(course_id)[0], sessions_of(other)[0]
        old = claims_of(session.id)
        target = (blocker.starts_at, blocker.starts_at + timedelta(minutes=85))
        assert chairs.move(session, [1], *target) is None  # held by the other course
        assert claims_of(session.id) == old  # a failed move leaves the hold where it was
        assert chairs.move(session, [1, 2], *target) == 2
        rows = db.session.execute(
            select(ChairClaim.chair_id, ChairClaim.unit_start).where(ChairClaim.session_id == session.id)
        ).all()
        assert {chair for chair, _ in rows} == {2}
        assert sorted(unit for _, unit in rows) == hold_units(Interval(*target))
