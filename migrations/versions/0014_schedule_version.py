"""The schedule version: one number bumped by triggers whenever the offered slots may change

The slot picker (`/book`) and the availability API keep their answers per schedule version (SPEC 5, the
performance issue's exact caching). The number must change in the same transaction as every write that can
change an answer, whatever code makes it, so it is kept by triggers on exactly the tables the offered slots
are computed from: bookings (insert, delete, and updates of starts_at, ends_at or cancelled_at), waitlist
offers (an open offer holds its seat: insert, delete, and updates of status, starts_at or ends_at),
clinic_settings, opening_hours and closures (any change).

PostgreSQL: deferred constraint triggers, so that the version row is locked only at commit, after every
other lock the transaction takes (no lock-order deadlock with the request and claim rows), and bumped once
per transaction (a transaction-local setting remembers that it has been). SQLite serialises writers on
the whole database: plain row triggers.

The one row starts at 0; existing rows need nothing else. Downgrade drops the triggers, the function and the
table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 14:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# table -> the columns whose update can change the offered slots (None: any update)
WATCHED = {
    "bookings": ("starts_at", "ends_at", "cancelled_at"),
    "waitlist_offers": ("status", "starts_at", "ends_at"),
    "clinic_settings": None,
    "opening_hours": None,
    "closures": None,
}

BUMP_FUNCTION = """
CREATE FUNCTION schedule_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('clinic.schedule_bumped', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('clinic.schedule_bumped', 'yes', true);
        UPDATE schedule_versions SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def _postgresql(table: str, columns: tuple[str, ...] | None) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f"CREATE CONSTRAINT TRIGGER schedule_version_{table}_{name} AFTER {event} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION schedule_version_bump()"
        for name, event in (("insert", "INSERT"), ("update", update), ("delete", "DELETE"))
    ]


def _sqlite(table: str, columns: tuple[str, ...] | None) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    bump = "UPDATE schedule_versions SET version = version + 1 WHERE id = 1;"
    return [
        f"CREATE TRIGGER schedule_version_{table}_{name} AFTER {event} ON {table} BEGIN {bump} END"
        for name, event in (("insert", "INSERT"), ("update", update), ("delete", "DELETE"))
    ]


def upgrade():
    versions = op.create_table(
        "schedule_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_schedule_versions_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_versions")),
    )
    op.bulk_insert(versions, [{"id": 1, "version": 0}])
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(BUMP_FUNCTION)
    for table, columns in WATCHED.items():
        for statement in (_postgresql if postgresql else _sqlite)(table, columns):
            op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            name = f"schedule_version_{table}_{event}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS schedule_version_bump()")
    op.drop_table("schedule_versions")
