"""The peer comparison's layout, shared by both sides so that they book exactly the same times.

Standard library only: bench/peer_django.py imports it from inside the peer's own virtualenv.

One staff member (or one seat) working Mon–Sat 08:00–17:30 in 30-minute slots (19 a day, the last at
17:00), 60 days from tomorrow. N existing appointments are spread evenly over that grid; past one per
slot (2,000 appointments over ~980 slots) they wrap around, so a slot holds at most ceil(N / slots).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from math import ceil

DAYS = 60
OPENS = time(8, 0)
CLOSES = time(17, 30)
SLOT_MINUTES = 30
WORKDAYS = frozenset(range(6))  # Monday..Saturday (date.weekday())
APPOINTMENT_COUNTS = (0, 200, 2000)


def days_from(tomorrow: date) -> list[date]:
    return [tomorrow + timedelta(days=offset) for offset in range(DAYS)]


def grid(tomorrow: date) -> list[tuple[date, time]]:
    """Every slot start (local wall clock) of the 60 days, in time order."""
    slots = []
    for day in days_from(tomorrow):
        if day.weekday() not in WORKDAYS:
            continue
        start = datetime.combine(day, OPENS)
        while start + timedelta(minutes=SLOT_MINUTES) <= datetime.combine(day, CLOSES):
            slots.append((day, start.time()))
            start += timedelta(minutes=SLOT_MINUTES)
    return slots


def appointments(tomorrow: date, count: int) -> list[tuple[date, time, time]]:
    """`count` appointments (day, start, end), spread evenly over the grid, wrapping past one per slot."""
    slots = grid(tomorrow)
    chosen = []
    for i in range(count):
        index = (i * len(slots)) // count if count <= len(slots) else i % len(slots)
        day, start = slots[index]
        end = (datetime.combine(day, start) + timedelta(minutes=SLOT_MINUTES)).time()
        chosen.append((day, start, end))
    return chosen


def capacity_needed(tomorrow: date, count: int) -> int:
    """Seats per slot that hold `count` appointments without breaking this app's capacity constraint."""
    return max(1, ceil(count / len(grid(tomorrow))))
