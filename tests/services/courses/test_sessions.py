"""clinic.services.courses.sessions: one session's outcome, a cancel by staff or the patient, a move to
another time and the driver home confirmed."""

from datetime import UTC, date

import pytest
from sqlalchemy import func, select, update

from clinic.extensions import db
from clinic.models import (
    ChairClaim,
    CourseStatus,
    OutboxMessage,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.services.courses import sessions
from clinic.services.courses.errors import SessionConflict, SessionInvalid, SessionRefused
from clinic.timeutil import utcnow
from tests.fixtures_courses import INFUSION_DAYS, NY, claims_of, local


def test_an_outcome_waits_for_the_session_to_start(app, infusion_course, clock):
    _, ids, staff = infusion_course
    with app.app_context():
        with pytest.raises(SessionRefused, match="not started yet"):
            sessions.change_status(ids[0], SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
    clock.set(local(INFUSION_DAYS[0], 10))
    with app.app_context():
        done = sessions.change_status(ids[0], SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
        assert done.status == SessionStatus.COMPLETED and done.status_by == "staff"
        assert len(claims_of(ids[0])) == 6  # a completed session still held its chair
        with pytest.raises(SessionRefused, match="already completed"):
            sessions.change_status(ids[0], SessionStatus.NO_SHOW, actor_id=staff, now=utcnow())


def test_a_staff_cancel_frees_the_chair_at_once_and_tells_the_patient(app, infusion_course, sent):
    _, ids, staff = infusion_course
    with app.app_context():
        cancelled = sessions.change_status(ids[1], SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
        assert cancelled.status == SessionStatus.CANCELLED and cancelled.revision == 1
        assert claims_of(ids[1]) == []
        assert db.session.get(TreatmentSession, ids[1]) is not None  # the row stays
        notice = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "course_session_cancelled")
        ).one()
        assert notice.sent_at is not None  # sent after the commit (its body is then emptied)
        (email,) = sent
        assert "cancelled" in email.body and "Wednesday, March 3, 2027" in email.body


def test_the_course_closes_when_no_session_is_left(app, infusion_course, clock):
    course_id, ids, staff = infusion_course
    with app.app_context():
        for session_id in ids:
            sessions.change_status(session_id, SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
        assert db.session.get(TreatmentCourse, course_id).status == CourseStatus.CANCELLED
        assert db.session.scalar(select(func.count()).select_from(ChairClaim)) == 0


def test_a_patient_cancels_until_the_session_starts(app, infusion_course, clock):
    course_id, ids, _ = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        sessions.cancel_for_patient(course, 2, now=utcnow())
        assert db.session.get(TreatmentSession, ids[1]).status_by == "patient"
        with pytest.raises(SessionRefused, match="already cancelled"):
            sessions.cancel_for_patient(course, 2, now=utcnow())
    clock.set(local(INFUSION_DAYS[0], 9, 30))
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        with pytest.raises(SessionRefused, match="started"):
            sessions.cancel_for_patient(course, 1, now=utcnow())


def test_drivers_are_confirmed_once_by_the_patient_or_staff(app, infusion_course):
    course_id, ids, staff = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        assert sessions.confirm_driver_for_patient(course, 1, now=utcnow()) is True
        assert sessions.confirm_driver_for_patient(course, 1, now=utcnow()) is False
        assert sessions.confirm_driver(ids[2], actor_id=staff, now=utcnow()) is True
        first, third = db.session.get(TreatmentSession, ids[0]), db.session.get(TreatmentSession, ids[2])
        assert (first.driver_confirmed_by, third.driver_confirmed_by) == ("patient", "staff")
        sessions.change_status(ids[3], SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
        with pytest.raises(SessionRefused):
            sessions.confirm_driver(ids[3], actor_id=staff, now=utcnow())


def test_a_move_takes_the_new_time_and_frees_the_old(app, infusion_course, sent):
    _, ids, staff = infusion_course
    with app.app_context():
        sessions.confirm_driver(ids[0], actor_id=staff, now=utcnow())
        moved = sessions.reschedule(ids[0], local(INFUSION_DAYS[0], 9, 30), actor_id=staff, now=utcnow())
        assert moved.starts_at == local(INFUSION_DAYS[0], 9, 30).astimezone(UTC)
        assert moved.driver_confirmed_at is None and moved.revision == 1  # asked again for the new time
        units = claims_of(ids[0])
        assert units[0] == moved.starts_at and len(units) == 6  # 09:30–10:55
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "course_session_moved")
        ).one()
        assert message.sent_at is not None
        (email,) = sent
        assert "9:00 AM" in email.body and "9:30 AM" in email.body


def test_a_move_into_a_held_chair_is_a_conflict_with_alternatives(
    app, infusion_course, completed_request, book
):
    _, ids, staff = infusion_course
    other = completed_request(email="other@example.com")
    book(other, "infusion", [local(d, 11) for d in INFUSION_DAYS])
    with app.app_context():
        db.session.execute(update(sessions.Chair).where(sessions.Chair.id == 2).values(is_active=False))
        db.session.commit()
        before = claims_of(ids[0])
        with pytest.raises(SessionConflict) as conflict:
            sessions.reschedule(ids[0], local(INFUSION_DAYS[0], 10, 30), actor_id=staff, now=utcnow())
        assert claims_of(ids[0]) == before
        assert conflict.value.alternatives
        for alternative in conflict.value.alternatives:
            assert alternative.starts_at.astimezone(NY).date() not in {date(2027, 3, 2), date(2027, 3, 3)}
            assert (
                not local(INFUSION_DAYS[0], 9, 35) < alternative.starts_at < local(INFUSION_DAYS[0], 12, 25)
            )


def test_a_move_that_breaks_a_rule_says_which(app, infusion_course):
    _, ids, staff = infusion_course
    with app.app_context():
        with pytest.raises(SessionInvalid) as sunday:
            sessions.reschedule(ids[0], local(date(2027, 2, 28), 9), actor_id=staff, now=utcnow())
        assert any("closed" in p for p in sunday.value.problems)
        with pytest.raises(SessionInvalid) as close:
            sessions.reschedule(ids[0], local(date(2027, 3, 2), 9), actor_id=staff, now=utcnow())
        assert any("at least 2 days apart" in p for p in close.value.problems)
        with pytest.raises(SessionInvalid, match="already"):
            sessions.reschedule(ids[0], local(INFUSION_DAYS[0], 9), actor_id=staff, now=utcnow())
