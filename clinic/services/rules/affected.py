"""Bookings an admin change left outside the offered times: the list, telling the patients, resolving.

A flagged booking is kept as booked. The admin sees whose it is (name, phone, priority, urgent first), may
email the patients a neutral "please choose a new time" with their manage link, and staff mark a flag
resolved once they have dealt with it. A flag the rules make right again clears by itself
(`changes.clear_flags_back_in_rules`).
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.extensions import db
from clinic.models import Booking
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.mail import notifications, outbox
from clinic.services.rules.changes import AffectedBooking, describe


class FlagNotFound(LookupError):
    """No active, flagged booking has that id."""


def _flagged(now: datetime):
    return select(Booking).where(
        Booking.flagged_at.is_not(None), Booking.cancelled_at.is_(None), Booking.starts_at >= now
    )


def flagged_bookings(*, now: datetime) -> list[AffectedBooking]:
    """Every active future booking with a flag, resolved ones included, urgent first then by time."""
    ids = list(db.session.scalars(_flagged(now).with_only_columns(Booking.id)))
    return describe(ids)


def email_patients(booking_ids: Sequence[int], *, actor_id: int, now: datetime) -> int:
    """Email the patient of each chosen flagged booking a neutral "please choose a new time" with a manage
    link made now; returns how many were emailed. Each email is audited on its request (ids only) and
    written to the outbox in this transaction, then sent after it."""
    with unit_of_work():
        bookings = db.session.scalars(
            _flagged(now)
            .where(Booking.id.in_([int(i) for i in booking_ids]))
            .options(joinedload(Booking.request))
            .order_by(Booking.starts_at, Booking.id)
        ).all()
        messages = []
        for booking in bookings:
            message = notifications.add_choose_new_time(booking.request, booking)
            db.session.flush()
            booking.flag_notified_at = now
            record(
                "booking.new_time_requested",
                actor_id=actor_id,
                record_type="request",
                record_id=booking.request_id,
                details={"booking_id": booking.id, "message_id": message.id},
            )
            messages.append(message)
    outbox.deliver(messages)
    return len(messages)


def resolve(request_id: int, *, actor_id: int, now: datetime) -> Booking:
    """Staff have dealt with the flag of the request's booking (the patient reached, the time kept): it stops
    asking for attention. FlagNotFound when the request has no active booking with an open flag."""
    with unit_of_work():
        booking = db.session.scalars(
            select(Booking).where(
                Booking.request_id == request_id,
                Booking.cancelled_at.is_(None),
                Booking.flagged_at.is_not(None),
                Booking.flag_resolved_at.is_(None),
            )
        ).first()
        if booking is None:
            raise FlagNotFound(request_id)
        booking.flag_resolved_at = now
        record(
            "booking.flag_resolved",
            actor_id=actor_id,
            record_type="request",
            record_id=request_id,
            details={"booking_id": booking.id},
        )
    return booking
