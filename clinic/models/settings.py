from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.types import UTCDateTime
from clinic.timeutil import utcnow


def both_or_neither(start: str, end: str) -> str:
    """A CHECK for an optional time range: both columns empty, or both set with the end after the start."""
    neither = f"{start} IS NULL AND {end} IS NULL"
    return f"({neither}) OR ({start} IS NOT NULL AND {end} IS NOT NULL AND {end} > {start})"


class ClinicSettings(db.Model):
    """The clinic's one row of booking rules and contact details (id is always 1)."""

    __tablename__ = "clinic_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("slot_minutes BETWEEN 10 AND 240", name="slot_minutes_range"),
        sa.CheckConstraint("capacity BETWEEN 1 AND 20", name="capacity_range"),
        sa.CheckConstraint("min_notice_hours BETWEEN 0 AND 168", name="notice_range"),
        sa.CheckConstraint("horizon_days BETWEEN 1 AND 365", name="horizon_range"),
        sa.CheckConstraint("offer_minutes BETWEEN 5 AND 1440", name="offer_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(40))
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(300))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    slot_minutes: Mapped[int]
    capacity: Mapped[int]
    min_notice_hours: Mapped[int]
    horizon_days: Mapped[int]
    # How long a waitlist offer holds its seat for the patient it is offered to.
    offer_minutes: Mapped[int] = mapped_column(default=30, server_default=sa.text("30"))
    # Two-factor sign-in for every staff user, not only admins (who always need it).
    require_two_factor: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OpeningHours(db.Model):
    """One weekday's opening interval (Monday is 0); both times empty means closed all day."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint(both_or_neither("opens", "closes"), name="interval"),
    )

    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opens: Mapped[time | None]
    closes: Mapped[time | None]


class Closure(db.Model):
    """Dates the clinic is closed: whole days, or only a time range within each of those days."""

    __tablename__ = "closures"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="date_order"),
        sa.CheckConstraint(both_or_neither("start_time", "end_time"), name="time_order"),
        sa.Index("ix_closures_dates", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None


class ScheduleVersion(db.Model):
    """One number that changes whenever the offered slots may change (id is always 1).

    Database triggers (migration 0014) bump it in the same transaction as every write to the tables the
    offered slots are computed from: bookings, waitlist offers, settings, opening hours and closures,
    whatever code writes them. A cached answer of the slot picker or the API is kept under the version it
    was computed at, so a booking committed makes every older answer unreachable at once.
    """

    __tablename__ = "schedule_versions"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class CaseworkVersion(db.Model):
    """One number that changes whenever what the staff lists show may change (id is always 1).

    Database triggers (migration 0016) bump it in the same transaction as every write to the tables the
    staff queue and the chair board read: requests, notes, contacts, check-ins, staff accounts, chairs,
    treatment kinds, REMS enrolments, courses, sessions, bookings and the waitlist. A colleague's rendered
    page is kept under it (and the schedule version), so any such write makes every older page unreachable.
    """

    __tablename__ = "casework_versions"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
