from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.models.staff import StaffUser
from clinic.models.types import UTCDateTime
from clinic.timeutil import utcnow


class AuditEvent(db.Model):
    """Append-only: who did what to which record, and when.

    Ids and settings only, never health or contact data.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        # A record's history as pages show it, in order: repeat views left out (migration 0018), so a record
        # opened thousands of times keeps a small index.
        sa.Index(
            "ix_audit_events_record",
            "record_type",
            "record_id",
            "at",
            "id",
            postgresql_where=sa.text("NOT is_repeat_view"),  # as each database writes `not_(is_repeat_view)`
            sqlite_where=sa.text("is_repeat_view = 0"),
        ),
        # A person's views of a record in order: whether their last one is within the visit gap, one probe.
        # The action first, so that it never serves a record's history (which would read every view).
        sa.Index("ix_audit_events_views", "action", "record_type", "record_id", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    record_type: Mapped[str | None] = mapped_column(sa.String(32))
    record_id: Mapped[int | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # A view of a record by the same person within minutes of their previous view of it (one visit): still
    # recorded, shown folded into the visit's first view (services/audit/record.py says when).
    is_repeat_view: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    actor: Mapped[StaffUser | None] = relationship()


class AuditVisit(db.Model):
    """A visit's views, counted as they are recorded: one row per visit (its first view), kept by a trigger
    on audit_events in the same statement as each view (migration 0018), whoever writes it.

    A page that shows a record's history reads each visit here in one probe, however many times the record
    was opened. Ids and instants only, like the log.
    """

    __tablename__ = "audit_visits"
    __table_args__ = (
        # A person's visits to a record, latest last: where the trigger finds the visit a repeat view joins.
        sa.Index("ix_audit_visits_person", "record_type", "record_id", "action", "actor_key", "first_at"),
    )

    first_view_id: Mapped[int] = mapped_column(
        sa.ForeignKey("audit_events.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    record_type: Mapped[str] = mapped_column(sa.String(32))
    record_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(64))
    actor_key: Mapped[int]  # the viewer's staff id when the visit began, 0 for the patient (no actor)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    views: Mapped[int]
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
