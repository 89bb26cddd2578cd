"""Holding, cancelling and moving consultation slots.

The database decides who gets a slot: each booking inserts one SlotClaim row (slot start, seat) under
a unique constraint, seats 1..capacity, one savepoint per seat tried. Whatever the number of workers
or hosts, a full slot has no seat left to insert. Every function here owns its transaction.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, SlotClaim
from clinic.scheduling import OfferedSlot, SlotUnavailable
from clinic.services.audit.record import record
from clinic.services.booking import availability
from clinic.services.mail import notifications, outbox
from clinic.services.rules.read import clinic_info
from clinic.triage.enums import RequestStatus


class BookingError(Exception):
    """A booking change that cannot be made."""


class NoActiveBooking(BookingError):
    """The request has no active booking to cancel or move."""


def _visible_seats(starts_at: datetime) -> set[int]:
    """Seats of the slot already claimed by committed transactions (a hint; the constraint decides)."""
    return set(db.session.scalars(select(SlotClaim.seat).where(SlotClaim.starts_at == starts_at)))


def _claim_seat(booking: Booking, *, capacity: int) -> None:
    """Insert the booking's claim on a free seat of its slot, or raise SlotUnavailable.

    Seats that are visibly taken are skipped; a seat taken by a transaction we cannot see yet fails
    on the unique constraint inside its savepoint, and the next seat is tried.
    """
    taken = _visible_seats(booking.starts_at)
    for seat in (s for s in range(1, capacity + 1) if s not in taken):
        try:
            with db.session.begin_nested():
                db.session.add(SlotClaim(starts_at=booking.starts_at, seat=seat, booking_id=booking.id))
        except IntegrityError:
            continue
        return
    raise SlotUnavailable(booking.starts_at)


def hold(consultation: ConsultationRequest, slot: OfferedSlot) -> Booking:
    """Add a booking of `slot` for `consultation` to the current transaction, claim its seat.

    The caller (intake, reschedule) commits. On SlotUnavailable the whole transaction is rolled back.
    """
    booking = Booking(request=consultation, starts_at=slot.starts_at, ends_at=slot.ends_at)
    db.session.add(booking)
    db.session.flush()
    try:
        _claim_seat(booking, capacity=clinic_info().capacity)
    except SlotUnavailable:
        db.session.rollback()
        raise
    consultation.appointment_at = booking.starts_at
    return booking


class BookingChanged(BookingError):
    """Another change to the same booking committed first (a second tab, staff at the same time)."""


def _release(booking: Booking, *, now: datetime, actor_id: int | None) -> bool:
    """Cancel `booking` and free its seat; False if a concurrent change already cancelled it.

    The UPDATE is guarded on `cancelled_at IS NULL`: of two transactions releasing the same booking, the
    second waits for the first and then matches no row, so a request never ends up with two active bookings.
    """
    released = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.cancelled_at.is_(None))
        .values(
            cancelled_at=now,
            cancelled_by="patient" if actor_id is None else "staff",
            cancelled_by_staff_id=actor_id,
        )
    ).rowcount
    if released != 1:
        return False
    db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))
    db.session.expire(booking, ["claim"])
    return True


def cancel(consultation: ConsultationRequest, *, now: datetime, actor_id: int | None) -> Booking:
    """Cancel the active booking (the row stays, its seat is free at once) and the request.

    actor_id None means the patient did it; staff pass their id.
    """
    booking = consultation.active_booking
    if booking is None:
        db.session.rollback()
        raise NoActiveBooking("this request has no active booking")
    if not _release(booking, now=now, actor_id=actor_id):
        db.session.rollback()
        raise NoActiveBooking("this booking was cancelled meanwhile")
    consultation.status = RequestStatus.CANCELLED
    consultation.appointment_at = None
    record(
        "booking.cancel",
        actor_id=actor_id,
        record_type="request",
        record_id=consultation.id,
        details={"booking_id": booking.id},
    )
    message = notifications.add_cancellation(consultation, booking, now=now)
    db.session.commit()
    outbox.deliver([message])
    return booking


def reschedule(
    consultation: ConsultationRequest, starts_at: datetime, *, now: datetime, actor_id: int | None
) -> Booking:
    """Move the active booking to `starts_at`: claim the new slot and release the old one in one transaction.

    Raises SlotUnavailable, with nothing changed, when the new slot is not offered or has no free seat, and
    BookingChanged when a concurrent cancel or reschedule of the same booking committed first.
    Moving to the time already held changes nothing and returns the current booking.
    """
    old = consultation.active_booking
    if old is None:
        db.session.rollback()
        raise NoActiveBooking("this request has no active booking")
    starts_at = starts_at.astimezone(UTC)
    if starts_at == old.starts_at:
        return old
    try:
        slot = availability.offered_slot(starts_at, now=now)
    except SlotUnavailable:
        db.session.rollback()
        raise
    new = hold(consultation, slot)
    if not _release(old, now=now, actor_id=actor_id):
        db.session.rollback()
        raise BookingChanged("the booking changed meanwhile")
    record(
        "booking.reschedule",
        actor_id=actor_id,
        record_type="request",
        record_id=consultation.id,
        details={"from_booking_id": old.id, "to_booking_id": new.id},
    )
    message = notifications.add_reschedule(consultation, old, new, now=now)
    db.session.commit()
    outbox.deliver([message])
    return new
