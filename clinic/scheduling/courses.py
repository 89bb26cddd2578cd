"""Treatment courses: where each session of a series goes, in which chair, and what is wrong with a plan.

Plain data in, plain data out, like `slots`: the caller passes the clinic's `Schedule` (hours, closures,
notice, timezone), the active chairs, the chairs' existing holds and `now`. Nothing here reads a clock
or a database, so the rules are tested with hypothesis rather than with a frozen clock.

A session holds one chair from its start for dose + monitoring + turnover. It starts on a quarter hour
of local time, on an open day, at or after opening, and its dose and monitoring (the patient's time in
the chair) end by closing; the turnover (cleaning the chair) may run past closing, so 08:00–17:30
gives a last esketamine start of 15:15. The whole chair time, turnover included, keeps clear of
closures, since a closure means no staff. Instants are UTC; days and times of day are local. The
booking horizon is for patients choosing a consultation, not for staff booking a course: it is ignored.

Course patterns count days as local calendar dates ("at least 2 days apart": Monday then Wednesday,
whatever the hours), and weeks from the first session's date (week 1 is that date and the six after
it), so a course that starts on a Friday still has its two sessions in week 1.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict, Unpack

from clinic.scheduling.slots import ClosureRule, Interval, Schedule, local_instant

GRID = timedelta(minutes=15)
ESKETAMINE = "nasal_spray"
ESKETAMINE_MIN_MONITORING = timedelta(minutes=120)  # the REMS minimum, whatever an admin types
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TreatmentKind:
    """How long one session of a kind holds a chair: dose, then monitoring, then turnover."""

    name: str
    dose: timedelta
    monitoring: timedelta
    turnover: timedelta

    def __post_init__(self) -> None:
        if self.dose <= timedelta(0):
            raise ValueError("the dose takes some time")
        if self.monitoring < timedelta(0) or self.turnover < timedelta(0):
            raise ValueError("monitoring and turnover cannot be negative")
        if self.name == ESKETAMINE and self.monitoring < ESKETAMINE_MIN_MONITORING:
            raise ValueError("esketamine monitoring is at least 120 minutes (REMS)")

    @property
    def care(self) -> timedelta:
        """Dose plus monitoring: the patient's time in the chair, which must end by closing."""
        return self.dose + self.monitoring

    @property
    def occupancy(self) -> timedelta:
        """Dose, monitoring and turnover: how long the chair is held."""
        return self.dose + self.monitoring + self.turnover


@dataclass(frozen=True, slots=True)
class CoursePattern:
    """How many sessions, how far apart, and within which days.

    `within_days`: every session falls within that many days from the first's date (the first day
    counts as day 1). `per_week`: exactly that many sessions in each week, weeks counted from the first
    session's date. Either, both or neither may be set.
    """

    sessions: int
    min_gap_days: int = 2
    within_days: int | None = None
    per_week: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.sessions < 1 or self.min_gap_days < 1:
            raise ValueError("a course has at least one session, at most one a day")
        if self.per_week and (sum(self.per_week) != self.sessions or min(self.per_week) < 1):
            raise ValueError("the weekly counts must add up to the number of sessions")
        if self.per_week and (max(self.per_week) - 1) * self.min_gap_days >= 7:
            raise ValueError("that many sessions that far apart do not fit in a week")
        if self.within_days is not None and (self.sessions - 1) * self.min_gap_days >= self.within_days:
            raise ValueError("that many sessions that far apart do not fit in the course's days")

    def week_of(self, number: int) -> int | None:
        """The 1-based week session `number` (1-based) belongs to, or None without weekly counts."""
        total = 0
        for week, count in enumerate(self.per_week, start=1):
            total += count
            if number <= total:
                return week
        return None

    def window(self, number: int, first_day: date) -> tuple[date, date]:
        """The dates session `number` may fall on, given the first session's date (an open end is
        `date.max`). Spacing from the session before is checked apart."""
        if not 1 <= number <= self.sessions:
            raise ValueError(f"the course has sessions 1 to {self.sessions}")
        if number == 1:
            return first_day, first_day
        lo, hi = first_day, date.max
        if self.within_days is not None:
            hi = first_day + timedelta(days=self.within_days - 1)
        week = self.week_of(number)
        if week is not None:
            lo = max(lo, first_day + timedelta(days=7 * (week - 1)))
            hi = min(hi, first_day + timedelta(days=7 * week - 1))
        return lo, hi


INFUSION_KIND = TreatmentKind("infusion", timedelta(minutes=40), timedelta(minutes=30), timedelta(minutes=15))
NASAL_SPRAY_KIND = TreatmentKind(
    ESKETAMINE, timedelta(minutes=15), timedelta(minutes=120), timedelta(minutes=15)
)
INFUSION_PATTERN = CoursePattern(6, min_gap_days=2, within_days=21)
NASAL_SPRAY_PATTERN = CoursePattern(12, min_gap_days=2, per_week=(2, 2, 2, 2, 1, 1, 1, 1))
DEFAULT_KINDS = {INFUSION_KIND.name: INFUSION_KIND, NASAL_SPRAY_KIND.name: NASAL_SPRAY_KIND}
DEFAULT_PATTERNS = {INFUSION_KIND.name: INFUSION_PATTERN, NASAL_SPRAY_KIND.name: NASAL_SPRAY_PATTERN}


@dataclass(frozen=True, slots=True)
class ChairHold:
    """A chair held from start to end (turnover included) by a booked session."""

    chair_id: int
    interval: Interval


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a session cannot be where it is: a stable code for tests and a sentence for staff."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ProposedSession:
    """Session `number` (1-based, as in /sessions/<n>) at `starts_at` in `chair_id`."""

    number: int
    starts_at: datetime  # UTC
    care_ends_at: datetime  # end of monitoring: discharge not before
    ends_at: datetime  # end of turnover: the chair is free again
    chair_id: int

    @property
    def hold(self) -> ChairHold:
        return ChairHold(self.chair_id, Interval(self.starts_at, self.ends_at))


@dataclass(frozen=True, slots=True)
class MissingSession:
    """A session the pattern needs but no chair and time allow between `earliest` and `latest`."""

    number: int
    earliest: date
    latest: date
    alternatives: tuple[ProposedSession, ...]  # the nearest starts that do fit, in time order


@dataclass(frozen=True, slots=True)
class CourseProposal:
    kind: TreatmentKind
    sessions: tuple[ProposedSession, ...]
    missing: tuple[MissingSession, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def starts(self) -> list[datetime]:
        return [s.starts_at for s in self.sessions]


@dataclass(frozen=True, slots=True)
class CheckedSession:
    number: int
    starts_at: datetime
    chair_id: int | None  # the first chair free for it, if any
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class CourseCheck:
    sessions: tuple[CheckedSession, ...]
    problems: tuple[Problem, ...]  # about the course as a whole, e.g. the number of sessions

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.sessions)


class CheckContext(TypedDict):
    """The keywords a session is checked with: the clinic's `schedule`, the chairs' `holds` (for a
    reschedule, without the session's own) and `now`."""

    schedule: Schedule
    holds: Iterable[ChairHold]
    now: datetime


class PlanContext(CheckContext):
    """The keywords a course is planned or checked with: those of `CheckContext` and the active `chairs`,
    in the order they are tried."""

    chairs: Sequence[int]


def hold_units(interval: Interval) -> list[datetime]:
    """The UTC quarter hours `interval` touches: one claim row each makes a double-held chair a unique
    violation in the database. Starts are on the grid, so claims clash exactly when intervals overlap."""
    first = _EPOCH + (interval.starts_at - _EPOCH) // GRID * GRID
    units = []
    unit = first
    while unit < interval.ends_at:
        units.append(unit)
        unit += GRID
    return units


def _fmt(at: time | datetime) -> str:
    return f"{at:%H:%M}"


class _Chairs:
    """Holds per chair, sorted by start, to answer "which chair is free for this span" in O(log n) as
    sessions are added: a course's search tries many starts against weeks of holds."""

    def __init__(self, chairs: Sequence[int], holds: Iterable[ChairHold]) -> None:
        self.order = list(dict.fromkeys(chairs))
        self.held: dict[int, list[tuple[datetime, datetime]]] = {}
        self.longest: dict[int, timedelta] = {}
        for hold in holds:
            self.add(hold)

    def is_free(self, chair_id: int, span: Interval) -> bool:
        held = self.held.get(chair_id)
        if not held:
            return True
        # Only holds starting within the chair's longest hold before the span can still run into it.
        first = bisect_left(held, (span.starts_at - self.longest[chair_id],))
        for starts_at, ends_at in held[first:]:
            if starts_at >= span.ends_at:
                break
            if ends_at > span.starts_at:
                return False
        return True

    def first_free(self, span: Interval) -> int | None:
        return next((chair for chair in self.order if self.is_free(chair, span)), None)

    def add(self, hold: ChairHold) -> None:
        span = hold.interval
        insort(self.held.setdefault(hold.chair_id, []), (span.starts_at, span.ends_at))
        length = span.ends_at - span.starts_at
        self.longest[hold.chair_id] = max(self.longest.get(hold.chair_id, length), length)


class _Day:
    """One local day's opening, closing and closures, for checking many starts."""

    def __init__(self, schedule: Schedule, day: date) -> None:
        tz = schedule.tz
        hours = schedule.hours[day.weekday()]
        self.day = day
        self.hours = hours
        self.whole: ClosureRule | None = next(
            (c for c in schedule.closures if c.is_whole_day and c.covers(day)), None
        )
        self.opens = local_instant(day, hours.opens, tz) if hours else None
        self.closes = local_instant(day, hours.closes, tz) if hours else None
        self.parts = [
            (c, Interval(local_instant(day, c.start_time, tz), local_instant(day, c.end_time, tz)))
            for c in schedule.closures
            if not c.is_whole_day and c.covers(day) and c.start_time is not None and c.end_time is not None
        ]


def _timing_problems(
    kind: TreatmentKind, starts_at: datetime, day: _Day, tz_local: datetime, earliest: datetime
) -> list[Problem]:
    problems = []
    if tz_local.minute % 15 or tz_local.second or tz_local.microsecond:
        problems.append(Problem("off_grid", "Sessions start on the quarter hour."))
    if day.hours is None or day.opens is None or day.closes is None:
        problems.append(Problem("closed_day", "The clinic is closed that day."))
    elif day.whole is not None:
        problems.append(Problem("closure", f"The clinic is closed that day: {day.whole.reason}."))
    else:
        if starts_at < day.opens:
            problems.append(Problem("before_opening", f"The clinic opens at {_fmt(day.hours.opens)}."))
        if starts_at + kind.care > day.closes:
            problems.append(
                Problem("after_closing", f"Monitoring would end after closing at {_fmt(day.hours.closes)}.")
            )
        span = Interval(starts_at, starts_at + kind.occupancy)
        for closure, blocked in day.parts:
            if span.overlaps(blocked):
                problems.append(
                    Problem(
                        "closure",
                        f"The clinic is closed {_fmt(closure.start_time or time())}–"
                        f"{_fmt(closure.end_time or time())}: {closure.reason}.",
                    )
                )
    if starts_at < earliest:
        problems.append(Problem("notice", "That is too soon: it is inside the booking notice."))
    return problems


def _earliest(schedule: Schedule, now: datetime) -> datetime:
    # In UTC: adding hours to a local aware datetime is wall-clock arithmetic, an hour off across DST.
    return now.astimezone(UTC) + timedelta(hours=schedule.rules.min_notice_hours)


def session_problems(
    kind: TreatmentKind,
    starts_at: datetime,
    chair_id: int,
    *,
    schedule: Schedule,
    holds: Iterable[ChairHold],
    now: datetime,
) -> tuple[Problem, ...]:
    """Everything that keeps a session of `kind` from starting at `starts_at` in `chair_id`; empty if it
    fits. For a reschedule, leave the session's own hold out of `holds`."""
    starts_at = starts_at.astimezone(UTC)
    local = starts_at.astimezone(schedule.tz)
    problems = _timing_problems(
        kind, starts_at, _Day(schedule, local.date()), local, _earliest(schedule, now)
    )
    if not _Chairs([chair_id], holds).is_free(chair_id, Interval(starts_at, starts_at + kind.occupancy)):
        problems.append(Problem("chair_taken", "The chair is taken for part of that time."))
    return tuple(problems)


def session_fits(
    kind: TreatmentKind, starts_at: datetime, chair_id: int, **context: Unpack[CheckContext]
) -> bool:
    """Whether a session of `kind` may start at `starts_at` in `chair_id`: `session_problems` finds none."""
    return not session_problems(kind, starts_at, chair_id, **context)


def free_chair(
    kind: TreatmentKind, starts_at: datetime, chairs: Sequence[int], holds: Iterable[ChairHold]
) -> int | None:
    """The first of `chairs` (in the order given) free for the whole session, or None."""
    starts_at = starts_at.astimezone(UTC)
    return _Chairs(chairs, holds).first_free(Interval(starts_at, starts_at + kind.occupancy))


class _Planner:
    """Finds starts for one kind, chair by chair, remembering the sessions it has placed."""

    def __init__(
        self,
        kind: TreatmentKind,
        schedule: Schedule,
        chairs: Sequence[int],
        holds: Iterable[ChairHold],
        now: datetime,
    ) -> None:
        self.kind = kind
        self.schedule = schedule
        self.tz = schedule.tz
        self.chairs = _Chairs(chairs, holds)
        self.earliest = _earliest(schedule, now)

    def session(self, number: int, starts_at: datetime, chair_id: int) -> ProposedSession:
        kind = self.kind
        return ProposedSession(number, starts_at, starts_at + kind.care, starts_at + kind.occupancy, chair_id)

    def starts(self, day: date) -> list[datetime]:
        """The day's starts that fit hours, closures and notice, whatever the chairs."""
        info = _Day(self.schedule, day)
        if info.hours is None or info.whole is not None or info.opens is None or info.closes is None:
            return []
        opens = info.hours.opens.hour * 60 + info.hours.opens.minute
        first = -(-opens // 15) * 15  # the first quarter hour at or after opening
        if first >= 24 * 60:
            return []
        # Quarter hours are whole UTC quarter hours in every zone, so stepping in UTC stays on the grid.
        start = local_instant(day, time(first // 60, first % 60), self.tz)
        found = []
        while start + self.kind.care <= info.closes:
            local = start.astimezone(self.tz)
            if local.date() == day and not _timing_problems(self.kind, start, info, local, self.earliest):
                found.append(start)
            start += GRID
        return found

    def place(self, number: int, first: date, last: date, preferred: time) -> ProposedSession | None:
        """At the preferred time on the first day with a free chair, else the nearest free start that
        day (the earlier on a tie), else the next day; the session then holds its chair."""
        day = first
        while day <= last:
            target = local_instant(day, preferred, self.tz)
            for start in sorted(self.starts(day), key=lambda s, t=target: (abs(s - t), s)):
                chair = self.chairs.first_free(Interval(start, start + self.kind.occupancy))
                if chair is not None:
                    session = self.session(number, start, chair)
                    self.chairs.add(session.hold)
                    return session
            day += timedelta(days=1)
        return None

    def nearest(
        self, number: int, target: datetime, avoid: set[date], *, limit: int, days: int
    ) -> tuple[ProposedSession, ...]:
        """Up to `limit` starts (each with a free chair) closest to `target` within `days` days either
        side, skipping the dates in `avoid`, in time order."""
        centre = target.astimezone(self.tz).date()
        found = []
        for offset in range(-days, days + 1):
            day = centre + timedelta(days=offset)
            if day in avoid:
                continue
            for start in self.starts(day):
                chair = self.chairs.first_free(Interval(start, start + self.kind.occupancy))
                if chair is not None:
                    found.append(self.session(number, start, chair))
        found.sort(key=lambda s: (abs(s.starts_at - target), s.starts_at))
        return tuple(sorted(found[:limit], key=lambda s: s.starts_at))


def propose_course(
    kind: TreatmentKind,
    pattern: CoursePattern,
    start_date: date,
    preferred_time: time,
    *,
    search_days: int = 60,
    alternatives: int = 6,
    **context: Unpack[PlanContext],
) -> CourseProposal:
    """Place every session of the pattern from `start_date`, each as early as the pattern allows after
    the one placed before it, at `preferred_time` (local) or as near as that day allows.

    The first session is looked for in the `search_days` days from `start_date`; its date anchors the
    pattern's windows (or `start_date` does, if it cannot be placed). A session that cannot be placed
    is returned as missing, with the nearest starts that would fit and keep its distance from the
    placed ones, and the next session is spaced from the last one placed.
    """
    planner = _Planner(kind, **context)
    gap = timedelta(days=pattern.min_gap_days)
    placed: list[ProposedSession] = []
    unplaced: list[tuple[int, date, date]] = []
    anchor = start_date
    previous: date | None = None
    for number in range(1, pattern.sessions + 1):
        if number == 1:
            first, last = start_date, start_date + timedelta(days=search_days - 1)
        else:
            first, last = pattern.window(number, anchor)
            if previous is not None:
                first = max(first, previous + gap)
            if last == date.max:  # a pattern without an end still stops looking
                last = first + timedelta(days=search_days - 1)
        session = planner.place(number, first, last, preferred_time) if first <= last else None
        if session is None:
            unplaced.append((number, first, last))
            continue
        placed.append(session)
        previous = session.starts_at.astimezone(planner.tz).date()
        if number == 1:
            anchor = previous

    placed_days = [s.starts_at.astimezone(planner.tz).date() for s in placed]
    avoid = {
        day + timedelta(days=offset)
        for day in placed_days
        for offset in range(-pattern.min_gap_days + 1, pattern.min_gap_days)
    }
    missing = tuple(
        MissingSession(
            number,
            first,
            last,
            planner.nearest(
                number,
                local_instant(first, preferred_time, planner.tz),
                avoid,
                limit=alternatives,
                days=14,
            ),
        )
        for number, first, last in unplaced
    )
    return CourseProposal(kind, tuple(placed), missing)


def day_starts(
    kind: TreatmentKind,
    day: date,
    *,
    schedule: Schedule,
    now: datetime,
    chairs: Sequence[int] | None = None,
    holds: Iterable[ChairHold] = (),
) -> list[datetime]:
    """The local day's starts for `kind` that fit the hours, closures and notice (and, given `chairs`,
    leave one of them free): the choices staff get when they move a session."""
    planner = _Planner(kind, schedule, chairs or [], holds, now)
    starts = planner.starts(day)
    if chairs is None:
        return starts
    return [s for s in starts if planner.chairs.first_free(Interval(s, s + kind.occupancy)) is not None]


def nearest_starts(
    kind: TreatmentKind,
    target: datetime,
    *,
    limit: int = 6,
    days: int = 14,
    avoid: Iterable[date] = (),
    **context: Unpack[PlanContext],
) -> tuple[ProposedSession, ...]:
    """Up to `limit` free starts closest to `target`, each with its chair, skipping local dates in
    `avoid`: the alternatives a 409 offers for a session lost to another booking (numbered 0)."""
    planner = _Planner(kind, **context)
    return planner.nearest(0, target.astimezone(UTC), set(avoid), limit=limit, days=days)


def check_course(
    kind: TreatmentKind,
    pattern: CoursePattern,
    starts: Iterable[datetime],
    **context: Unpack[PlanContext],
) -> CourseCheck:
    """Check a course as staff adjusted it: each start (taken in time order) against the hours,
    closures, notice and chairs, and the whole against the pattern. Each session gets the first chair
    free for it, after the earlier sessions of the course took theirs."""
    planner = _Planner(kind, **context)
    ordered = sorted(s.astimezone(UTC) for s in starts)
    course: list[Problem] = []
    if len(ordered) != pattern.sessions:
        course.append(
            Problem(
                "session_count",
                f"The course has {pattern.sessions} sessions; {len(ordered)} were given.",
            )
        )
    checked = []
    first_day: date | None = None
    previous: date | None = None
    for number, starts_at in enumerate(ordered, start=1):
        local = starts_at.astimezone(planner.tz)
        day = local.date()
        problems = _timing_problems(kind, starts_at, _Day(planner.schedule, day), local, planner.earliest)
        span = Interval(starts_at, starts_at + kind.occupancy)
        chair = planner.chairs.first_free(span)
        if chair is None:
            problems.append(Problem("no_chair", "No chair is free for the whole session."))
        else:
            planner.chairs.add(ChairHold(chair, span))
        if previous is not None and (day - previous).days < pattern.min_gap_days:
            problems.append(
                Problem(
                    "too_close",
                    f"Sessions are at least {pattern.min_gap_days} days apart; "
                    f"session {number - 1} is on {previous.isoformat()}.",
                )
            )
        if number > pattern.sessions:
            problems.append(Problem("extra", f"The course has only {pattern.sessions} sessions."))
        elif first_day is not None:
            window = pattern.window(number, first_day)
            if not window[0] <= day <= window[1]:
                week = pattern.week_of(number)
                where = f"week {week} of the course" if week else f"the course's {pattern.within_days} days"
                problems.append(
                    Problem(
                        "outside_pattern",
                        f"Session {number} belongs in {where}: "
                        f"{window[0].isoformat()} to {window[1].isoformat()}.",
                    )
                )
        checked.append(CheckedSession(number, starts_at, chair, tuple(problems)))
        first_day = first_day or day
        previous = day
    return CourseCheck(tuple(checked), tuple(course))
