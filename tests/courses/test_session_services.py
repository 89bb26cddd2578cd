"""One session's changes, the REMS paperwork, the course link, the reminders and the chair board."""

from datetime import UTC, date, datetime, timedelta

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
from clinic.scheduling.chair_board import COVERED, FREE, Cell
from clinic.services.courses import board, links, reminders, rems, sessions
from clinic.services.courses.errors import (
    FieldErrors,
    SessionConflict,
    SessionInvalid,
    SessionRefused,
)
from clinic.timeutil import utcnow
from tests.courses.conftest import NY, local
from tests.courses.test_booking_service import INFUSION_DAYS, SPRAY_DAYS, spray_starts


@pytest.fixture
def infusion_course(app, completed_request, book, make_staff):
    """A six-infusion course at 09:00 from Monday 2027-03-01; returns (course id, session ids, staff id)."""
    staff_id = make_staff(email="course.nurse@clinic.example", name="Cora Course")
    request_id = completed_request()
    course_id = book(request_id, "infusion", [local(d) for d in INFUSION_DAYS], staff_id)
    with app.app_context():
        ids = [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]
    return course_id, ids, staff_id


def claims_of(session_id: int) -> list[datetime]:
    return sorted(
        db.session.scalars(select(ChairClaim.unit_start).where(ChairClaim.session_id == session_id))
    )


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


def test_a_staff_cancel_frees_the_chair_at_once_and_tells_the_patient(app, infusion_course):
    _, ids, staff = infusion_course
    with app.app_context():
        cancelled = sessions.change_status(ids[1], SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
        assert cancelled.status == SessionStatus.CANCELLED and cancelled.revision == 1
        assert claims_of(ids[1]) == []
        assert db.session.get(TreatmentSession, ids[1]) is not None  # the row stays
        notice = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "course_session_cancelled")
        ).one()
        assert "cancelled" in notice.body_text and "Wednesday, March 3, 2027" in notice.body_text


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


def test_a_move_takes_the_new_time_and_frees_the_old(app, infusion_course):
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
        assert "9:00 AM" in message.body_text and "9:30 AM" in message.body_text


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


def test_rems_enrolment_is_checked_and_recorded_without_its_id_in_the_audit(
    app, completed_request, make_staff
):
    from clinic.models import AuditEvent

    request_id = completed_request()
    staff = make_staff()
    today = date(2027, 2, 22)
    with app.app_context():
        with pytest.raises(FieldErrors) as bad:
            rems.record_enrolment(request_id, date(2027, 3, 1), "x", actor_id=staff, today=today)
        assert set(bad.value.errors) == {"enrolled_on", "rems_id"}
        rems.record_enrolment(request_id, date(2027, 2, 1), "RP-555", actor_id=staff, today=today)
        rems.record_enrolment(request_id, date(2027, 2, 2), "RP-556", actor_id=staff, today=today)
        enrolment = rems.proposals.enrolment_of(request_id)
        assert (enrolment.enrolled_on, enrolment.rems_id) == (date(2027, 2, 2), "RP-556")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("rems."))).all()
        assert [e.action for e in events] == ["rems.enrolment_recorded", "rems.enrolment_corrected"]
        assert all("RP-55" not in str(e.details) for e in events)


def test_rems_forms_are_due_for_completed_sprays_oldest_first(
    app, completed_request, enrol, book, make_staff, clock
):
    staff = make_staff()
    request_id = completed_request(modality="nasal_spray")
    enrol(request_id)
    course_id = book(request_id, "nasal_spray", spray_starts())
    clock.set(local(SPRAY_DAYS[2], 12))
    with app.app_context():
        ids = [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]
        for session_id in ids[:3]:
            sessions.change_status(session_id, SessionStatus.COMPLETED, actor_id=staff, now=utcnow())
        due = rems.forms_due(today=SPRAY_DAYS[2], tz=NY)
        assert [d.session.id for d in due] == ids[:3]
        assert due[0].due_on == date(2027, 3, 8) and not due[0].overdue
        rems.mark_form_sent(ids[0], actor_id=staff, now=utcnow())
        with pytest.raises(SessionRefused, match="already"):
            rems.mark_form_sent(ids[0], actor_id=staff, now=utcnow())
        with pytest.raises(SessionRefused, match="only for a completed"):
            rems.mark_form_sent(ids[5], actor_id=staff, now=utcnow())
        assert [d.session.id for d in rems.forms_due(today=date(2027, 3, 12), tz=NY)] == ids[1:3]
        assert rems.forms_due(today=date(2027, 3, 12), tz=NY)[0].overdue


def test_course_links_are_signed_versioned_and_expire(app, infusion_course):
    course_id, _, _ = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        token = links.course_token(course)
        now = utcnow()
        assert links.load_token(token, now=now).id == course_id
        assert links.load_token(token[:-2] + "xx", now=now) is None
        assert links.load_token("", now=now) is None
        last = max(s.ends_at for s in course.sessions)
        assert links.load_token(token, now=last + timedelta(days=31)) is None
        course.token_version += 1
        db.session.commit()
        assert links.load_token(token, now=now) is None
        assert links.load_token(links.course_token(course), now=now).id == course_id


def test_each_session_is_reminded_once_a_day_before(app, infusion_course, clock):
    _course_id, ids, staff = infusion_course
    clock.set(local(INFUSION_DAYS[0], 10) - timedelta(days=1))
    with app.app_context():
        sessions.confirm_driver(ids[0], actor_id=staff, now=utcnow())
        assert reminders.send_session_reminders(now=utcnow()) == 1
        assert reminders.send_session_reminders(now=utcnow()) == 0
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "course_session_reminder")
        ).one()
        assert "Thank you for confirming who drives you home" in message.body_text
    clock.set(local(INFUSION_DAYS[1], 10) - timedelta(days=1))
    with app.app_context():
        assert reminders.send_session_reminders(now=utcnow()) == 1
        second = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "course_session_reminder")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert "Please confirm who drives you home" in second.body_text
        assert "/courses/" in second.body_text


def test_the_chair_board_draws_each_phase(app, infusion_course, completed_request, enrol, book):
    spray = completed_request(modality="nasal_spray", email="spray@example.com")
    enrol(spray)
    book(spray, "nasal_spray", spray_starts(9, 15))
    with app.app_context():
        day = board.day_board(INFUSION_DAYS[0])
        assert [c.name for c in day.chairs] == ["Chair 1", "Chair 2"]
        rows = day.board.rows
        assert rows[0].starts_at == local(INFUSION_DAYS[0], 8).astimezone(UTC)
        nine = next(
            i for i, r in enumerate(rows) if r.starts_at == local(INFUSION_DAYS[0], 9).astimezone(UTC)
        )
        dose = rows[nine].cells[0]
        assert isinstance(dose, Cell) and (dose.phase, dose.rows, dose.first) == ("dose", 3, True)
        assert rows[nine + 1].cells[0] is COVERED and rows[nine + 2].cells[0] is COVERED
        monitoring = rows[nine + 3].cells[0]
        assert (monitoring.phase, monitoring.rows) == ("monitoring", 2)  # 09:40–10:10 covers 09:45, 10:00
        assert (rows[nine + 5].cells[0].phase, rows[nine + 5].cells[0].rows) == ("turnover", 1)
        assert rows[nine + 6].cells[0] == FREE
        spray_cell = rows[nine + 1].cells[1]  # 09:15 in chair 2
        assert (spray_cell.phase, spray_cell.rows) == ("dose", 1)
        assert spray_cell.session.item.enrolment is not None
        assert day.session_count == 2
