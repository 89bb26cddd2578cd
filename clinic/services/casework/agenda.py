"""The staff agenda: a day laid out slot by slot, or a week day by day, with closures and flagged bookings.

Three statements whatever the range: settings and hours, closures, and bookings with their requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from clinic.extensions import db
from clinic.models import Booking
from clinic.scheduling import ClosureRule, DayHours
from clinic.scheduling.slots import Interval, local_instant
from clinic.services.rules.read import clinic_info, closures_between, weekly_hours


@dataclass(slots=True)
class AgendaSlot:
    starts_at: datetime  # UTC
    ends_at: datetime
    closed_reason: str | None = None
    bookings: list[Booking] = field(default_factory=list)


@dataclass(slots=True)
class AgendaDay:
    date: date
    hours: DayHours | None
    closure: ClosureRule | None  # a whole-day closure
    part_closures: list[ClosureRule]
    slots: list[AgendaSlot]
    bookings: list[Booking]  # every active booking of the day, in time order
    off_grid: list[Booking]  # bookings that no slot of today's hours holds (left outside by a change)

    @property
    def is_open(self) -> bool:
        return self.hours is not None and self.closure is None


@dataclass(frozen=True, slots=True)
class Agenda:
    first: date
    days: list[AgendaDay]
    tz: ZoneInfo

    @property
    def booking_count(self) -> int:
        return sum(len(d.bookings) for d in self.days)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _bookings(first: date, days: int, tz: ZoneInfo) -> list[Booking]:
    starts = local_instant(first, time(0), tz)
    ends = local_instant(first + timedelta(days=days), time(0), tz)
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.request)
            .options(contains_eager(Booking.request))
            .where(Booking.cancelled_at.is_(None), Booking.starts_at >= starts, Booking.starts_at < ends)
            .order_by(Booking.starts_at, Booking.id)
        ).unique()
    )


def _layout(
    day: date,
    hours: DayHours | None,
    closures: list[ClosureRule],
    bookings: list[Booking],
    tz: ZoneInfo,
    length: timedelta,
) -> AgendaDay:
    whole = next((c for c in closures if c.is_whole_day and c.covers(day)), None)
    parts = [c for c in closures if not c.is_whole_day and c.covers(day)]
    slots: list[AgendaSlot] = []
    if hours is not None:
        start, closes = local_instant(day, hours.opens, tz), local_instant(day, hours.closes, tz)
        blocked = [
            (Interval(local_instant(day, c.start_time, tz), local_instant(day, c.end_time, tz)), c.reason)
            for c in parts
        ]
        while start + length <= closes:
            slot = Interval(start, start + length)
            reason = whole.reason if whole else next((r for b, r in blocked if slot.overlaps(b)), None)
            slots.append(AgendaSlot(start, start + length, reason))
            start += length
    by_start = {slot.starts_at: slot for slot in slots}
    off_grid = []
    for booking in bookings:
        slot = by_start.get(booking.starts_at)
        if slot is None:
            off_grid.append(booking)
        else:
            slot.bookings.append(booking)
    return AgendaDay(day, hours, whole, parts, slots, bookings, off_grid)


def agenda(first: date, days: int) -> Agenda:
    """`days` days from `first` in the clinic's timezone."""
    info = clinic_info()
    tz = info.rules.tz
    hours = weekly_hours()
    closures = closures_between(first, first + timedelta(days=days - 1))
    per_day: dict[date, list[Booking]] = {first + timedelta(days=i): [] for i in range(days)}
    for booking in _bookings(first, days, tz):
        per_day.setdefault(booking.starts_at.astimezone(tz).date(), []).append(booking)
    return Agenda(
        first,
        [
            _layout(day, hours[day.weekday()], closures, per_day[day], tz, info.rules.slot_length)
            for day in sorted(per_day)
        ],
        tz,
    )


__all__ = ["Agenda", "AgendaDay", "AgendaSlot", "agenda", "monday_of"]
