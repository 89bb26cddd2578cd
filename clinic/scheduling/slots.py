"""Which 30-minute (or other length) slots the clinic offers.

Everything here is plain data in, plain data out: the caller passes the opening hours, the closures,
the active bookings and `now`, so the rules are tested without a database or a frozen clock.

Times: the clinic's hours and closures are local wall-clock times in the clinic's timezone. Each day's
opening and closing instants are found with zoneinfo, and slots step in absolute time from the
opening instant, so a day after a DST change still opens at its local opening time and no slot is
ever longer or shorter than the slot length.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.scheduling.errors import OutsideOpeningHours, SlotUnavailable

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The clock's resolution: a slot offered at its start minus the notice is offered until just after it.
_INSTANT = timedelta(microseconds=1)
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # form field prefixes, audit keys


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of time between two aware instants, end excluded."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True, slots=True)
class DayHours:
    """One weekday's opening interval, local wall-clock time."""

    opens: time
    closes: time


def hours_text(day: DayHours | None) -> str:
    """A day's hours as the admin pages and the audit log write them: `08:00-17:30`, or `closed`."""
    return "closed" if day is None else f"{day.opens:%H:%M}-{day.closes:%H:%M}"


@dataclass(frozen=True, slots=True)
class ClosureRule:
    """Closed from start_date to end_date inclusive: whole days, or only start_time–end_time each day."""

    start_date: date
    end_date: date
    reason: str
    start_time: time | None = None
    end_time: time | None = None

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None or self.end_time is None

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class BookingRules:
    timezone: str = "America/New_York"
    slot_minutes: int = 30
    capacity: int = 1
    min_notice_hours: int = 2
    horizon_days: int = 60

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


@dataclass(frozen=True, slots=True)
class OfferedSlot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    remaining: int


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A day as patients see it: open or closed (and why), and the slots still offered."""

    date: date
    is_open: bool
    opens: time | None
    closes: time | None
    closure_reason: str | None = None
    part_closures: tuple[ClosureRule, ...] = ()
    slots: tuple[OfferedSlot, ...] = field(default=())

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.date.weekday()]


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; a time skipped by DST resolves to the later offset."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


# A slot is within the clinic's horizon of now; anything outside these years is refused at once, so no
# later step (a day before, a week after) can run off either end of the calendar (OverflowError).
EARLIEST_SLOT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_SLOT = datetime(9000, 1, 1, tzinfo=UTC)


def parse_slot(value: str) -> datetime:
    """Parse an ISO 8601 slot start with an offset; ValueError for anything else, the ends of the calendar
    included (0001-01-01T00:00:00+14:00 is before year 1 in UTC)."""
    if not isinstance(value, str) or not 16 <= len(value) <= 40:
        raise ValueError("not an ISO 8601 date and time")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("the time needs an offset from UTC")
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("that date and time is out of range") from None
    if not EARLIEST_SLOT <= instant < LATEST_SLOT:
        raise ValueError("that date and time is out of range")
    return instant


class _BookingIndex:
    """Active bookings sorted by start, to count those overlapping a slot in O(log n)."""

    def __init__(self, bookings: Iterable[Interval]) -> None:
        ordered = sorted(bookings, key=lambda b: b.starts_at)
        self._starts = [b.starts_at for b in ordered]
        self._ends = [b.ends_at for b in ordered]
        self._longest = max((b.ends_at - b.starts_at for b in ordered), default=timedelta(0))

    def count_overlapping(self, starts_at: datetime, ends_at: datetime) -> int:
        starts = self._starts
        if not starts:
            return 0
        # Only bookings starting within the longest booking before the slot can still run into it.
        first = bisect_left(starts, starts_at - self._longest)
        last = bisect_left(starts, ends_at, first)
        ends = self._ends
        count = 0
        for i in range(first, last):
            if ends[i] > starts_at:
                count += 1
        return count


class Schedule:
    """The clinic's hours, closures and rules; answers which slots are offered."""

    def __init__(
        self,
        hours: Mapping[int, DayHours | None],
        closures: Sequence[ClosureRule],
        rules: BookingRules,
    ) -> None:
        self.hours = {weekday: hours.get(weekday) for weekday in range(7)}
        self.closures = tuple(closures)
        self.rules = rules
        self.tz = rules.tz
        self.length = rules.slot_length

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def _whole_day_closure(self, day: date) -> ClosureRule | None:
        return next((c for c in self.closures if c.is_whole_day and c.covers(day)), None)

    def _part_closures(self, day: date) -> tuple[ClosureRule, ...]:
        return tuple(c for c in self.closures if not c.is_whole_day and c.covers(day))

    def grid(self, day: date) -> list[Interval]:
        """Every slot of the day's hours, ignoring bookings, notice and horizon; closures removed."""
        length = self.length
        return [Interval(start, start + length) for start in self._slot_starts(day)]

    def _slot_starts(self, day: date) -> list[datetime]:
        """The UTC starts of the day's slots: from opening, one slot length apart, each ending by closing
        time, none overlapping a part-day closure."""
        hours = self.hours[day.weekday()]
        if hours is None or self._whole_day_closure(day):
            return []
        opens = local_instant(day, hours.opens, self.tz)
        closes = local_instant(day, hours.closes, self.tz)
        length = self.length
        starts = [opens + length * k for k in range(max((closes - opens) // length, 0))]
        blocked = [
            (local_instant(day, c.start_time, self.tz), local_instant(day, c.end_time, self.tz))
            for c in self._part_closures(day)
        ]
        if blocked:
            starts = [s for s in starts if not any(s < end and begin < s + length for begin, end in blocked)]
        return starts

    def plan(self, day: date, bookings: _BookingIndex, now: datetime) -> DayPlan:
        hours = self.hours[day.weekday()]
        whole = self._whole_day_closure(day)
        if hours is None or whole is not None:
            return DayPlan(day, False, None, None, closure_reason=whole.reason if whole else None)
        # In UTC: adding hours to a local aware datetime is wall-clock arithmetic, an hour off across DST.
        now = now.astimezone(UTC)
        earliest = now + timedelta(hours=self.rules.min_notice_hours)
        latest = now + timedelta(days=self.rules.horizon_days)
        capacity, length, overlapping = self.rules.capacity, self.length, bookings.count_overlapping
        offered = []
        for start in self._slot_starts(day):
            if start < earliest or start > latest:
                continue
            end = start + length
            remaining = capacity - overlapping(start, end)
            if remaining > 0:
                offered.append(OfferedSlot(start, end, remaining))
        return DayPlan(day, True, hours.opens, hours.closes, None, self._part_closures(day), tuple(offered))

    def availability(
        self, start: date, days: int, bookings: Iterable[Interval], *, now: datetime
    ) -> list[DayPlan]:
        """The plan of each of `days` days from `start`, with only the slots still offered at `now`."""
        index = _BookingIndex(bookings)
        return [self.plan(start + timedelta(days=offset), index, now) for offset in range(days)]

    def steady_until(self, first: date, last: date, now: datetime) -> datetime:
        """Until when (exclusive) the answers about days first..last computed at `now` stay true as the
        clock moves, bookings and rules unchanged: the first instant a slot of those days falls inside
        the minimum notice or enters the booking horizon, or a new day begins in the clinic's timezone
        (which moves "today"). A slot offered at `now` is offered until its start minus the notice
        included."""
        now = now.astimezone(UTC)
        notice = timedelta(hours=self.rules.min_notice_hours)
        horizon = timedelta(days=self.rules.horizon_days)
        today = self.today(now)
        until = local_instant(today + timedelta(days=1), time(0), self.tz)
        # Slots of days before today have started already; those a day past the horizon enter it only
        # after midnight.
        day, last = max(first, today), min(last, today + horizon + timedelta(days=1))
        while day <= last:
            for start in self._slot_starts(day):
                leaves, enters = start - notice + _INSTANT, start - horizon
                if now < leaves < until:
                    until = leaves
                if now < enters < until:
                    until = enters
            day += timedelta(days=1)
        return until

    def window(self, start: date, days: int) -> Interval:
        """The UTC span covering `days` local days from `start`: what to load bookings for."""
        return Interval(
            local_instant(start, time(0), self.tz) - timedelta(days=1),
            local_instant(start + timedelta(days=days), time(0), self.tz) + timedelta(days=1),
        )

    def offered(self, starts_at: datetime, bookings: Iterable[Interval], *, now: datetime) -> OfferedSlot:
        """The offered slot starting at `starts_at`, or SlotUnavailable saying why not."""
        day = starts_at.astimezone(self.tz).date()
        starts_at = starts_at.astimezone(UTC)
        if not any(slot.starts_at == starts_at for slot in self.grid(day)):
            raise OutsideOpeningHours(starts_at)
        plan = self.plan(day, _BookingIndex(bookings), now)
        for slot in plan.slots:
            if slot.starts_at == starts_at:
                return slot
        raise SlotUnavailable(starts_at)

    def nearest(
        self, target: datetime, bookings: Iterable[Interval], *, now: datetime, limit: int = 6
    ) -> list[OfferedSlot]:
        """The `limit` offered slots closest in time to `target`, in time order."""
        index = _BookingIndex(bookings)
        first = self.today(now)
        candidates = [
            slot
            for offset in range(self.rules.horizon_days + 1)
            for slot in self.plan(first + timedelta(days=offset), index, now).slots
        ]
        candidates.sort(key=lambda s: abs((s.starts_at - target).total_seconds()))
        return sorted(candidates[:limit], key=lambda s: s.starts_at)
