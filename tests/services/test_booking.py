"""The intake, booking, token, outbox and reminder services, against a real database."""

import re
import smtplib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_mailman.backends.base import BaseEmailBackend
from sqlalchemy import func, select, update

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ClinicSettings, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.scheduling import OutsideOpeningHours, SlotUnavailable
from clinic.services import availability, booking, intake, notifications, outbox, references, tokens
from clinic.triage.enums import Priority, RequestStatus

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
TZ = ZoneInfo("America/New_York")
SUBJECT = "Your consultation with Northfield Clinic"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def fixed_clock(clock):
    clock.set(NOW)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def sent(app):
    """The messages the locmem backend received."""
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman.outbox


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def get(request_id: int) -> ConsultationRequest:
    return db.session.get(ConsultationRequest, request_id)


def set_capacity(capacity: int) -> None:
    db.session.execute(update(ClinicSettings).values(capacity=capacity))
    db.session.commit()


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    error: Exception = smtplib.SMTPServerDisconnected("down")

    def send_messages(self, messages):
        raise self.error


class RefusingEmailBackend(FailingEmailBackend):
    error = ConnectionRefusedError(111, "Connection refused")


# Submitting a request


def test_submit_stores_request_booking_claim_and_audit(app, make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9), phq9=[2] * 8 + [0], antidepressant_trials=3)
    consultation = get(request_id)
    assert re.fullmatch(r"KT-[2-9A-HJ-NP-Z]{6}", consultation.reference)
    assert len(consultation.public_id) >= 20
    assert consultation.status is RequestStatus.NEW
    assert (consultation.phq9_score, consultation.phq9_band.value) == (16, "moderately_severe")
    assert consultation.priority is Priority.ROUTINE and consultation.priority_rank == 2
    assert consultation.treatment_resistant is True
    assert consultation.consent_version == intake.CONSENT_VERSION
    assert consultation.consented_at == NOW
    assert consultation.appointment_at == local(24, 9)
    active = consultation.active_booking
    assert (active.starts_at, active.ends_at) == (local(24, 9), local(24, 9, 30))
    assert active.claim.seat == 1 and active.claim.starts_at == local(24, 9)
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.actor_id, e.record_type, e.record_id, e.details) for e in events] == [
        ("request.create", None, "request", request_id, None)
    ]


def test_confirmation_is_sent_after_commit_with_neutral_subject_link_and_ics(app, make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9), conditions=["psychosis"], phq9=[3] * 8 + [0])
    consultation = get(request_id)
    assert len(sent) == 1
    message = sent[0]
    assert message.subject == SUBJECT
    assert message.to == ["jordan.avery@example.com"]
    assert f"/appointments/{tokens.manage_token(consultation)}" in message.body
    assert "Tuesday, November 24, 2026 at 9:00 AM EST (America/New_York)" in message.body
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


@pytest.mark.parametrize(
    "starts_at",
    [
        local(29, 10),  # Sunday: closed
        local(23, 9),  # today, inside the two hours' notice
        local(23, 10, 15),  # off the slot grid
        local(23, 17, 30),  # ends after closing
        datetime(2027, 3, 1, 15, 0, tzinfo=UTC),  # past the 60-day horizon
    ],
)
def test_submit_refuses_a_slot_not_offered_and_stores_nothing(make_request, sent, ctx, starts_at):
    with pytest.raises(SlotUnavailable):
        make_request(slot=starts_at)
    assert count(ConsultationRequest) == count(Booking) == count(SlotClaim) == count(OutboxMessage) == 0
    assert count(AuditEvent) == 0
    assert sent == []


def test_sunday_is_outside_opening_hours(make_request, ctx):
    with pytest.raises(OutsideOpeningHours):
        make_request(slot=local(29, 10))


def test_a_full_slot_refuses_the_next_request_and_keeps_nothing_of_it(make_request, sent, ctx):
    make_request(slot=local(24, 9))
    with pytest.raises(SlotUnavailable):
        make_request(slot=local(24, 9), email="second@example.com")
    assert count(ConsultationRequest) == count(Booking) == count(SlotClaim) == 1
    assert len(sent) == 1


def test_capacity_three_fills_seats_one_to_three_then_refuses(make_request, ctx):
    set_capacity(3)
    for _ in range(3):
        make_request(slot=local(24, 9))
    assert sorted(db.session.scalars(select(SlotClaim.seat))) == [1, 2, 3]
    with pytest.raises(SlotUnavailable):
        make_request(slot=local(24, 9))
    assert count(Booking) == 3


def test_a_seat_taken_unseen_fails_on_the_constraint_and_the_next_seat_is_tried(
    make_request, monkeypatch, ctx
):
    """What a concurrent transaction looks like: the read shows the seat free, the insert collides."""
    set_capacity(2)
    make_request(slot=local(24, 9))
    monkeypatch.setattr(booking, "_visible_seats", lambda starts_at: set())
    second = make_request(slot=local(24, 9))
    assert get(second).active_booking.claim.seat == 2
    with pytest.raises(SlotUnavailable):
        make_request(slot=local(24, 9))
    assert count(SlotClaim) == count(Booking) == 2


def test_reference_collision_draws_another_code(make_request, monkeypatch, ctx):
    first = get(make_request(slot=local(24, 9))).reference
    codes = iter([first, first, "KT-AAAAAA"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(codes))
    second = get(make_request(slot=local(24, 10)))
    assert second.reference == "KT-AAAAAA"
    assert second.active_booking is not None
    assert count(ConsultationRequest) == 2


def test_reference_codes_avoid_ambiguous_characters():
    codes = {references.new_reference() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert references.is_reference(code)
        assert not set(code[3:]) & set("01OI")
    assert not references.is_reference("KT-0OIIII")


# Cancelling


def test_patient_cancel_releases_the_slot_at_once_and_keeps_the_row(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    consultation = get(request_id)
    cancelled = booking.cancel(consultation, now=NOW, actor_id=None)
    consultation = get(request_id)
    assert consultation.status is RequestStatus.CANCELLED
    assert consultation.appointment_at is None
    assert consultation.active_booking is None
    row = db.session.get(Booking, cancelled.id)
    assert (row.cancelled_at, row.cancelled_by, row.cancelled_by_staff_id) == (NOW, "patient", None)
    assert count(SlotClaim) == 0 and count(Booking) == 1
    assert availability.offered_slot(local(24, 9), now=NOW).remaining == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel")).one()
    assert (event.actor_id, event.record_type, event.record_id) == (None, "request", request_id)
    (message,) = sent
    assert message.subject == SUBJECT and "cancelled" in message.body
    assert "METHOD:CANCEL" in message.attachments[0][1]
    make_request(slot=local(24, 9), email="next@example.com")  # someone else can book it now


def test_staff_cancel_records_who(make_request, make_staff, ctx):
    staff_id = make_staff()
    request_id = make_request(slot=local(24, 9))
    cancelled = booking.cancel(get(request_id), now=NOW, actor_id=staff_id)
    row = db.session.get(Booking, cancelled.id)
    assert (row.cancelled_by, row.cancelled_by_staff_id) == ("staff", staff_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel")).one()
    assert event.actor_id == staff_id


def test_cancel_without_an_active_booking_raises(make_request, ctx):
    request_id = make_request(slot=local(24, 9), cancelled=True)
    with pytest.raises(booking.NoActiveBooking):
        booking.cancel(get(request_id), now=NOW, actor_id=None)
    assert count(AuditEvent) == 2  # request.create and the one cancel


# Rescheduling


def test_reschedule_claims_the_new_slot_and_releases_the_old_in_one_go(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    new = booking.reschedule(get(request_id), local(25, 14, 30), now=NOW, actor_id=None)
    consultation = get(request_id)
    assert consultation.active_booking.id == new.id
    assert consultation.appointment_at == local(25, 14, 30)
    assert consultation.status is RequestStatus.NEW
    old = next(b for b in consultation.bookings if b.id != new.id)
    assert old.cancelled_at == NOW and old.claim is None
    assert [(c.starts_at, c.booking_id) for c in db.session.scalars(select(SlotClaim))] == [
        (local(25, 14, 30), new.id)
    ]
    availability.offered_slot(local(24, 9), now=NOW)  # the old time is free again
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.reschedule")).one()
    assert event.details == {"from_booking_id": old.id, "to_booking_id": new.id}
    (message,) = sent
    assert message.subject == SUBJECT
    assert "Wednesday, November 25, 2026 at 2:30 PM EST (America/New_York)" in message.body
    assert "Tuesday, November 24, 2026 at 9:00 AM" in message.body
    assert "SEQUENCE:2" in message.attachments[0][1]


@pytest.mark.parametrize("target", ["taken", "closed"])
def test_reschedule_to_an_unavailable_slot_changes_nothing(make_request, sent, ctx, target):
    mine = make_request(slot=local(24, 9))
    make_request(slot=local(24, 10), email="other@example.com")
    sent.clear()
    starts_at = local(24, 10) if target == "taken" else local(29, 10)
    with pytest.raises(SlotUnavailable):
        booking.reschedule(get(mine), starts_at, now=NOW, actor_id=None)
    consultation = get(mine)
    assert consultation.active_booking.starts_at == local(24, 9)
    assert consultation.appointment_at == local(24, 9)
    assert count(Booking) == count(SlotClaim) == 2
    assert count(AuditEvent) == 2 and sent == []


def test_reschedule_to_the_same_time_is_a_no_op(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    result = booking.reschedule(get(request_id), local(24, 9), now=NOW, actor_id=None)
    assert result.starts_at == local(24, 9)
    assert count(Booking) == 1 and sent == []


def test_staff_reschedule_is_audited_with_the_actor(make_request, make_staff, ctx):
    staff_id = make_staff()
    request_id = make_request(slot=local(24, 9))
    booking.reschedule(get(request_id), local(24, 11), now=NOW, actor_id=staff_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.reschedule")).one()
    assert event.actor_id == staff_id
    old = db.session.scalars(select(Booking).where(Booking.cancelled_at.is_not(None))).one()
    assert old.cancelled_by == "staff"


# Manage tokens


def test_token_round_trip_and_tampering(make_request, app, ctx):
    consultation = get(make_request(slot=local(24, 9)))
    token = tokens.manage_token(consultation)
    assert tokens.load_token(token, now=NOW).id == consultation.id
    for bad in (
        "",
        "x",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token + "x",
        "a" * 500,
        token.replace(".", ""),
    ):
        assert tokens.load_token(bad, now=NOW) is None
    app.config["SECRET_KEY"] = "another-secret-key-0123456789-abcdefghijkl"
    assert tokens.load_token(token, now=NOW) is None


def test_token_expires_a_day_after_the_appointment_and_follows_a_reschedule(make_request, ctx):
    request_id = make_request(slot=local(24, 9))
    token = tokens.manage_token(get(request_id))
    end = local(24, 9, 30)
    assert tokens.load_token(token, now=end + timedelta(days=1)) is not None
    assert tokens.load_token(token, now=end + timedelta(days=1, seconds=1)) is None
    booking.reschedule(get(request_id), local(27, 9), now=NOW, actor_id=None)
    assert tokens.load_token(token, now=end + timedelta(days=2)) is not None  # the same link still works
    booking.cancel(get(request_id), now=NOW, actor_id=None)
    assert tokens.load_token(token, now=local(27, 9)).status is RequestStatus.CANCELLED


# Reminders


def test_reminders_go_once_to_bookings_in_the_next_24_hours(make_request, sent, ctx):
    soon = make_request(slot=local(24, 8))  # Tuesday 08:00: within 24 hours of Monday 08:00
    make_request(slot=local(24, 8, 30), email="later@example.com")  # 24.5 hours away
    gone = make_request(slot=local(23, 16), email="gone@example.com", cancelled=True)
    sent.clear()
    assert notifications.send_reminders(now=NOW) == 1
    (reminder,) = sent
    assert reminder.to == ["jordan.avery@example.com"]
    assert reminder.subject == SUBJECT
    assert "Tuesday, November 24, 2026 at 8:00 AM EST (America/New_York)" in reminder.body
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


# The outbox


@pytest.mark.parametrize("backend", ["FailingEmailBackend", "RefusingEmailBackend"])
def test_mail_server_down_never_loses_or_blocks_a_booking(app, make_request, sent, ctx, backend):
    app.extensions["mailman"].backend = f"tests.services.test_booking.{backend}"
    request_id = make_request(slot=local(24, 9), urgent=True)
    assert get(request_id).active_booking is not None
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.kind for m in messages] == ["confirmation", "urgent"]
    for message in messages:
        assert message.sent_at is None and message.attempts == 1
        assert message.last_error in {"SMTPServerDisconnected", "ConnectionRefusedError (111)"}
        assert "@" not in message.last_error
    # each retry waits its turn: a minute after the first failure, two after the second
    assert outbox.send_pending(now=NOW) == (0, 2)
    assert db.session.get(OutboxMessage, messages[0].id).attempts == 1
    assert outbox.send_pending(now=NOW + timedelta(minutes=1)) == (0, 2)
    assert db.session.get(OutboxMessage, messages[0].id).attempts == 2
    app.extensions["mailman"].backend = "locmem"
    assert outbox.send_pending(now=NOW + timedelta(minutes=2)) == (0, 2)
    assert outbox.send_pending(now=NOW + timedelta(minutes=3)) == (2, 0)
    assert [m.subject for m in sent] == [SUBJECT, f"Request {get(request_id).reference} needs prompt review"]
    assert outbox.send_pending(now=NOW + timedelta(minutes=4)) == (0, 0)
    assert len(sent) == 2


def test_send_pending_leaves_a_fresh_message_to_its_sender(app, sent, ctx):
    message = outbox.queue("confirmation", ["a@example.com"], SUBJECT, "body")
    db.session.commit()
    assert outbox.send_pending(now=NOW) == (0, 1)
    assert outbox.send_pending(now=NOW + outbox.IN_FLIGHT_GRACE + timedelta(seconds=1)) == (1, 0)
    assert len(sent) == 1
    assert outbox.deliver([message]) == 0  # already sent: never twice
    assert len(sent) == 1


def test_send_outbox_command(app, runner, make_request, ctx, clock):
    app.extensions["mailman"].backend = "tests.services.test_booking.FailingEmailBackend"
    make_request(slot=local(24, 9))
    app.extensions["mailman"].backend = "locmem"
    clock.set(NOW + timedelta(minutes=1))  # the first retry is due a minute after the failure
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "Sent 1, still waiting 0." in result.output
