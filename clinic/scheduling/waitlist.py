"""Who is offered a freed seat: the waitlist's decision, with no database and no clock.

`run-jobs` loads the waiting entries and calls `choose_recipient` for each freed seat; the service then
holds the seat for the chosen patient. Fairness lives here, in one place: urgent first, then high, then
routine, then whoever joined first, and only patients the seat actually helps (their booking is later)
and suits (their wishes, read in the clinic's timezone). A seat inside the notice window is never
offered: nobody could accept it in time to come.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from clinic.scheduling.slots import Interval
from clinic.triage.enums import Priority

WAITLIST_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat")  # the clinic's days; index = date.weekday()
NOON = time(12)


class PartOfDay(StrEnum):
    ANY = "any"
    MORNING = "morning"  # starts before 12:00 local
    AFTERNOON = "afternoon"  # starts at 12:00 local or later


@dataclass(frozen=True, slots=True)
class Wishes:
    """What the patient asked for: not before `earliest`, on `days` (empty: any), in `part_of_day`."""

    earliest: date
    days: frozenset[str] = frozenset()
    part_of_day: PartOfDay = PartOfDay.ANY

    def __post_init__(self) -> None:
        unknown = set(self.days) - set(WAITLIST_DAYS)
        if unknown:
            raise ValueError(f"days are {', '.join(WAITLIST_DAYS)}")

    def match(self, slot: Interval, tz: ZoneInfo) -> bool:
        """Whether the slot's local start suits these wishes."""
        local = slot.starts_at.astimezone(tz)
        if local.date() < self.earliest:
            return False
        if self.days and (local.weekday() > 5 or WAITLIST_DAYS[local.weekday()] not in self.days):
            return False
        if self.part_of_day is PartOfDay.MORNING:
            return local.time() < NOON
        if self.part_of_day is PartOfDay.AFTERNOON:
            return local.time() >= NOON
        return True


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    """One patient waiting for an earlier time, with the start of the booking they hold now."""

    entry_id: int
    priority: Priority
    joined_at: datetime
    booked_at: datetime
    wishes: Wishes
    has_open_offer: bool = False


def queue_key(entry: WaitingEntry) -> tuple[int, datetime, int]:
    """Urgent, high, routine; then the earliest to join; the id settles a tie so the order is total."""
    return (entry.priority.rank, entry.joined_at.astimezone(UTC), entry.entry_id)


def in_queue_order(entries: Iterable[WaitingEntry]) -> list[WaitingEntry]:
    """The waitlist in the order seats are offered: what staff see on the waitlist page."""
    return sorted(entries, key=queue_key)


def inside_notice(slot: Interval, *, now: datetime, notice: timedelta) -> bool:
    """Whether the slot starts before now + notice: too soon to offer to anyone."""
    return slot.starts_at.astimezone(UTC) < now.astimezone(UTC) + notice


def is_eligible(entry: WaitingEntry, slot: Interval, tz: ZoneInfo, *, passed: Collection[int] = ()) -> bool:
    """Whether `entry` may be offered `slot`: the seat is earlier than their booking, suits their
    wishes, they hold no open offer, and they have not already declined or let this seat's offer lapse."""
    return (
        entry.entry_id not in passed
        and not entry.has_open_offer
        and entry.booked_at.astimezone(UTC) > slot.starts_at.astimezone(UTC)
        and entry.wishes.match(slot, tz)
    )


def offer_expiry(slot: Interval, *, now: datetime, hold: timedelta, notice: timedelta) -> datetime:
    """When an offer of `slot` made at `now` lapses: after `hold`, or sooner when the slot would otherwise
    enter the notice window while the patient still holds it (an accepted seat is never inside it)."""
    return min(now.astimezone(UTC) + hold, slot.starts_at.astimezone(UTC) - notice)


def days_text(days: Collection[str]) -> str:
    """The wished days in the week's order, as stored: `mon,wed` (empty: any day)."""
    return ",".join(day for day in WAITLIST_DAYS if day in days)


def parse_days(text: str | None) -> frozenset[str]:
    """The stored days back as a set; unknown names are dropped."""
    return frozenset(day for day in (text or "").split(",") if day in WAITLIST_DAYS)


def choose_recipient(
    slot: Interval,
    entries: Iterable[WaitingEntry],
    *,
    now: datetime,
    notice: timedelta,
    timezone: str | ZoneInfo,
    passed: Collection[int] = (),
) -> WaitingEntry | None:
    """The entry to offer the freed `slot` to, or None when the slot is inside the notice window or
    nobody eligible waits. `passed`: entry ids that already declined or let lapse an offer of it."""
    if inside_notice(slot, now=now, notice=notice):
        return None
    tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    eligible = [entry for entry in entries if is_eligible(entry, slot, tz, passed=passed)]
    return min(eligible, key=queue_key, default=None)
