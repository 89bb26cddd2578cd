"""Sentences about the clinic's week, written from its opening hours (never typed into a page)."""

from collections.abc import Mapping

from babel.dates import get_day_names
from flask_babel import get_locale

from clinic.scheduling import WEEKDAY_NAMES, DayHours


def weekday_name(day: int) -> str:
    """A weekday's name (0 is Monday) in the page's language; English keeps the clinic's own names."""
    locale = get_locale()
    if locale is None or locale.language == "en":
        return WEEKDAY_NAMES[day]
    return str(get_day_names("wide", locale=locale)[day])


def _join(names: list[str], word: str) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def closed_days(hours: Mapping[int, DayHours | None]) -> list[str]:
    """The weekdays the clinic is closed every week, Monday first."""
    return [weekday_name(day) for day in range(7) if hours.get(day) is None]


def open_days(hours: Mapping[int, DayHours | None]) -> str:
    """The open weekdays, runs of three or more as a range: "Monday to Saturday", "Monday, Wednesday and
    Friday", "Monday to Thursday and Saturday"."""
    runs: list[list[int]] = []
    for day in range(7):
        if hours.get(day) is None:
            continue
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_NAMES[run[0]]} to {WEEKDAY_NAMES[run[-1]]}")
        else:
            parts.extend(WEEKDAY_NAMES[day] for day in run)
    return _join(parts, "and") if parts else ""


def week_summary(hours: Mapping[int, DayHours | None]) -> str:
    """One sentence for a page description: "Open Monday to Saturday; closed on Sunday."."""
    opened, closed = open_days(hours), closed_days(hours)
    if not opened:
        return "Opening hours are shown on our contact page."
    if not closed:
        return f"Open {opened}."
    return f"Open {opened}; closed on {_join(closed, 'and')}."
