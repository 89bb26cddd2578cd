"""Treatment courses: chairs, treatment kinds, REMS enrolments, courses, their sessions and chair claims.

A session holds one chair from its start for dose + monitoring + turnover. The database makes a double-held
chair impossible: each session inserts one `ChairClaim` row per 15-minute unit it touches (UTC quarter
hours, `clinic.scheduling.courses.hold_units`), under a unique constraint on (chair, unit). Two sessions
that overlap in one chair share a unit, so the second insert fails whatever the number of workers or
hosts. Cancelling a session deletes its claims; the session row stays, with who cancelled it and when.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.models.sealed import SealedRow
from clinic.models.types import Encrypted, UTCDateTime, enum_column
from clinic.timeutil import utcnow

if TYPE_CHECKING:
    from clinic.models.requests import ConsultationRequest
    from clinic.models.staff import StaffUser


class KindKey(StrEnum):
    """The treatment kinds the planner has patterns for (SPEC 11)."""

    INFUSION = "infusion"
    NASAL_SPRAY = "nasal_spray"


class CourseStatus(StrEnum):
    ACTIVE = "active"  # sessions still to come
    COMPLETED = "completed"  # no session left scheduled
    CANCELLED = "cancelled"  # every session cancelled

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-").capitalize()


# Who changed something on a session: the patient (by their link) or staff (with their id).
PATIENT = "patient"
STAFF = "staff"
ONE_ACTIVE_COURSE = "status = 'active'"
# The REMS minimum monitoring for esketamine, enforced by the database as well as by the planner.
ESKETAMINE_MONITORING_CHECK = "key <> 'nasal_spray' OR monitoring_minutes >= 120"


class Chair(db.Model):
    """A treatment chair. Deactivated chairs keep their sessions but get no new ones."""

    __tablename__ = "chairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TreatmentKind(db.Model):
    """How long a session of a kind holds a chair; admins edit the name and the minutes."""

    __tablename__ = "treatment_kinds"
    __table_args__ = (
        sa.CheckConstraint("dose_minutes BETWEEN 5 AND 240", name="dose_range"),
        sa.CheckConstraint("monitoring_minutes BETWEEN 0 AND 480", name="monitoring_range"),
        sa.CheckConstraint("turnover_minutes BETWEEN 0 AND 120", name="turnover_range"),
        sa.CheckConstraint(ESKETAMINE_MONITORING_CHECK, name="esketamine_monitoring"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[KindKey] = mapped_column(enum_column(KindKey, "kind_key"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    dose_minutes: Mapped[int]
    monitoring_minutes: Mapped[int]
    turnover_minutes: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def dose(self) -> timedelta:
        return timedelta(minutes=self.dose_minutes)

    @property
    def monitoring(self) -> timedelta:
        return timedelta(minutes=self.monitoring_minutes)

    @property
    def turnover(self) -> timedelta:
        return timedelta(minutes=self.turnover_minutes)


class RemsEnrolment(SealedRow, db.Model):
    """The patient's enrolment in the esketamine REMS program, recorded by staff before any such course."""

    __tablename__ = "rems_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"), unique=True
    )
    enrolled_on: Mapped[date]
    # The patient's REMS ID (at most 40 characters, rems.enrolment_errors): encrypted, never searched.
    rems_id: Mapped[str] = mapped_column(Encrypted("text", "rems_enrolments.rems_id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))

    request: Mapped[ConsultationRequest] = relationship()


class TreatmentCourse(db.Model):
    """A request's series of sessions of one kind, booked all at once. At most one active per request."""

    __tablename__ = "treatment_courses"
    __table_args__ = (
        sa.Index(
            "uq_treatment_courses_one_active",
            "request_id",
            unique=True,
            postgresql_where=sa.text(ONE_ACTIVE_COURSE),
            sqlite_where=sa.text(ONE_ACTIVE_COURSE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)  # signed into the course link
    # Signed into the link too: raising it ends every link sent before.
    token_version: Mapped[int] = mapped_column(default=1)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"), index=True
    )
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_kinds.id"))
    status: Mapped[CourseStatus] = mapped_column(
        enum_column(CourseStatus, "course_status"), default=CourseStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))

    request: Mapped[ConsultationRequest] = relationship()
    kind: Mapped[TreatmentKind] = relationship()
    sessions: Mapped[list[TreatmentSession]] = relationship(
        back_populates="course", order_by="TreatmentSession.number", cascade="all, delete-orphan"
    )


class TreatmentSession(db.Model):
    """One session of a course in one chair. Rescheduling moves it (and its claims); the row stays."""

    __tablename__ = "treatment_sessions"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("starts_at < care_ends_at AND care_ends_at <= ends_at", name="phases_in_order"),
        sa.Index("ix_treatment_sessions_starts", "starts_at", "status"),
        sa.Index("ix_treatment_sessions_reminder_due", "status", "reminder_sent_at", "starts_at"),
        sa.Index("ix_treatment_sessions_rems_due", "status", "rems_form_sent_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_courses.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1-based, as in /courses/<token>/sessions/<n>
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    care_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # end of monitoring: discharge not before
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # end of turnover: the chair is free again
    chair_id: Mapped[int] = mapped_column(sa.ForeignKey("chairs.id"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_by: Mapped[str | None] = mapped_column(sa.String(16))  # "patient" or "staff"
    status_by_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # Grows with every move or cancel, so calendars update the event instead of adding another.
    revision: Mapped[int] = mapped_column(default=0)
    driver_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    driver_confirmed_by: Mapped[str | None] = mapped_column(sa.String(16))  # "patient" or "staff"
    driver_confirmed_by_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rems_form_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rems_form_sent_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # Set when an admin change (a chair taken out of use, longer phases) no longer fits this session: it is
    # kept as booked and staff see the flag on the chair board and the course page.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_reason: Mapped[str | None] = mapped_column(sa.String(200))

    course: Mapped[TreatmentCourse] = relationship(back_populates="sessions")
    chair: Mapped[Chair] = relationship()
    status_by_staff: Mapped[StaffUser | None] = relationship(foreign_keys=[status_by_staff_id])
    claims: Mapped[list[ChairClaim]] = relationship(back_populates="session", cascade="all, delete-orphan")

    @property
    def is_held(self) -> bool:
        """Whether the session still holds its chair (everything but a cancel does)."""
        return self.status != SessionStatus.CANCELLED


class ChairClaim(db.Model):
    """One 15-minute unit of one chair held by a session: the unique constraint is the no-double-hold rule."""

    __tablename__ = "chair_claims"
    __table_args__ = (sa.UniqueConstraint("chair_id", "unit_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chair_id: Mapped[int] = mapped_column(sa.ForeignKey("chairs.id"))
    unit_start: Mapped[datetime] = mapped_column(UTCDateTime)  # a UTC quarter hour
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("treatment_sessions.id", ondelete="CASCADE"), index=True
    )

    session: Mapped[TreatmentSession] = relationship(back_populates="claims")
