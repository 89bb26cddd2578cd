"""Opening hours: change them safely, and find the bookings an admin change would leave outside.

The affected-bookings rule is shared by the hours, closures and settings pages: a booking still fits when its
start is a slot of the proposed schedule and the run of consecutive slots from there covers its end. Bookings
that no longer fit are kept and flagged for staff, never deleted or moved.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OpeningHours
from clinic.scheduling import DayHours, Interval, Schedule
from clinic.services.audit import record as audit
from clinic.services.rules import read as settings

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


def fits(
    schedule: Schedule, starts_at: datetime, ends_at: datetime, grids: dict[date, list[Interval]]
) -> bool:
    """Whether [starts_at, ends_at) is still bookable under `schedule` (grid slots cached in `grids`)."""
    day = starts_at.astimezone(schedule.tz).date()
    if day not in grids:
        grids[day] = schedule.grid(day)
    covered_to = None
    for slot in grids[day]:
        if covered_to is None:
            if slot.starts_at == starts_at:
                covered_to = slot.ends_at
        elif slot.starts_at == covered_to:
            covered_to = slot.ends_at
        if covered_to is not None and covered_to >= ends_at:
            return True
    return False


def left_outside(current: Schedule, proposed: Schedule, bookings: Iterable[BookingRef]) -> list[BookingRef]:
    """The bookings that `proposed` leaves outside the offered times and that staff do not know about yet.

    A booking already outside the current schedule and already flagged is not listed again.
    """
    now_grids: dict[date, list[Interval]] = {}
    new_grids: dict[date, list[Interval]] = {}
    affected = []
    for booking in bookings:
        if fits(proposed, booking.starts_at, booking.ends_at, new_grids):
            continue
        if booking.is_flagged and not fits(current, booking.starts_at, booking.ends_at, now_grids):
            continue
        affected.append(booking)
    return sorted(affected, key=lambda b: (b.starts_at, b.booking_id))


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


def change_date(now: datetime) -> str:
    """The day of a change in clinic time, for flag reasons."""
    return now.astimezone(settings.clinic_info().rules.tz).date().isoformat()


def date_span(bookings: Sequence[BookingRef], schedule: Schedule) -> tuple[date, date]:
    local = [b.starts_at.astimezone(schedule.tz).date() for b in bookings]
    return min(local) - timedelta(days=1), max(local) + timedelta(days=1)


def read_hours() -> dict[int, DayHours | None]:
    """The stored week, read fresh (not the per-request copy)."""
    hours: dict[int, DayHours | None] = dict.fromkeys(range(7))
    for row in db.session.scalars(select(OpeningHours)):
        if row.opens is not None and row.closes is not None:
            hours[row.weekday] = DayHours(row.opens, row.closes)
    return hours


def describe(day: DayHours | None) -> str:
    return "closed" if day is None else f"{day.opens:%H:%M}-{day.closes:%H:%M}"


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
            name = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[weekday]
            if field:
                errors.setdefault(
                    field,
                    f"A {slot_minutes}-minute slot does not fit in {name}'s hours "
                    f"({describe(day)}). Shorten the slot or lengthen the hours first.",
                )
            else:
                errors[f"{WEEKDAY_KEYS[weekday]}_closes"] = (
                    f"A {slot_minutes}-minute slot must fit at least once: close at "
                    f"{(datetime.combine(date.min, day.opens) + length).time():%H:%M} or later."
                )
    return errors


def preview_hours(new_hours: Mapping[int, DayHours | None], *, now: datetime) -> list[BookingRef]:
    """Active future bookings that `new_hours` would leave outside; AdminChangeError if a slot won't fit."""
    info = settings.clinic_info()
    errors = slot_fit_errors(new_hours, info.slot_minutes)
    if errors:
        raise AdminChangeError(errors)
    bookings = active_bookings_from(now)
    if not bookings:
        return []
    current_hours = read_hours()
    first, last = date_span(bookings, Schedule(current_hours, (), info.rules))
    closures = settings.closures_between(first, last)
    current = Schedule(current_hours, closures, info.rules)
    proposed = Schedule(dict(new_hours), closures, info.rules)
    return left_outside(current, proposed, bookings)


def update_hours(
    new_hours: Mapping[int, DayHours | None], *, actor_id: int | None, now: datetime, confirmed: bool
) -> list[int] | None:
    """Save the week's hours. Returns the ids of the bookings flagged, or None when nothing changed.

    Raises ConfirmationNeeded (nothing saved) when bookings would be left outside and `confirmed` is false.
    """
    before = read_hours()
    new_hours = {weekday: new_hours.get(weekday) for weekday in range(7)}
    if before == new_hours:
        return None
    affected = preview_hours(new_hours, now=now)
    if affected and not confirmed:
        db.session.rollback()
        raise ConfirmationNeeded(affected)
    rows = {row.weekday: row for row in db.session.scalars(select(OpeningHours))}
    for weekday, day in new_hours.items():
        row = rows.get(weekday) or OpeningHours(weekday=weekday)
        row.opens, row.closes = (day.opens, day.closes) if day else (None, None)
        db.session.add(row)
    flagged = flag(affected, f"Outside opening hours after the change of {change_date(now)}", now=now)
    audit.record(
        "admin.hours",
        actor_id=actor_id,
        record_type="opening_hours",
        details={
            "before": {key: describe(before[i]) for i, key in enumerate(WEEKDAY_KEYS)},
            "after": {key: describe(new_hours[i]) for i, key in enumerate(WEEKDAY_KEYS)},
            "flagged_bookings": flagged,
        },
    )
    db.session.commit()
    settings.forget()
    return flagged


def parse_hhmm(value: str) -> time:
    """`HH:MM` (24-hour) to a time; ValueError otherwise."""
    value = (value or "").strip()
    if len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise ValueError("not HH:MM")
    return time(int(value[:2]), int(value[3:]))
