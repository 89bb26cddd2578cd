"""The casework version: one number bumped by triggers whenever what the staff lists show may change

The staff queue and the chair board keep each colleague's rendered page per casework version and schedule
version (the performance issue: the queue and the board at framework speed). The number must change in the
same transaction as every write that can change such a page, whatever code makes it, so it is kept by
triggers on every table those pages read: requests (and through them the tallies), notes, contacts,
check-ins, staff accounts (names and roles), chairs, treatment kinds, REMS enrolments, courses, sessions,
bookings and the waitlist. Any insert, update or delete: what the pages show is most of each row.

As in 0014: on PostgreSQL deferred constraint triggers, so that the row is locked only at commit and bumped
once per transaction (a transaction-local setting remembers it); on SQLite plain row triggers.

The one row starts at 0; existing rows need nothing else. Downgrade drops the triggers, the function and the
table.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

WATCHED = (
    "consultation_requests",
    "notes",
    "contact_attempts",
    "check_ins",
    "staff_users",
    "chairs",
    "treatment_kinds",
    "rems_enrolments",
    "treatment_courses",
    "treatment_sessions",
    "bookings",
    "waitlist_entries",
    "waitlist_offers",
)
EVENTS = (("insert", "INSERT"), ("update", "UPDATE"), ("delete", "DELETE"))

BUMP_FUNCTION = """
CREATE FUNCTION casework_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('clinic.casework_bumped', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('clinic.casework_bumped', 'yes', true);
        UPDATE casework_versions SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def _postgresql(table: str) -> list[str]:
    return [
        f"CREATE CONSTRAINT TRIGGER casework_version_{table}_{name} AFTER {event} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION casework_version_bump()"
        for name, event in EVENTS
    ]


def _sqlite(table: str) -> list[str]:
    bump = "UPDATE casework_versions SET version = version + 1 WHERE id = 1;"
    return [
        f"CREATE TRIGGER casework_version_{table}_{name} AFTER {event} ON {table} BEGIN {bump} END"
        for name, event in EVENTS
    ]


def upgrade():
    versions = op.create_table(
        "casework_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_casework_versions_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casework_versions")),
    )
    op.bulk_insert(versions, [{"id": 1, "version": 0}])
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(BUMP_FUNCTION)
    for table in WATCHED:
        for statement in (_postgresql if postgresql else _sqlite)(table):
            op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for event, _ in EVENTS:
            name = f"casework_version_{table}_{event}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS casework_version_bump()")
    op.drop_table("casework_versions")
