"""Affected bookings: patients told and flags resolved; repeat views folded in the audit log

- bookings.flag_notified_at: when the patients of a flagged booking were last emailed "please choose a new
  time" (their manage link), so the admin's list says who has been told.
- bookings.flag_resolved_at: when staff marked the flag resolved (the patient was reached, the time is
  kept). The flag stays as a record, but no longer asks for attention. A flag that the rules make right
  again (the hours widened back) is cleared altogether.
- ix_bookings_flagged: the active flagged bookings (a small partial index) in slot order, for the list.
- audit_events.is_repeat_view: a view of a record by the same person within minutes of their previous view
  of it. Every view is still recorded; the log and a request's history show one line per visit. Existing
  views are marked with the same rule (WINDOW below is services/audit/record.py's VISIT_GAP).

SQLite: plain ALTER TABLE ... ADD COLUMN, never a batch copy of a table (a copy of bookings would drop and
recreate it under foreign keys, cascading into slot_claims).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 09:00:00.000000

"""

from datetime import UTC, timedelta

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WINDOW = timedelta(minutes=30)
FLAGGED_PREDICATE = "flagged_at IS NOT NULL AND cancelled_at IS NULL"
BATCH = 500

audit = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("record_type", sa.String),
    sa.column("record_id", sa.Integer),
    sa.column("is_repeat_view", sa.Boolean),
)


def _aware(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _mark_repeat_views(conn) -> None:
    """The rule of services/audit/record.py for the views already in the log."""
    rows = conn.execute(
        sa.select(audit.c.id, audit.c.at, audit.c.actor_id, audit.c.record_type, audit.c.record_id)
        .where(audit.c.action == "request.view", audit.c.actor_id.is_not(None))
        .order_by(audit.c.actor_id, audit.c.record_type, audit.c.record_id, audit.c.at, audit.c.id)
    )
    repeats, previous = [], None
    for row in rows:
        key = (row.actor_id, row.record_type, row.record_id)
        at = _aware(row.at)
        if previous is not None and previous[0] == key and at - previous[1] < WINDOW:
            repeats.append(row.id)
        previous = (key, at)
    for start in range(0, len(repeats), BATCH):
        conn.execute(
            sa.update(audit).where(audit.c.id.in_(repeats[start : start + BATCH])).values(is_repeat_view=True)
        )


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("ALTER TABLE bookings ADD COLUMN flag_notified_at DATETIME")
        op.execute("ALTER TABLE bookings ADD COLUMN flag_resolved_at DATETIME")
        op.execute("ALTER TABLE audit_events ADD COLUMN is_repeat_view BOOLEAN DEFAULT 0 NOT NULL")
    else:
        op.add_column(
            "bookings",
            sa.Column("flag_notified_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column(
            "bookings",
            sa.Column("flag_resolved_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column(
            "audit_events",
            sa.Column("is_repeat_view", sa.Boolean(), server_default=sa.false(), nullable=False),
        )
    op.create_index(
        "ix_bookings_flagged",
        "bookings",
        ["starts_at"],
        unique=False,
        postgresql_where=sa.text(FLAGGED_PREDICATE),
        sqlite_where=sa.text(FLAGGED_PREDICATE),
    )
    _mark_repeat_views(conn)


def downgrade():
    op.drop_index("ix_bookings_flagged", table_name="bookings")
    op.drop_column("audit_events", "is_repeat_view")
    op.drop_column("bookings", "flag_resolved_at")
    op.drop_column("bookings", "flag_notified_at")
