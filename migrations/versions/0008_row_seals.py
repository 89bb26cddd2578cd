"""Bind every encrypted value to its row; encrypt the REMS patient ID

Until now an encrypted value was bound (as AES-GCM associated data) to its table and column only, so a value
copied into the same column of another row still decrypted. Each table with encrypted columns gets a `seal`:
32 random hex digits per row, written with the row and never changed (clinic/models/sealed.py SealedRow), and
every value is sealed again bound to its column and to that seal:
- consultation_requests, notes, outbox_messages, staff_users: every encrypted value re-sealed;
- rems_enrolments.rems_id, stored in clear until now: encrypted (TEXT), bound the same way.

Existing rows get their seal here and their values are opened with the column binding of 0005 and sealed
again under the newest key of CLINIC_DATA_KEYS, in batches, with the keys the app reads (`flask db upgrade`
builds the app, so CLINIC_DATA_KEYS, or development's instance/encryption-keys.json, apply: every key that
sealed a stored value must be configured).

Order, so that each database accepts every step: the seal columns are added nullable (ALTER TABLE ADD COLUMN
on both); PostgreSQL turns rems_id into TEXT; the rows are sealed; then the seals become NOT NULL. On SQLite
that last step recreates the five tables (migrations/env.py runs migrations with foreign keys off; the
references are checked here before the commit) and rems_id becomes TEXT with it; the copy of
consultation_requests drops the tally triggers of 0002, which are created again, the same statements. The
indexes are copied with the tables; the partial ix_requests_open_queue is then created again last, so that
SQLite's planner still picks it for the default queue (tests/services/casework/test_queue_order.py).

Downgrade seals every value back with the column binding alone (as 0005 left them), writes the REMS IDs in
clear again and drops the seals.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

from clinic import keys
from clinic.crypto.keyring import decode, encode

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000
SEAL = "seal"
SEAL_LENGTH = 32
REQUESTS = "consultation_requests"
REMS = "rems_enrolments"
# The encrypted columns of each table; the context bound into each value is "<table>.<column>".
SEALED = {
    REQUESTS: [
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "phq9_answers",
        "phq9_difficulty",
        "conditions",
        "medications",
        "notes",
    ],
    "notes": ["body"],
    "outbox_messages": ["recipients", "body_text", "body_html", "attachments"],
    "staff_users": ["totp_secret"],
}
CLEAR = {REMS: ["rems_id"]}  # in clear before this migration, encrypted by it
OPEN_QUEUE_INDEX = "ix_requests_open_queue"  # 0007's partial index, created again last on SQLite
OPEN_QUEUE_COLUMNS = ["priority_rank", "queue_group", "queue_at", "id"]
OPEN_PREDICATE = "status IN ('new', 'contacted', 'scheduled', 'no_show')"
# 0002's SQLite triggers, created again after the table is recreated (as in 0005).
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER request_tallies_insert AFTER INSERT ON consultation_requests BEGIN
        UPDATE request_tallies SET n = n + 1, changes = changes + 1 WHERE status = NEW.status AND priority = NEW.priority;
    END
    """,
    """
    CREATE TRIGGER request_tallies_update AFTER UPDATE OF status, priority ON consultation_requests
    WHEN OLD.status <> NEW.status OR OLD.priority <> NEW.priority BEGIN
        UPDATE request_tallies SET n = n - 1, changes = changes + 1 WHERE status = OLD.status AND priority = OLD.priority;
        UPDATE request_tallies SET n = n + 1, changes = changes + 1 WHERE status = NEW.status AND priority = NEW.priority;
    END
    """,
    """
    CREATE TRIGGER request_tallies_delete AFTER DELETE ON consultation_requests BEGIN
        UPDATE request_tallies SET n = n - 1, changes = changes + 1 WHERE status = OLD.status AND priority = OLD.priority;
    END
    """,
]


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _table(name, columns):
    """A lightweight table whose columns are read and written as raw text."""
    return sa.table(
        name, sa.column("id", sa.Integer), sa.column(SEAL, sa.Text), *(sa.column(c, sa.Text) for c in columns)
    )


def _rows(table, columns):
    """Every row of `table`, BATCH at a time, in id order."""
    last = 0
    while True:
        rows = (
            op.get_bind()
            .execute(
                sa.select(table.c.id, table.c[SEAL], *(table.c[c] for c in columns))
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _update(table, values):
    """One executemany: each dict sets its columns on the row `row_id`."""
    if values:
        op.get_bind().execute(table.update().where(table.c.id == sa.bindparam("row_id")), values)


def _bind(keyring, table, column, token, seal):
    """A value sealed for its column alone (0005), sealed again for its column and its row."""
    if token is None:
        return None
    context = f"{table}.{column}"
    return keyring.seal(keyring.open(token, context), context, seal)


def _unbind(keyring, table, column, token, seal):
    if token is None:
        return None
    context = f"{table}.{column}"
    return keyring.seal(keyring.open(token, context, seal), context)


def _check_references():
    """SQLite: the tables were recreated with foreign keys off; refuse to commit a dangling reference."""
    if _sqlite():
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")


def upgrade():
    keyring = keys.current()
    sqlite = _sqlite()

    for name in [*SEALED, *CLEAR]:
        op.add_column(name, sa.Column(SEAL, sa.String(length=SEAL_LENGTH), nullable=True))
    if not sqlite:
        op.alter_column(
            REMS, "rems_id", type_=sa.Text(), existing_type=sa.String(length=40), existing_nullable=False
        )

    for name, columns in SEALED.items():
        table = _table(name, columns)
        for rows in _rows(table, columns):
            values = []
            for row in rows:
                seal = secrets.token_hex(SEAL_LENGTH // 2)
                values.append(
                    {
                        "row_id": row["id"],
                        SEAL: seal,
                        **{c: _bind(keyring, name, c, row[c], seal) for c in columns},
                    }
                )
            _update(table, values)
    for name, columns in CLEAR.items():
        table = _table(name, columns)
        for rows in _rows(table, columns):
            values = []
            for row in rows:
                seal = secrets.token_hex(SEAL_LENGTH // 2)
                sealed = {
                    c: keyring.seal(encode("text", row[c]), f"{name}.{c}", seal)
                    for c in columns
                    if row[c] is not None
                }
                values.append({"row_id": row["id"], SEAL: seal, **sealed})
            _update(table, values)

    for name in [*SEALED, *CLEAR]:
        with op.batch_alter_table(name) as batch:
            batch.alter_column(SEAL, existing_type=sa.String(length=SEAL_LENGTH), nullable=False)
            if sqlite and name == REMS:
                batch.alter_column(
                    "rems_id", type_=sa.Text(), existing_type=sa.String(length=40), existing_nullable=False
                )
    if sqlite:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        # The copy created the indexes again in its own order; SQLite's planner, between two indexes that serve
        # the queue's order equally, takes the one created last: the partial index of open requests, as 0007
        # left it.
        op.drop_index(OPEN_QUEUE_INDEX, table_name=REQUESTS)
        op.create_index(
            OPEN_QUEUE_INDEX,
            REQUESTS,
            OPEN_QUEUE_COLUMNS,
            unique=False,
            sqlite_where=sa.text(OPEN_PREDICATE),
        )
    _check_references()


def downgrade():
    keyring = keys.current()
    sqlite = _sqlite()

    for name, columns in SEALED.items():
        table = _table(name, columns)
        for rows in _rows(table, columns):
            _update(
                table,
                [
                    {
                        "row_id": row["id"],
                        **{c: _unbind(keyring, name, c, row[c], row[SEAL]) for c in columns},
                    }
                    for row in rows
                ],
            )
    for name, columns in CLEAR.items():
        table = _table(name, columns)
        for rows in _rows(table, columns):
            _update(
                table,
                [
                    {
                        "row_id": row["id"],
                        **{
                            c: decode("text", keyring.open(row[c], f"{name}.{c}", row[SEAL]))
                            for c in columns
                            if row[c] is not None
                        },
                    }
                    for row in rows
                ],
            )

    if sqlite:
        # Dropped in place (ALTER TABLE DROP COLUMN), so the tally triggers stay; rems_enrolments, recreated
        # for its type, has none.
        for name in SEALED:
            op.drop_column(name, SEAL)
        with op.batch_alter_table(REMS) as batch:
            batch.drop_column(SEAL)
            batch.alter_column(
                "rems_id", type_=sa.String(length=40), existing_type=sa.Text(), existing_nullable=False
            )
    else:
        for name in [*SEALED, *CLEAR]:
            op.drop_column(name, SEAL)
        op.alter_column(
            REMS, "rems_id", type_=sa.String(length=40), existing_type=sa.Text(), existing_nullable=False
        )
    _check_references()
