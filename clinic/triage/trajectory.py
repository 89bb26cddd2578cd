"""A patient's PHQ-9 over the course: change from baseline, response, remission, and a chart as data.

Measurement-based care reads the trend, not one score, so each check-in is set against the intake's
baseline. Response is a drop of at least half the baseline score, remission a score below 5 (the
minimal band). Integer arithmetic decides response, so 27 → 13 is one (a drop of 14 ≥ 13.5) and a
baseline of 0 divides nothing: there is nothing to halve, so no response, though remission still holds.

The chart is plain numbers for a template to draw as server-side SVG (no JavaScript, no chart
library); the points double as the rows of the table alternative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.triage.enums import Phq9Band
from clinic.triage.screening import band_for

MAX_SCORE = 27
REMISSION_BELOW = 5


def _check_score(score: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError("a PHQ-9 score is a whole number")
    band_for(score)  # raises for anything outside 0–27
    return score


def _check_instant(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("check-in times need a timezone")
    return at.astimezone(UTC)


def is_response(baseline: int, score: int) -> bool:
    """A drop of at least 50% from a baseline above 0."""
    return baseline > 0 and 2 * (baseline - score) >= baseline


def is_remission(score: int) -> bool:
    return score < REMISSION_BELOW


@dataclass(frozen=True, slots=True)
class TrajectoryPoint:
    at: datetime  # UTC
    score: int
    band: Phq9Band
    change: int  # score minus baseline: negative is better
    change_percent: int | None  # rounded; None with a baseline of 0
    response: bool
    remission: bool


@dataclass(frozen=True, slots=True)
class Trajectory:
    baseline: int
    baseline_at: datetime | None
    points: tuple[TrajectoryPoint, ...]  # the check-ins in time order, baseline not included

    @property
    def baseline_band(self) -> Phq9Band:
        return band_for(self.baseline)

    @property
    def response_threshold(self) -> float | None:
        """Scores at or below this are a response; None when the baseline is 0."""
        return self.baseline / 2 if self.baseline > 0 else None

    @property
    def latest(self) -> TrajectoryPoint | None:
        return self.points[-1] if self.points else None

    @property
    def latest_change(self) -> int | None:
        """The latest score minus the baseline, for the queue row; None before any check-in."""
        return self.points[-1].change if self.points else None

    @property
    def first_response(self) -> TrajectoryPoint | None:
        return next((p for p in self.points if p.response), None)

    @property
    def first_remission(self) -> TrajectoryPoint | None:
        return next((p for p in self.points if p.remission), None)


def build_trajectory(
    baseline: int, check_ins: Iterable[tuple[datetime, int]], *, baseline_at: datetime | None = None
) -> Trajectory:
    """Each check-in (when, score) set against the baseline; check-ins are put in time order."""
    baseline = _check_score(baseline)
    ordered = sorted(
        ((_check_instant(at), _check_score(score)) for at, score in check_ins), key=lambda c: c[0]
    )
    points = tuple(
        TrajectoryPoint(
            at=at,
            score=score,
            band=band_for(score),
            change=score - baseline,
            change_percent=round(100 * (score - baseline) / baseline) if baseline else None,
            response=is_response(baseline, score),
            remission=is_remission(score),
        )
        for at, score in ordered
    )
    return Trajectory(baseline, _check_instant(baseline_at) if baseline_at else None, points)


# The chart --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    at: datetime  # local, for the label and the table
    score: int
    is_baseline: bool
    response: bool
    remission: bool


@dataclass(frozen=True, slots=True)
class ChartLine:
    """A horizontal reference line across the plot at a score."""

    kind: str  # "baseline", "response" or "remission"
    y: float
    score: float
    label: str


@dataclass(frozen=True, slots=True)
class Tick:
    position: float  # x for the time axis, y for the score axis
    label: str


@dataclass(frozen=True, slots=True)
class SessionMark:
    x: float
    at: datetime  # local


@dataclass(frozen=True, slots=True)
class TrajectoryChart:
    width: int
    height: int
    left: int  # the plot's edges in the SVG's coordinates
    top: int
    right: int
    bottom: int
    points: tuple[ChartPoint, ...]  # the baseline (when its time is known) first, then the check-ins
    polyline: str  # "x,y x,y …" for <polyline points="…">
    lines: tuple[ChartLine, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    sessions: tuple[SessionMark, ...]
    summary: str  # the chart in words, for its <desc>


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def trajectory_chart(
    trajectory: Trajectory,
    *,
    timezone: str | ZoneInfo,
    sessions: Iterable[datetime] = (),
    width: int = 640,
    height: int = 280,
) -> TrajectoryChart:
    """Lay out the trajectory: time runs left to right over whole local days (so a single check-in still
    has room), scores 0 at the bottom to 27 at the top, with the baseline, response and remission lines
    and the treatment sessions marked on the time axis."""
    tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    left, top, right, bottom = 44, 16, width - 16, height - 36
    session_times = sorted(_check_instant(s) for s in sessions)
    instants = [p.at for p in trajectory.points] + session_times
    if trajectory.baseline_at is not None:
        instants.append(trajectory.baseline_at)
    if instants:
        first_day = min(instants).astimezone(tz).date()
        last_day = max(instants).astimezone(tz).date()
    else:
        first_day = last_day = date(2000, 1, 1)
    start = _local_midnight(first_day, tz)
    span = _local_midnight(last_day + timedelta(days=1), tz) - start

    def x_of(at: datetime) -> float:
        return round(left + (right - left) * ((at - start) / span), 1)

    def y_of(score: float) -> float:
        return round(top + (bottom - top) * (MAX_SCORE - score) / MAX_SCORE, 1)

    points = []
    baseline = trajectory.baseline
    if trajectory.baseline_at is not None:
        points.append(
            ChartPoint(
                x_of(trajectory.baseline_at),
                y_of(baseline),
                trajectory.baseline_at.astimezone(tz),
                baseline,
                is_baseline=True,
                response=False,
                remission=is_remission(baseline),
            )
        )
    points.extend(
        ChartPoint(x_of(p.at), y_of(p.score), p.at.astimezone(tz), p.score, False, p.response, p.remission)
        for p in trajectory.points
    )
    lines = [ChartLine("baseline", y_of(baseline), baseline, f"Baseline {baseline}")]
    threshold = trajectory.response_threshold
    if threshold is not None:
        lines.append(ChartLine("response", y_of(threshold), threshold, f"Response: {threshold:g} or less"))
    lines.append(ChartLine("remission", y_of(REMISSION_BELOW), REMISSION_BELOW, "Remission: below 5"))

    days = (last_day - first_day).days + 1
    step = max(1, -(-days // 6))  # at most about six date labels
    x_ticks = tuple(
        Tick(x_of(_local_midnight(day, tz)), f"{day:%b} {day.day}")
        for day in (first_day + timedelta(days=k) for k in range(0, days + 1, step))
    )
    y_ticks = tuple(Tick(y_of(score), str(score)) for score in (0, 5, 10, 15, 20, MAX_SCORE))
    marks = tuple(SessionMark(x_of(s), s.astimezone(tz)) for s in session_times)
    return TrajectoryChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        points=tuple(points),
        polyline=" ".join(f"{p.x:g},{p.y:g}" for p in points),
        lines=tuple(lines),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        sessions=marks,
        summary=_summary(trajectory, tz),
    )


def _summary(trajectory: Trajectory, tz: ZoneInfo) -> str:
    parts = [f"PHQ-9 baseline {trajectory.baseline}."]
    latest = trajectory.latest
    if latest is None:
        parts.append("No check-in yet.")
        return " ".join(parts)
    day = latest.at.astimezone(tz).date()
    if latest.change < 0:
        change = f"down {-latest.change}"
    elif latest.change > 0:
        change = f"up {latest.change}"
    else:
        change = "no change"
    if latest.change_percent is not None and latest.change:
        change += f" ({abs(latest.change_percent)}%)"
    parts.append(
        f"{len(trajectory.points)} check-in{'s' if len(trajectory.points) != 1 else ''}; "
        f"latest {latest.score} on {day:%B} {day.day}, {change}."
    )
    if latest.remission:
        parts.append("In remission (below 5).")
    elif latest.response:
        parts.append("Response (a drop of at least half).")
    elif trajectory.first_response is not None:
        parts.append("Responded earlier, not at the latest check-in.")
    else:
        parts.append("No response yet.")
    return " ".join(parts)
