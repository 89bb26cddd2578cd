"""The patient's language on consultation requests (consultation_requests.language)

A request keeps the language its patient used ("en" or "es", SPEC section 14), so that every email to the
patient is written in it and staff pages can show it. Requests made before this revision were all in
English: the column is NOT NULL with a server default of 'en', which fills the existing rows. A CHECK keeps
the value to the languages the clinic writes.

SQLite: the column and its CHECK are added with one ALTER TABLE ... ADD COLUMN, never by a batch copy of
the table, because recreating consultation_requests would drop the request-tally triggers of 0002.
Downgrade drops the column with ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer) for the same reason.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 12:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "consultation_requests"
CHECK_NAME = "ck_consultation_requests_language_known"
CHECK = "language IN ('en', 'es')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN language VARCHAR(5) DEFAULT 'en' NOT NULL "
            f"CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
    else:
        op.add_column(TABLE, sa.Column("language", sa.String(length=5), server_default="en", nullable=False))
        op.create_check_constraint(op.f(CHECK_NAME), TABLE, CHECK)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK_NAME), TABLE, type_="check")
    op.drop_column(TABLE, "language")
