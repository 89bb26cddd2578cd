"""Which bookings a change to hours, closures or booking rules would leave outside the offered times.

A booking still fits when its start is a slot of the proposed schedule and the run of consecutive slots
from there covers its end. Bookings that no longer fit are kept and flagged by the services, never
deleted or moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol, TypeVar

from clinic.scheduling.slots import Interval, Schedule


class HeldTime(Protocol):
    """A booking as the fit rule sees it."""

    @property
    def booking_id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def is_flagged(self) -> bool: ...


Held = TypeVar("Held", bound=HeldTime)


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


def left_outside(current: Schedule, proposed: Schedule, bookings: Iterable[Held]) -> list[Held]:
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
