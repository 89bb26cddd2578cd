"""The contact log and follow-up dates (SPEC 6)

- contact_attempts: one row per attempt to reach the patient (outcome, an optional note encrypted like the
  staff notes and bound to the row by its seal, as 0008 binds every encrypted value), its author and time),
  removed with its request.
- consultation_requests.follow_up_on: the clinic-local day staff plan to call again, shown in the queue and
  the day's call list (indexed: the call list reads the follow-ups due by a day).

SQLite: the column is added with ALTER TABLE ... ADD COLUMN, never by a batch copy of the table, which would
drop the request-tally triggers of 0002.

Downgrade drops both; the contacts logged are lost (their audit events stay).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "consultation_requests"
OUTCOMES = ("reached", "voicemail", "no_answer", "wrong_number", "email_sent", "text_sent")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN follow_up_on DATE")
    else:
        op.add_column(TABLE, sa.Column("follow_up_on", sa.Date(), nullable=True))
    op.create_index(op.f("ix_consultation_requests_follow_up_on"), TABLE, ["follow_up_on"], unique=False)

    op.create_table(
        "contact_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(*OUTCOMES, name="contact_outcome", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seal", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_contact_attempts_author_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consultation_requests.id"],
            name=op.f("fk_contact_attempts_request_id_consultation_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
    )
    op.create_index(op.f("ix_contact_attempts_request_id"), "contact_attempts", ["request_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_contact_attempts_request_id"), table_name="contact_attempts")
    op.drop_table("contact_attempts")
    op.drop_index(op.f("ix_consultation_requests_follow_up_on"), table_name=TABLE)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {TABLE} DROP COLUMN follow_up_on")
    else:
        op.drop_column(TABLE, "follow_up_on")
