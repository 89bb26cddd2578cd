"""clinic.services.courses.reminders: the day-before reminder of each session, sent once, only for
scheduled sessions of active courses starting within the next 24 hours."""

from datetime import UTC, timedelta

from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import CourseStatus, OutboxMessage, SessionStatus, TreatmentCourse, TreatmentSession
from clinic.services.courses import reminders, sessions
from clinic.timeutil import utcnow
from tests.fixtures_courses import INFUSION_DAYS, local


def reminded() -> list[int]:
    return sorted(
        db.session.scalars(
            select(TreatmentSession.number).where(TreatmentSession.reminder_sent_at.is_not(None))
        )
    )


def test_each_session_is_reminded_once_a_day_before(app, infusion_course, clock, sent):
    _course_id, ids, staff = infusion_course
    clock.set(local(INFUSION_DAYS[0], 10) - timedelta(days=1))
    with app.app_context():
        sessions.confirm_driver(ids[0], actor_id=staff, now=utcnow())
        assert reminders.send_session_reminders(now=utcnow()) == 1
        assert reminders.send_session_reminders(now=utcnow()) == 0
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "course_session_reminder")
        ).one()
        assert message.sent_at is not None
        (email,) = sent
        assert "Thank you for confirming who drives you home" in email.body
        assert email.attachments == []  # a reminder carries no calendar file
    clock.set(local(INFUSION_DAYS[1], 10) - timedelta(days=1))
    with app.app_context():
        assert reminders.send_session_reminders(now=utcnow()) == 1
        second = sent[-1]
        assert len(sent) == 2
        assert "Please confirm who drives you home" in second.body
        assert "/courses/" in second.body


def test_the_window_is_the_next_24_hours_from_now(app, infusion_course, clock):
    first_start = local(INFUSION_DAYS[0]).astimezone(UTC)
    clock.set(first_start - timedelta(hours=24, minutes=1))
    with app.app_context():
        assert reminders.send_session_reminders(now=utcnow()) == 0  # a minute too early
        assert reminders.send_session_reminders(now=first_start - timedelta(hours=24)) == 1
        assert reminded() == [1]
        # a session already started is never reminded, even if no run caught it before
        assert reminders.send_session_reminders(now=local(INFUSION_DAYS[1]).astimezone(UTC)) == 0
        assert reminded() == [1]


def test_cancelled_sessions_and_closed_courses_get_no_reminder(app, infusion_course, clock):
    course_id, ids, staff = infusion_course
    with app.app_context():
        sessions.change_status(ids[0], SessionStatus.CANCELLED, actor_id=staff, now=utcnow())
    clock.set(local(INFUSION_DAYS[0], 10) - timedelta(days=1))
    with app.app_context():
        assert reminders.send_session_reminders(now=utcnow()) == 0
        db.session.execute(
            update(TreatmentCourse)
            .where(TreatmentCourse.id == course_id)
            .values(status=CourseStatus.COMPLETED)
        )
        db.session.commit()
        later = local(INFUSION_DAYS[1], 10) - timedelta(days=1)
        assert reminders.send_session_reminders(now=later) == 0
        assert reminded() == []
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert "course_session_reminder" not in kinds


def test_every_due_session_is_reminded_in_one_run_past_a_batch(app, infusion_course, clock, monkeypatch):
    _, ids, _ = infusion_course
    monkeypatch.setattr(reminders, "BATCH", 2)
    monkeypatch.setattr(reminders, "WINDOW", timedelta(days=21))  # the whole course, three weeks ahead
    with app.app_context():
        assert reminders.send_session_reminders(now=utcnow()) == len(ids)
        assert reminded() == list(range(1, len(ids) + 1))
