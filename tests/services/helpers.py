"""Small helpers for service tests that run inside an app context (the `ctx` fixture)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from clinic.extensions import db
from clinic.models import Booking, ClinicSettings, ConsultationRequest

NY = ZoneInfo("America/New_York")  # the default clinic's timezone


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the clinic's timezone in November 2026, the month most service tests live in."""
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def get(request_id: int) -> ConsultationRequest:
    return db.session.get(ConsultationRequest, request_id)


def set_capacity(capacity: int) -> None:
    db.session.execute(update(ClinicSettings).values(capacity=capacity))
    db.session.commit()


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = NY) -> datetime:
    """The UTC instant of a wall-clock time on `day` in `tz` (the clinic's, by default)."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def booking_flag(app, booking_id: int) -> tuple[datetime | None, str | None]:
    """When and why a booking was flagged for staff, read in a context of its own."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        return booking.flagged_at, booking.flag_reason
