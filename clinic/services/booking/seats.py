"""Holding, releasing and moving consultation seats, and what patients may still change online.

The database decides who gets a slot: each booking inserts one SlotClaim row (slot start, seat) under
a unique constraint, seats 1..capacity, one savepoint per seat tried. Whatever the number of workers
or hosts, a full slot has no seat left to insert.

`hold`, `release` and `move` are inner steps: they add and flush in the caller's unit of work and never
commit. `cancel_for_patient` and `reschedule_for_patient` are the patient's use cases (staff's are in
`casework.cases`): each is one transaction, and its email is sent after the commit.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.scheduling import OfferedSlot, SlotUnavailable
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking import availability, openings
from clinic.services.mail import notifications, outbox
from clinic.services.rules.read import clinic_info
from clinic.triage.enums import RequestStatus
from clinic.triage.workflow import status_after_patient_cancel

# Patients change a booking online while the request is still being arranged; after that they call.
CHANGEABLE = (RequestStatus.NEW, RequestStatus.CONTACTED, RequestStatus.SCHEDULED)


class BookingError(Exception):
    """A booking change that cannot be made."""


class NoActiveBooking(BookingError):
    """The request has no active booking to cancel or move."""


class BookingChanged(BookingError):
    """Another change to the same booking committed first (a second tab, staff at the same time)."""


class NotChangeable(BookingError):
    """The booking has started, or the request is closed: patients call the clinic instead."""


class SameTime(BookingError):
    """The patient chose the time they already hold."""


def changeable_by_patient(consultation: ConsultationRequest, *, now: datetime) -> bool:
    """Whether the patient may still change the booking online: until it starts, while the request is open."""
    active = consultation.active_booking
    return active is not None and consultation.status in CHANGEABLE and active.starts_at > now


def shown_booking(consultation: ConsultationRequest) -> Booking | None:
    """The booking a patient's page shows: the active one, or the latest when none is active."""
    return consultation.active_booking or (consultation.bookings[-1] if consultation.bookings else None)


def _visible_seats(starts_at: datetime) -> set[int]:
    """Seats of the slot already claimed by committed transactions (a hint; the constraint decides)."""
    return set(db.session.scalars(select(SlotClaim.seat).where(SlotClaim.starts_at == starts_at)))


def claim_seat(booking: Booking, *, capacity: int) -> None:
    """Insert the booking's claim on a free seat of its slot, or raise SlotUnavailable."""
    claim_seat_for(booking.starts_at, capacity=capacity, booking_id=booking.id)


def claim_seat_for(
    starts_at: datetime, *, capacity: int, booking_id: int | None = None, offer_id: int | None = None
) -> None:
    """Claim a free seat of the slot at `starts_at` for a booking or a waitlist offer, or SlotUnavailable.

    Seats that are visibly taken are skipped; a seat taken by a transaction we cannot see yet fails
    on the unique constraint inside its savepoint, and the next seat is tried.
    """
    taken = _visible_seats(starts_at)
    for seat in (s for s in range(1, capacity + 1) if s not in taken):
        try:
            with db.session.begin_nested():
                db.session.add(
                    SlotClaim(starts_at=starts_at, seat=seat, booking_id=booking_id, offer_id=offer_id)
                )
        except IntegrityError:
            continue
        return
    raise SlotUnavailable(starts_at)


def hold(consultation: ConsultationRequest, slot: OfferedSlot) -> Booking:
    """Add a booking of `slot` for `consultation` and claim its seat (inner step: flushes, never commits).

    SlotUnavailable when the slot has no free seat; the caller's unit of work then rolls everything back.
    """
    booking = Booking(request=consultation, starts_at=slot.starts_at, ends_at=slot.ends_at)
    db.session.add(booking)
    db.session.flush()
    claim_seat(booking, capacity=clinic_info().capacity)
    consultation.appointment_at = booking.starts_at
    return booking


def release_booking(booking: Booking, *, now: datetime, actor_id: int | None, cancelled: bool = True) -> bool:
    """Cancel `booking` and free its seat; False if a concurrent change already cancelled it.

    The freed seat is noted for the waitlist (`openings`), in the same transaction (`cancelled` False: the
    booking moved to another time).

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
    openings.booking_released(booking, now=now, cancelled=cancelled)
    return True


def release(
    consultation: ConsultationRequest, *, now: datetime, actor_id: int | None
) -> tuple[Booking, OutboxMessage]:
    """Cancel the active booking (the row stays, its seat is free at once) and the request; inner step.

    Staff cancelling close the request. A patient cancelling closes it only when nobody needs to call back
    (workflow.status_after_patient_cancel): an urgent request keeps its status, marked "patient cancelled".

    Audited, and the patient's notice added to the outbox, in the caller's transaction. actor_id None means
    the patient did it; staff pass their id. NoActiveBooking when there is none (or it went meanwhile).
    """
    booking = consultation.active_booking
    if booking is None:
        raise NoActiveBooking("this request has no active booking")
    if not release_booking(booking, now=now, actor_id=actor_id):
        raise NoActiveBooking("this booking was cancelled meanwhile")
    details: dict[str, object] = {"booking_id": booking.id}
    if actor_id is None:
        # The patient: the slot is free, but a request someone must call back stays open, marked.
        consultation.status = status_after_patient_cancel(consultation.priority, consultation.status)
        consultation.patient_cancelled_at = now
        if consultation.status != RequestStatus.CANCELLED:
            details["kept_open"] = True
    else:
        consultation.status = RequestStatus.CANCELLED
    consultation.appointment_at = None
    record(
        "booking.cancel", actor_id=actor_id, record_type="request", record_id=consultation.id, details=details
    )
    return booking, notifications.add_cancellation(consultation, booking, now=now)


def move(
    consultation: ConsultationRequest, starts_at: datetime, *, now: datetime, actor_id: int | None
) -> tuple[Booking, OutboxMessage | None]:
    """Move the active booking to `starts_at`: claim the new slot, release the old one; inner step.

    Raises SlotUnavailable when the new slot is not offered or has no free seat, and BookingChanged when a
    concurrent cancel or reschedule of the same booking committed first; the caller's unit of work then rolls
    everything back. Moving to the time already held changes nothing and returns the current booking.
    """
    old = consultation.active_booking
    if old is None:
        raise NoActiveBooking("this request has no active booking")
    starts_at = starts_at.astimezone(UTC)
    if starts_at == old.starts_at:
        return old, None
    new = hold(consultation, availability.offered_slot(starts_at, now=now))
    if not release_booking(old, now=now, actor_id=actor_id, cancelled=False):
        raise BookingChanged("the booking changed meanwhile")
    record(
        "booking.reschedule",
        actor_id=actor_id,
        record_type="request",
        record_id=consultation.id,
        details={"from_booking_id": old.id, "to_booking_id": new.id},
    )
    return new, notifications.add_reschedule(consultation, old, new, now=now)


def lock_request(consultation: ConsultationRequest) -> None:
    """Take the request's row lock and read it afresh (inner step): every change to one request's booking
    takes it first, so concurrent cancels and moves of the same booking queue up in one order instead of
    deadlocking (one locking the booking then the request, the other the request then the booking)."""
    db.session.refresh(consultation, with_for_update=True)


def _check_patient_may_change(consultation: ConsultationRequest, *, now: datetime) -> None:
    lock_request(consultation)
    if consultation.active_booking is None:
        raise NoActiveBooking("this request has no active booking")
    if not changeable_by_patient(consultation, now=now):
        raise NotChangeable("this booking can no longer be changed online")


def cancel_for_patient(consultation: ConsultationRequest, *, now: datetime) -> Booking:
    """The patient cancels their booking: NoActiveBooking, or NotChangeable once it has started or closed."""
    with unit_of_work():
        _check_patient_may_change(consultation, now=now)
        booking, message = release(consultation, now=now, actor_id=None)
    outbox.deliver([message])
    return booking


def reschedule_for_patient(
    consultation: ConsultationRequest, starts_at: datetime, *, now: datetime
) -> Booking:
    """The patient moves their booking to `starts_at`, with nothing changed on any error.

    NoActiveBooking, NotChangeable (started or closed), SameTime (the time they hold), SlotUnavailable (not
    offered or just taken), BookingChanged (changed meanwhile from elsewhere).
    """
    with unit_of_work():
        _check_patient_may_change(consultation, now=now)
        if starts_at.astimezone(UTC) == consultation.active_booking.starts_at:  # type: ignore[union-attr]
            raise SameTime("that is already the booking's time")
        booking, message = move(consultation, starts_at, now=now, actor_id=None)
    outbox.deliver([message] if message else [])
    return booking
