"""clinic.services.mail.notifications: what patients and the clinic are emailed, and the reminders."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import OutboxMessage
from clinic.services.booking import links
from clinic.services.mail import notifications
from clinic.triage.enums import Priority, RequestStatus
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
SUBJECT = "Your consultation with Northfield Clinic"


def test_confirmation_is_sent_after_commit_with_neutral_subject_link_and_ics(app, make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9), conditions=["psychosis"], phq9=[3] * 8 + [0])
    consultation = get(request_id)
    assert len(sent) == 1
    message = sent[0]
    assert message.subject == SUBJECT
    assert message.to == ["jordan.avery@example.com"]
    assert f"/appointments/{links.manage_token(consultation)}" in message.body
    assert "Tuesday, November 24, 2026 at 9:00 AM Eastern Time" in message.body
    for secret in ("psychosis", "24", "severe", "ketamine", "PHQ"):
        assert secret not in message.subject
    assert "psychosis" not in message.body.lower() and "phq" not in message.body.lower()
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("consultation.ics", "text/calendar")
    assert "DTSTART;TZID=America/New_York:20261124T090000" in content
    stored = db.session.scalars(select(OutboxMessage)).one()
    assert stored.kind == "confirmation" and stored.sent_at is not None and stored.attempts == 1


def test_urgent_request_tells_the_clinic_at_once_with_reference_and_link_only(app, make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9), phq9_9=2, first_name="Canary", email="canary@example.com")
    consultation = get(request_id)
    assert consultation.priority is Priority.URGENT
    clinic_mail = [m for m in sent if m.to == ["care@northfield-clinic.example"]]
    assert len(clinic_mail) == 1
    notice = clinic_mail[0]
    assert notice.subject == f"Request {consultation.reference} needs prompt review"
    assert f"/staff/requests/{request_id}" in notice.body
    for private in ("Canary", "canary@example.com", "self-harm", "suicid", "urgent", "PHQ", "item 9"):
        assert private.lower() not in (notice.subject + notice.body).lower()
    assert notice.attachments == []


def test_routine_request_does_not_notify_the_clinic(make_request, sent, ctx):
    make_request(slot=local(24, 9))
    assert [m.to for m in sent] == [["jordan.avery@example.com"]]


def test_reminders_go_once_to_bookings_in_the_next_24_hours(make_request, sent, ctx):
    soon = make_request(slot=local(24, 8))  # Tuesday 08:00: within 24 hours of Monday 08:00
    make_request(slot=local(24, 8, 30), email="later@example.com")  # 24.5 hours away
    gone = make_request(slot=local(23, 16), email="gone@example.com", cancelled=True)
    sent.clear()
    assert notifications.send_reminders(now=NOW) == 1
    (reminder,) = sent
    assert reminder.to == ["jordan.avery@example.com"]
    assert reminder.subject == SUBJECT
    assert "Tuesday, November 24, 2026 at 8:00 AM Eastern Time" in reminder.body
    assert get(soon).active_booking.reminder_sent_at == NOW
    assert get(gone).bookings[0].reminder_sent_at is None
    assert notifications.send_reminders(now=NOW) == 0
    assert (
        notifications.send_reminders(now=NOW + timedelta(minutes=30)) == 1
    )  # the 08:30 one comes into range
    assert len(sent) == 2


def test_reminders_skip_closed_requests(make_request, ctx):
    make_request(slot=local(23, 16), status=RequestStatus.DECLINED)
    assert notifications.send_reminders(now=NOW) == 0


def test_reminder_command(make_request, runner, ctx):
    make_request(slot=local(23, 16))
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "Queued 1 reminder(s)." in result.output
    assert runner.invoke(args=["send-reminders"]).output.strip() == "Queued 0 reminder(s)."
