"""Waitlist for an earlier time: entries, offers holding seats, freed seats to offer; offer_minutes

- waitlist_entries: one per request (unique request_id), the patient's wishes and place in line.
- waitlist_offers: a freed seat offered to one patient; uq_waitlist_offers_one_open is a partial unique
  index, so a patient holds at most one open offer whatever the number of run-jobs hosts.
- waitlist_openings: spans of time in which seats were freed, claimed by run-jobs.
- slot_claims: a seat is now held by a booking or by an open offer (offer_id, unique, CHECK exactly one of
  the two), under the same unique (starts_at, seat) constraint, so an offered seat cannot be double booked.
  Existing claims all belong to bookings and keep them.
- clinic_settings.offer_minutes: how long an offer holds its seat (default 30, 5 to 1440).

SQLite: slot_claims and clinic_settings are rebuilt by a batch copy (neither carries a trigger); rows are
kept as they are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 11:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ONE_OPEN_OFFER = "status = 'open'"


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("days", sa.String(length=40), nullable=False),
        sa.Column(
            "part_of_day",
            sa.Enum(
                "any",
                "morning",
                "afternoon",
                name="part_of_day",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("left_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_reason", sa.String(length=16), nullable=True),
        sa.Column("updated_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consultation_requests.id"],
            name=op.f("fk_waitlist_entries_request_id_consultation_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("request_id", name=op.f("uq_waitlist_entries_request_id")),
    )
    op.create_index(op.f("ix_waitlist_entries_left_at"), "waitlist_entries", ["left_at"], unique=False)
    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("made_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "declined",
                "expired",
                "withdrawn",
                name="offer_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("closed_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_waitlist_offers_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consultation_requests.id"],
            name=op.f("fk_waitlist_offers_request_id_consultation_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_offers_public_id")),
    )
    op.create_index("ix_waitlist_offers_due", "waitlist_offers", ["status", "expires_at"], unique=False)
    op.create_index("ix_waitlist_offers_slot", "waitlist_offers", ["starts_at", "status"], unique=False)
    op.create_index(op.f("ix_waitlist_offers_entry_id"), "waitlist_offers", ["entry_id"], unique=False)
    op.create_index(
        "uq_waitlist_offers_one_open",
        "waitlist_offers",
        ["request_id"],
        unique=True,
        postgresql_where=sa.text(ONE_OPEN_OFFER),
        sqlite_where=sa.text(ONE_OPEN_OFFER),
    )
    op.create_table(
        "waitlist_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("created_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", clinic.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_openings")),
    )
    op.create_index("ix_waitlist_openings_due", "waitlist_openings", ["handled_at", "id"], unique=False)

    with op.batch_alter_table("slot_claims", schema=None) as batch_op:
        batch_op.alter_column("booking_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("offer_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_slot_claims_offer_id"), ["offer_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_slot_claims_offer_id_waitlist_offers"),
            "waitlist_offers",
            ["offer_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint("one_holder", "(booking_id IS NULL) <> (offer_id IS NULL)")

    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offer_minutes", sa.Integer(), server_default=sa.text("30"), nullable=False)
        )
        batch_op.create_check_constraint("offer_minutes_range", "offer_minutes BETWEEN 5 AND 1440")


def downgrade():
    with op.batch_alter_table("clinic_settings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_clinic_settings_offer_minutes_range"), type_="check")
        batch_op.drop_column("offer_minutes")
    # Seats held by offers go with them; every booking keeps its claim.
    op.execute("DELETE FROM slot_claims WHERE offer_id IS NOT NULL")
    with op.batch_alter_table("slot_claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_slot_claims_one_holder"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_slot_claims_offer_id_waitlist_offers"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_slot_claims_offer_id"), type_="unique")
        batch_op.drop_column("offer_id")
        batch_op.alter_column("booking_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_waitlist_openings_due", table_name="waitlist_openings")
    op.drop_table("waitlist_openings")
    op.drop_index("uq_waitlist_offers_one_open", table_name="waitlist_offers")
    op.drop_index(op.f("ix_waitlist_offers_entry_id"), table_name="waitlist_offers")
    op.drop_index("ix_waitlist_offers_slot", table_name="waitlist_offers")
    op.drop_index("ix_waitlist_offers_due", table_name="waitlist_offers")
    op.drop_table("waitlist_offers")
    op.drop_index(op.f("ix_waitlist_entries_left_at"), table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
