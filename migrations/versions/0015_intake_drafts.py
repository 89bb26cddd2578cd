"""Intake forms saved to finish later (intake_drafts)

A new table only: what a patient typed into /consultation before pressing "Save and finish later", kept 7
days. Every typed value is encrypted TEXT like the requests' (clinic/models/types.py Encrypted, bound to
the row by its seal); the PHQ-9 is never stored here. The emailed link signs a random secret and the row
keeps only its SHA-256 (token_hash, unique). expires_at is indexed: run-jobs deletes the rows past it.

No existing row changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 14:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TYPED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "preferred_contact",
    "antidepressant_trials",
    "conditions",
    "modality",
    "medications",
    "notes",
)


def upgrade():
    op.create_table(
        "intake_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("starts_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in TYPED),
        sa.Column("seal", sa.String(length=32), nullable=False),
        sa.CheckConstraint("created_at < expires_at", name=op.f("ck_intake_drafts_expires_after_created")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_drafts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_intake_drafts_token_hash")),
    )
    op.create_index(op.f("ix_intake_drafts_expires_at"), "intake_drafts", ["expires_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_intake_drafts_expires_at"), table_name="intake_drafts")
    op.drop_table("intake_drafts")
