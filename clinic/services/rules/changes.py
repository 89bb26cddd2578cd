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
from clinic.models import Booking, ClinicSettings, ConsultationRequest
from clinic.scheduling import WEEKDAY_KEYS, WEEKDAY_NAMES, BookingRules, DayHours, Schedule, hours_text
from clinic.scheduling.fit import fits
from clinic.services.audit.record import record
from clinic.services.rules.read import DEFAULTS, ClinicInfo, clinic_info, closures_between, stored_hours
from clinic.triage.enums import Priority


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


@dataclass(frozen=True, slots=True)
class AffectedBooking:
    """A booking an admin change affects, as the admin pages list it: whose it is, so the clinic can call."""

    booking_id: int
    request_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    name: str
    phone: str
    priority: Priority
    is_flagged: bool
    flag_reason: str | None = None
    flagged_at: datetime | None = None
    notified_at: datetime | None = None
    resolved_at: datetime | None = None


def describe(booking_ids: Sequence[int]) -> list[AffectedBooking]:
    """The bookings with their patient's name, phone and priority, urgent first, then by time: one query."""
    if not booking_ids:
        return []
    rows = db.session.execute(
        select(Booking, ConsultationRequest)
        .join(ConsultationRequest, Booking.request_id == ConsultationRequest.id)
        .where(Booking.id.in_(list(booking_ids)))
        .order_by(ConsultationRequest.priority_rank, Booking.starts_at, Booking.id)
    )
    return [
        AffectedBooking(
            booking_id=booking.id,
            request_id=consultation.id,
            reference=consultation.reference,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            name=consultation.full_name,
            phone=consultation.phone,
            priority=consultation.priority,
            is_flagged=booking.flagged_at is not None,
            flag_reason=booking.flag_reason,
            flagged_at=booking.flagged_at,
            notified_at=booking.flag_notified_at,
            resolved_at=booking.flag_resolved_at,
        )
        for booking, consultation in rows
    ]


def describe_refs(bookings: Sequence[BookingRef]) -> list[AffectedBooking]:
    return describe([b.booking_id for b in bookings])


def flag(bookings: Sequence[BookingRef], reason: str, *, now: datetime) -> list[int]:
    """Mark bookings for staff attention in the current transaction; returns their ids.

    A booking flagged again asks for attention again: an earlier resolution or email was about another change.
    """
    ids = [b.booking_id for b in bookings]
    if ids:
        for booking in db.session.scalars(select(Booking).where(Booking.id.in_(ids))):
            booking.flagged_at = now
            booking.flag_reason = reason[:200]
            booking.flag_resolved_at = None
            booking.flag_notified_at = None
    return ids


def _rules_in_force() -> BookingRules:
    """The booking rules as stored in this transaction (not the request's copy, which a change outdates)."""
    row = db.session.get(ClinicSettings, 1)
    values = {name: getattr(row, name) for name in DEFAULTS} if row is not None else DEFAULTS
    return ClinicInfo(**values).rules


def clear_flags_back_in_rules(*, now: datetime, actor_id: int | None, cause: str) -> list[int]:
    """Clear the flag of every active future booking that the rules, as changed in this transaction, offer
    again (the hours widened back, a closure removed); inner step. Each clearing is audited on its request.
    """
    flagged = db.session.execute(
        select(Booking.id, Booking.request_id, Booking.starts_at, Booking.ends_at).where(
            Booking.flagged_at.is_not(None), Booking.cancelled_at.is_(None), Booking.starts_at >= now
        )
    ).all()
    if not flagged:
        return []
    rules = _rules_in_force()
    tz = rules.tz
    days = [row.starts_at.astimezone(tz).date() for row in flagged]
    schedule = Schedule(
        stored_hours(),
        closures_between(min(days) - timedelta(days=1), max(days) + timedelta(days=1)),
        rules,
    )
    grids: dict = {}
    back = [row for row in flagged if fits(schedule, row.starts_at, row.ends_at, grids)]
    for row in back:
        booking = db.session.get(Booking, row.id)
        booking.flagged_at = booking.flag_reason = None
        booking.flag_notified_at = booking.flag_resolved_at = None
        record(
            "booking.flag_cleared",
            actor_id=actor_id,
            record_type="request",
            record_id=row.request_id,
            details={"booking_id": row.id, "by": cause},
        )
    return [row.id for row in back]


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
    """Flag the affected bookings with `reason`, clear the flags the change makes right again, and audit the
    change with the ids of both; returns the ids flagged."""
    flagged = flag(affected, reason, now=now)
    cleared = clear_flags_back_in_rules(now=now, actor_id=actor_id, cause=action)
    extra = {"cleared_flags": cleared} if cleared else {}
    record(
        action,
        actor_id=actor_id,
        record_type=record_type,
        record_id=record_id,
        details={**details, "flagged_bookings": flagged, **extra},
    )
    return flagged


def confirm_or_raise(affected: Sequence[BookingRef], *, confirmed: bool) -> None:
    """Ask first (ConfirmationNeeded, nothing saved) when the change affects bookings and is not confirmed."""
    if affected and not confirmed:
        raise ConfirmationNeeded(affected)


def confirm_bookings_or_raise(affected: Sequence[BookingRef], *, confirmed: bool) -> None:
    """confirm_or_raise for consultation bookings: the question lists whose they are (describe)."""
    if affected and not confirmed:
        raise ConfirmationNeeded(describe_refs(affected))


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
