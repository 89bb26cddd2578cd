"""Sentences about the clinic's week, written from its opening hours (never typed into a page)."""

from collections.abc import Mapping

from babel.dates import get_day_names
from flask_babel import get_locale, gettext

from clinic.scheduling import WEEKDAY_NAMES, DayHours


def weekday_name(day: int) -> str:
    """A weekday's name (0 is Monday) in the page's language; English keeps the clinic's own names."""
    locale = get_locale()
    if locale is None or locale.language == "en":
        return WEEKDAY_NAMES[day]
    return str(get_day_names("wide", locale=locale)[day])


def _join(names: list[str]) -> str:
    """Names joined as a sentence says them: "Monday", "Monday and Friday", "Monday, Wednesday and Friday"
    (in Spanish "lunes y viernes")."""
    if len(names) == 1:
        return names[0]
    return gettext("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1])


def closed_days(hours: Mapping[int, DayHours | None]) -> list[str]:
    """The weekdays the clinic is closed every week, Monday first."""
    return [weekday_name(day) for day in range(7) if hours.get(day) is None]


def open_days(hours: Mapping[int, DayHours | None]) -> str:
    """The open weekdays, runs of three or more as a range: "Monday to Saturday", "Monday, Wednesday and
    Friday", "Monday to Thursday and Saturday" (in the page's language)."""
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
            parts.append(
                gettext("%(first)s to %(last)s", first=weekday_name(run[0]), last=weekday_name(run[-1]))
            )
        else:
            parts.extend(weekday_name(day) for day in run)
    return _join(parts) if parts else ""


def week_summary(hours: Mapping[int, DayHours | None]) -> str:
    """One sentence for a page description: "Open Monday to Saturday; closed on Sunday."."""
    opened, closed = open_days(hours), closed_days(hours)
    if not opened:
        return gettext("Opening hours are shown on our contact page.")
    if not closed:
        return gettext("Open %(days)s.", days=opened)
    return gettext("Open %(days)s; closed on %(closed)s.", days=opened, closed=_join(closed))
