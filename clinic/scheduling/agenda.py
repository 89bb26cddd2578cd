"""The staff agenda laid out: a day slot by slot, with closures and the bookings no slot holds any more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from clinic.scheduling.slots import ClosureRule, DayHours, Interval, Schedule, local_instant


class Placed(Protocol):
    @property
    def starts_at(self) -> datetime: ...


B = TypeVar("B", bound=Placed)


@dataclass(slots=True)
class AgendaSlot(Generic[B]):
    starts_at: datetime  # UTC
    ends_at: datetime
    closed_reason: str | None = None
    bookings: list[B] = field(default_factory=list)


@dataclass(slots=True)
class AgendaDay(Generic[B]):
    date: date
    hours: DayHours | None
    closure: ClosureRule | None  # a whole-day closure
    part_closures: list[ClosureRule]
    slots: list[AgendaSlot[B]]
    bookings: list[B]  # every active booking of the day, in time order
    off_grid: list[B]  # bookings that no slot of today's hours holds (left outside by a change)

    @property
    def is_open(self) -> bool:
        return self.hours is not None and self.closure is None


@dataclass(frozen=True, slots=True)
class Agenda(Generic[B]):
    first: date
    days: list[AgendaDay[B]]
    tz: ZoneInfo

    @property
    def booking_count(self) -> int:
        return sum(len(d.bookings) for d in self.days)


def lay_out(schedule: Schedule, first: date, days: int, bookings: Sequence[B]) -> Agenda[B]:
    """`days` days from `first` in the schedule's timezone; `bookings` are the active ones, in time order."""
    per_day: dict[date, list[B]] = {first + timedelta(days=i): [] for i in range(days)}
    for booking in bookings:
        per_day.setdefault(booking.starts_at.astimezone(schedule.tz).date(), []).append(booking)
    return Agenda(first, [lay_out_day(schedule, day, per_day[day]) for day in sorted(per_day)], schedule.tz)


def lay_out_day(schedule: Schedule, day: date, bookings: list[B]) -> AgendaDay[B]:
    """Every slot of the day's hours (a slot inside a closure carries its reason), each with its bookings."""
    tz, length = schedule.tz, schedule.length
    hours = schedule.hours[day.weekday()]
    whole = next((c for c in schedule.closures if c.is_whole_day and c.covers(day)), None)
    parts = [c for c in schedule.closures if not c.is_whole_day and c.covers(day)]
    slots: list[AgendaSlot[B]] = []
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
