"""What every admin change to the rules shares: the bookings it affects, the question to confirm, the flags.

Hours, closures and settings changes all work the same way: list the active future bookings the change would
leave outside the offered times (`clinic.scheduling.fit`), ask the admin to confirm when there are some, then
save and flag those bookings for staff in the same transaction. Flagged bookings are kept, never moved.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest
from clinic.scheduling import WEEKDAY_KEYS, WEEKDAY_NAMES, DayHours, Schedule, hours_text
from clinic.services.audit.record import record
from clinic.services.rules.read import clinic_info


@dataclass(frozen=True, slots=True)
class BookingRef:
    """An active booking as the admin pages list it: ids, reference and time only (no health data)."""

    booking_id: int
    request_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    is_flagged: bool = False


class AdminChangeError(Exception):
    """A change the rules refuse; `errors` maps form field names to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class ConfirmationNeeded(Exception):  # a question to the admin, not a failure
    """The change would leave these bookings outside the offered times: ask before saving."""

    def __init__(self, affected: Sequence[BookingRef]) -> None:
        super().__init__(f"{len(affected)} booking(s) affected")
        self.affected = list(affected)


def active_bookings_from(now: datetime, *, until: datetime | None = None) -> list[BookingRef]:
    """Active bookings starting at or after `now` (and before `until`), in one query."""
    query = (
        select(
            Booking.id,
            Booking.request_id,
            ConsultationRequest.reference,
            Booking.starts_at,
            Booking.ends_at,
            Booking.flagged_at,
        )
        .join(ConsultationRequest, Booking.request_id == ConsultationRequest.id)
        .where(Booking.cancelled_at.is_(None), Booking.starts_at >= now)
        .order_by(Booking.starts_at, Booking.id)
    )
    if until is not None:
        query = query.where(Booking.starts_at < until)
    return [
        BookingRef(booking_id, request_id, reference, starts_at, ends_at, flagged_at is not None)
        for booking_id, request_id, reference, starts_at, ends_at, flagged_at in db.session.execute(query)
    ]


def flag(bookings: Sequence[BookingRef], reason: str, *, now: datetime) -> list[int]:
    """Mark bookings for staff attention in the current transaction; returns their ids."""
    ids = [b.booking_id for b in bookings]
    if ids:
        for booking in db.session.scalars(select(Booking).where(Booking.id.in_(ids))):
            booking.flagged_at = now
            booking.flag_reason = reason[:200]
    return ids


def flag_and_record(
    affected: Sequence[BookingRef],
    reason: str,
    *,
    now: datetime,
    action: str,
    actor_id: int | None,
    record_type: str,
    record_id: int | None = None,
    details: dict,
) -> list[int]:
    """Flag the affected bookings with `reason` and audit the change with their ids; returns the ids."""
    flagged = flag(affected, reason, now=now)
    record(
        action,
        actor_id=actor_id,
        record_type=record_type,
        record_id=record_id,
        details={**details, "flagged_bookings": flagged},
    )
    return flagged


def confirm_or_raise(affected: Sequence[BookingRef], *, confirmed: bool) -> None:
    """Ask first (ConfirmationNeeded, nothing saved) when the change affects bookings and is not confirmed."""
    if affected and not confirmed:
        raise ConfirmationNeeded(affected)


def change_date(now: datetime) -> str:
    """The day of a change in clinic time, for flag reasons."""
    return now.astimezone(clinic_info().rules.tz).date().isoformat()


def date_span(bookings: Sequence[BookingRef], schedule: Schedule) -> tuple[date, date]:
    local = [b.starts_at.astimezone(schedule.tz).date() for b in bookings]
    return min(local) - timedelta(days=1), max(local) + timedelta(days=1)


def slot_fit_errors(
    hours: Mapping[int, DayHours | None], slot_minutes: int, field: str | None = None
) -> dict:
    """An error per open weekday too short for one slot; keyed by `<day>_closes`, or by `field` if given."""
    length = timedelta(minutes=slot_minutes)
    errors = {}
    for weekday, day in hours.items():
        if day is None:
            continue
        span = datetime.combine(date.min, day.closes) - datetime.combine(date.min, day.opens)
        if span < length:
            if field:
                errors.setdefault(
                    field,
                    f"A {slot_minutes}-minute slot does not fit in {WEEKDAY_NAMES[weekday]}'s hours "
                    f"({hours_text(day)}). Shorten the slot or lengthen the hours first.",
                )
            else:
                errors[f"{WEEKDAY_KEYS[weekday]}_closes"] = (
                    f"A {slot_minutes}-minute slot must fit at least once: close at "
                    f"{(datetime.combine(date.min, day.opens) + length).time():%H:%M} or later."
                )
    return errors
