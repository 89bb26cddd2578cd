"""Patient cancellations keep urgent requests open; the queue's new order

- consultation_requests.patient_cancelled_at: when the patient last cancelled their booking, until staff
  next move the request. An urgent (or high) request now stays open after its patient cancels.
- consultation_requests.queue_group / queue_at: the request's place within its priority (to contact
  first, oldest first; then by slot time; then the rest), kept by the model on every write, so the three
  queue indexes (ix_requests_queue, ix_requests_status_queue and the partial ix_requests_open_queue) serve
  the new order of SPEC 6 and the default queue never sorts.

Existing rows: a request whose last booking the patient cancelled, with no staff status move since, is
marked patient-cancelled at the booking's cancellation time. If it is urgent or high and the old rule
closed it (status `cancelled`), it goes back to the status it had before: the last staff move before the
cancellation in the audit log, or `new` when the log shows its creation and no move. When the log shows
neither, the request is left cancelled (marked, so staff still see "patient cancelled" in the full list).
Then every row's queue position is computed with the same rule as workflow.queue_position.

SQLite: columns are added with ALTER TABLE ... ADD COLUMN and indexes changed in place, never by a batch
copy of the table, which would drop the request-tally triggers of 0002. The status UPDATEs fire those
triggers, so the tallies follow.

Downgrade restores the old indexes and drops the columns; requests kept open stay open.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00.000000

"""

from datetime import UTC

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "consultation_requests"
OPEN_PREDICATE = "status IN ('new', 'contacted', 'scheduled', 'no_show')"
KEPT_OPEN = ("urgent", "high")
CHANGEABLE = ("new", "contacted", "scheduled")  # the statuses a patient could cancel from
NEW_INDEXES = {
    "ix_requests_queue": ["priority_rank", "queue_group", "queue_at", "id"],
    "ix_requests_status_queue": ["status", "priority_rank", "queue_group", "queue_at", "id"],
    "ix_requests_open_queue": ["priority_rank", "queue_group", "queue_at", "id"],
}
OLD_INDEXES = {
    "ix_requests_queue": ["priority_rank", "appointment_at", "id"],
    "ix_requests_status_queue": ["status", "priority_rank", "appointment_at", "id"],
    "ix_requests_open_queue": ["priority_rank", "appointment_at", "id"],
}

# workflow.queue_position, in SQL: 0 to contact (created_at), 1 booked (slot time), 2 other (created_at).
QUEUE_POSITION_SQL = """
UPDATE consultation_requests SET
  queue_group = CASE
    WHEN status = 'new' OR (patient_cancelled_at IS NOT NULL
                            AND status IN ('new', 'contacted', 'scheduled', 'no_show')) THEN 0
    WHEN appointment_at IS NOT NULL THEN 1
    ELSE 2 END,
  queue_at = CASE
    WHEN status = 'new' OR (patient_cancelled_at IS NOT NULL
                            AND status IN ('new', 'contacted', 'scheduled', 'no_show')) THEN created_at
    WHEN appointment_at IS NOT NULL THEN appointment_at
    ELSE created_at END
"""

requests = sa.table(
    TABLE,
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("priority", sa.String),
    sa.column("patient_cancelled_at", sa.DateTime(timezone=True)),
)
bookings = sa.table(
    "bookings",
    sa.column("id", sa.Integer),
    sa.column("request_id", sa.Integer),
    sa.column("starts_at", sa.DateTime(timezone=True)),
    sa.column("cancelled_at", sa.DateTime(timezone=True)),
    sa.column("cancelled_by", sa.String),
)
audit = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("record_type", sa.String),
    sa.column("record_id", sa.Integer),
    sa.column("details", sa.JSON),
)


def _aware(value):
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _create_indexes(indexes):
    for name, columns in indexes.items():
        where = {"postgresql_where": sa.text(OPEN_PREDICATE), "sqlite_where": sa.text(OPEN_PREDICATE)}
        op.create_index(
            name, TABLE, columns, unique=False, **(where if name == "ix_requests_open_queue" else {})
        )


def _drop_indexes(indexes):
    for name in indexes:
        op.drop_index(name, table_name=TABLE)


def _mark_patient_cancellations(conn):
    """Mark (and reopen where the new rule keeps them open) requests their patient cancelled."""
    latest = {}
    for booking in conn.execute(
        sa.select(bookings).order_by(bookings.c.request_id, bookings.c.starts_at, bookings.c.id)
    ):
        latest[booking.request_id] = booking
    active = set(conn.scalars(sa.select(bookings.c.request_id).where(bookings.c.cancelled_at.is_(None))))
    candidates = {
        request_id: booking
        for request_id, booking in latest.items()
        if booking.cancelled_by == "patient" and booking.cancelled_at is not None and request_id not in active
    }
    if not candidates:
        return
    events = {}
    for event in conn.execute(
        sa.select(audit)
        .where(
            audit.c.record_type == "request",
            audit.c.action.in_(("request.create", "request.status", "booking.cancel")),
        )
        .order_by(audit.c.id)
    ):
        if event.record_id in candidates:
            events.setdefault(event.record_id, []).append(event)
    rows = conn.execute(
        sa.select(requests.c.id, requests.c.status, requests.c.priority).where(
            requests.c.id.in_(list(candidates))
        )
    )
    for request_id, status, priority in rows:
        booking = candidates[request_id]
        history = events.get(request_id, [])
        # Split the log at the patient's cancel event (same transaction as the cancel); by time without one.
        cancel_ids = [
            e.id
            for e in history
            if e.action == "booking.cancel"
            and e.actor_id is None
            and isinstance(e.details, dict)
            and e.details.get("booking_id") == booking.id
        ]
        if cancel_ids:
            before = [e for e in history if e.id < cancel_ids[-1]]
            after = [e for e in history if e.id > cancel_ids[-1]]
        else:
            cancelled_at = _aware(booking.cancelled_at)
            before = [e for e in history if _aware(e.at) <= cancelled_at]
            after = [e for e in history if _aware(e.at) > cancelled_at]
        if any(e.action == "request.status" for e in after):
            continue  # staff moved it after the patient cancelled: nothing to mark
        values = {"patient_cancelled_at": booking.cancelled_at}
        if status == "cancelled" and priority in KEPT_OPEN:
            moves = [e for e in before if e.action == "request.status" and isinstance(e.details, dict)]
            if moves:
                previous = moves[-1].details.get("to")
            elif any(e.action == "request.create" for e in before):
                previous = "new"
            else:
                previous = None  # the log cannot tell: left cancelled, but marked
            if previous in CHANGEABLE:
                values["status"] = previous
        conn.execute(sa.update(requests).where(requests.c.id == request_id).values(**values))


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN patient_cancelled_at DATETIME")
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN queue_group SMALLINT DEFAULT 0 NOT NULL")
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN queue_at DATETIME")
    else:
        op.add_column(TABLE, sa.Column("patient_cancelled_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(
            TABLE, sa.Column("queue_group", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
        )
        op.add_column(TABLE, sa.Column("queue_at", sa.DateTime(timezone=True), nullable=True))

    _mark_patient_cancellations(conn)

    # workflow.queue_position, in SQL: 0 to contact (created_at), 1 booked (slot time), 2 other (created_at).
    op.execute(QUEUE_POSITION_SQL)

    _drop_indexes(OLD_INDEXES)
    _create_indexes(NEW_INDEXES)


def downgrade():
    _drop_indexes(NEW_INDEXES)
    _create_indexes(OLD_INDEXES)
    op.drop_column(TABLE, "queue_at")
    op.drop_column(TABLE, "queue_group")
    op.drop_column(TABLE, "patient_cancelled_at")
