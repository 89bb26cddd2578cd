"""clinic.services.booking.seats: seats claimed, released and moved; what patients may still change."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, SlotClaim
from clinic.scheduling import SlotUnavailable
from clinic.services.booking import availability, seats
from clinic.services.casework import cases
from clinic.triage.enums import RequestStatus
from tests.services.helpers import count, get, local, set_capacity

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
SUBJECT = "Your consultation with Northfield Clinic"


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
    monkeypatch.setattr(seats, "_visible_seats", lambda starts_at: set())
    second = make_request(slot=local(24, 9))
    assert get(second).active_booking.claim.seat == 2
    with pytest.raises(SlotUnavailable):
        make_request(slot=local(24, 9))
    assert count(SlotClaim) == count(Booking) == 2


def test_patient_cancel_releases_the_slot_at_once_and_keeps_the_row(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    consultation = get(request_id)
    cancelled = seats.cancel_for_patient(consultation, now=NOW)
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
    cases.cancel_booking(request_id, actor_id=staff_id, now=NOW)
    row = db.session.scalars(select(Booking).where(Booking.request_id == request_id)).one()
    assert (row.cancelled_by, row.cancelled_by_staff_id) == ("staff", staff_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel")).one()
    assert event.actor_id == staff_id


def test_cancel_without_an_active_booking_raises(make_request, ctx):
    request_id = make_request(slot=local(24, 9), cancelled=True)
    with pytest.raises(seats.NoActiveBooking):
        seats.cancel_for_patient(get(request_id), now=NOW)
    assert count(AuditEvent) == 2  # request.create and the one cancel


def test_reschedule_claims_the_new_slot_and_releases_the_old_in_one_go(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    new = seats.reschedule_for_patient(get(request_id), local(25, 14, 30), now=NOW)
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
    assert "Wednesday, November 25, 2026 at 2:30 PM Eastern Time" in message.body
    assert "Tuesday, November 24, 2026 at 9:00 AM" in message.body
    assert "SEQUENCE:2" in message.attachments[0][1]


@pytest.mark.parametrize("target", ["taken", "closed"])
def test_reschedule_to_an_unavailable_slot_changes_nothing(make_request, sent, ctx, target):
    mine = make_request(slot=local(24, 9))
    make_request(slot=local(24, 10), email="other@example.com")
    sent.clear()
    starts_at = local(24, 10) if target == "taken" else local(29, 10)
    with pytest.raises(SlotUnavailable):
        seats.reschedule_for_patient(get(mine), starts_at, now=NOW)
    consultation = get(mine)
    assert consultation.active_booking.starts_at == local(24, 9)
    assert consultation.appointment_at == local(24, 9)
    assert count(Booking) == count(SlotClaim) == 2
    assert count(AuditEvent) == 2 and sent == []


def test_patient_reschedule_to_the_same_time_is_refused(make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    with pytest.raises(seats.SameTime):
        seats.reschedule_for_patient(get(request_id), local(24, 9), now=NOW)
    assert count(Booking) == 1 and count(AuditEvent) == 1 and sent == []


def test_staff_reschedule_to_the_same_time_is_a_no_op(make_request, make_staff, sent, ctx):
    staff_id = make_staff()
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    cases.reschedule_booking(request_id, local(24, 9), actor_id=staff_id, now=NOW)
    assert get(request_id).active_booking.starts_at == local(24, 9)
    assert count(Booking) == 1 and count(AuditEvent) == 1 and sent == []


@pytest.mark.parametrize("change", ["cancel", "reschedule"])
def test_patients_cannot_change_a_booking_that_has_started(make_request, sent, ctx, change):
    request_id = make_request(slot=local(24, 9))
    sent.clear()
    later = local(24, 9, 1)
    with pytest.raises(seats.NotChangeable):
        if change == "cancel":
            seats.cancel_for_patient(get(request_id), now=later)
        else:
            seats.reschedule_for_patient(get(request_id), local(25, 9), now=later)
    assert get(request_id).active_booking.starts_at == local(24, 9)
    assert count(AuditEvent) == 1 and sent == []


@pytest.mark.parametrize("status", [RequestStatus.COMPLETED, RequestStatus.DECLINED, RequestStatus.NO_SHOW])
def test_patients_cannot_change_a_closed_request(make_request, ctx, status):
    request_id = make_request(slot=local(24, 9), status=status)
    consultation = get(request_id)
    assert not seats.changeable_by_patient(consultation, now=NOW)
    with pytest.raises(seats.NotChangeable):
        seats.cancel_for_patient(consultation, now=NOW)
    assert get(request_id).active_booking is not None


def test_staff_reschedule_is_audited_with_the_actor(make_request, make_staff, ctx):
    staff_id = make_staff()
    request_id = make_request(slot=local(24, 9))
    cases.reschedule_booking(request_id, local(24, 11), actor_id=staff_id, now=NOW)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.reschedule")).one()
    assert event.actor_id == staff_id
    old = db.session.scalars(select(Booking).where(Booking.cancelled_at.is_not(None))).one()
    assert old.cancelled_by == "staff"
