"""Check-ins between treatment sessions (SPEC 12)

A new table only, check_ins: a PHQ-9 sent to the patient by signed link (its random public_id), a day before
a treatment session (session_id, unique: one per session, whoever runs run-jobs) or by staff, valid 72 hours,
answered once. The answers are encrypted TEXT like the intake's (clinic/models/types.py Encrypted); score and
band are clear. A CHECK keeps an answer whole (answered_at, answers, score and band together or none).

No existing row changes: a request's intake PHQ-9 is the baseline and stays where it is.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ANSWERED_WHOLE = (
    "(answered_at IS NULL AND phq9_score IS NULL AND phq9_band IS NULL AND phq9_answers IS NULL) OR "
    "(answered_at IS NOT NULL AND phq9_score IS NOT NULL AND phq9_band IS NOT NULL "
    "AND phq9_answers IS NOT NULL)"
)
BANDS = ("minimal", "mild", "moderate", "moderately_severe", "severe")


def upgrade():
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "session",
                "staff",
                name="check_in_reason",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("sent_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("phq9_answers", sa.Text(), nullable=True),
        sa.Column("phq9_difficulty", sa.Text(), nullable=True),
        sa.Column("phq9_score", sa.SmallInteger(), nullable=True),
        sa.Column("seal", sa.String(length=32), nullable=False),
        sa.Column(
            "phq9_band",
            sa.Enum(*BANDS, name="check_in_band", native_enum=False, create_constraint=True, length=24),
            nullable=True,
        ),
        sa.CheckConstraint("phq9_score BETWEEN 0 AND 27", name=op.f("ck_check_ins_phq9_score_range")),
        sa.CheckConstraint("sent_at < expires_at", name=op.f("ck_check_ins_expires_after_sent")),
        sa.CheckConstraint(ANSWERED_WHOLE, name=op.f("ck_check_ins_answered_whole")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consultation_requests.id"],
            name=op.f("fk_check_ins_request_id_consultation_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["staff_users.id"],
            name=op.f("fk_check_ins_sent_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_check_ins_session_id_treatment_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sa.UniqueConstraint("public_id", name=op.f("uq_check_ins_public_id")),
        sa.UniqueConstraint("session_id", name=op.f("uq_check_ins_session_id")),
    )
    op.create_index("ix_check_ins_request_answered", "check_ins", ["request_id", "answered_at"], unique=False)


def downgrade():
    op.drop_index("ix_check_ins_request_answered", table_name="check_ins")
    op.drop_table("check_ins")
