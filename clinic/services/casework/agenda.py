"""The staff agenda: a day slot by slot, or a week day by day, with closures and flagged bookings.

Three statements whatever the range: settings and hours, closures, and bookings with their requests.
The layout itself is the scheduling core's (`clinic.scheduling.agenda`).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from clinic.extensions import db
from clinic.models import Booking
from clinic.scheduling.agenda import Agenda, lay_out
from clinic.scheduling.slots import local_instant
from clinic.services.rules.read import schedule_for


def _bookings(first: date, days: int, tz: ZoneInfo) -> list[Booking]:
    starts = local_instant(first, time(0), tz)
    ends = local_instant(first + timedelta(days=days), time(0), tz)
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.request)
            .options(contains_eager(Booking.request))
            .where(Booking.cancelled_at.is_(None), Booking.starts_at >= starts, Booking.starts_at < ends)
            .order_by(Booking.starts_at, Booking.id)
        ).unique()
    )


def agenda(first: date, days: int) -> Agenda[Booking]:
    """`days` days from `first` in the clinic's timezone."""
    schedule = schedule_for(first, first + timedelta(days=days - 1))
    return lay_out(schedule, first, days, _bookings(first, days, schedule.tz))
