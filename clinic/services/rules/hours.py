"""Opening hours: change the week's hours safely, flagging the bookings a change leaves outside."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import OpeningHours
from clinic.scheduling import WEEKDAY_KEYS, DayHours, Schedule, hours_text
from clinic.scheduling.fit import left_outside
from clinic.services import unit_of_work
from clinic.services.booking import openings
from clinic.services.rules import changes, read


def offers_new_times(
    before: Mapping[int, DayHours | None], after: Mapping[int, DayHours | None], slot_minutes: int
) -> bool:
    """Whether the new week offers a slot start the old one did not: a day opened, opening earlier, closing
    later, or a slot grid that moved (an opening time off the old grid)."""
    for weekday in range(7):
        old, new = before.get(weekday), after.get(weekday)
        if new is None:
            continue
        if old is None or new.opens < old.opens or new.closes > old.closes:
            return True
        shift = (new.opens.hour - old.opens.hour) * 60 + new.opens.minute - old.opens.minute
        if shift % slot_minutes:
            return True
    return False


def preview_hours(new_hours: Mapping[int, DayHours | None], *, now: datetime) -> list[changes.BookingRef]:
    """Active future bookings that `new_hours` would leave outside; AdminChangeError if a slot won't fit."""
    info = read.clinic_info()
    errors = changes.slot_fit_errors(new_hours, info.slot_minutes)
    if errors:
        raise changes.AdminChangeError(errors)
    bookings = changes.active_bookings_from(now)
    if not bookings:
        return []
    current_hours = read.stored_hours()
    first, last = changes.date_span(bookings, Schedule(current_hours, (), info.rules))
    closures = read.closures_between(first, last)
    current = Schedule(current_hours, closures, info.rules)
    proposed = Schedule(dict(new_hours), closures, info.rules)
    return left_outside(current, proposed, bookings)


def update_hours(
    new_hours: Mapping[int, DayHours | None], *, actor_id: int | None, now: datetime, confirmed: bool
) -> list[int] | None:
    """Save the week's hours. Returns the ids of the bookings flagged, or None when nothing changed.

    Raises ConfirmationNeeded (nothing saved) when bookings would be left outside and `confirmed` is false.
    """
    with unit_of_work():
        before = read.stored_hours()
        new_hours = {weekday: new_hours.get(weekday) for weekday in range(7)}
        if before == new_hours:
            return None
        affected = preview_hours(new_hours, now=now)
        changes.confirm_bookings_or_raise(affected, confirmed=confirmed)
        rows = {row.weekday: row for row in db.session.scalars(select(OpeningHours))}
        for weekday, day in new_hours.items():
            row = rows.get(weekday) or OpeningHours(weekday=weekday)
            row.opens, row.closes = (day.opens, day.closes) if day else (None, None)
            db.session.add(row)
        if offers_new_times(before, new_hours, read.clinic_info().slot_minutes):
            horizon = timedelta(days=read.clinic_info().horizon_days + 1)
            openings.seats_freed(now, now + horizon, reason=openings.HOURS_WIDENED, now=now)
        flagged = changes.flag_and_record(
            affected,
            f"Outside opening hours after the change of {changes.change_date(now)}",
            now=now,
            action="admin.hours",
            actor_id=actor_id,
            record_type="opening_hours",
            details={
                "before": {key: hours_text(before[i]) for i, key in enumerate(WEEKDAY_KEYS)},
                "after": {key: hours_text(new_hours[i]) for i, key in enumerate(WEEKDAY_KEYS)},
            },
        )
    read.forget()
    return flagged
