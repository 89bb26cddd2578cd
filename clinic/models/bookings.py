from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.models.types import UTCDateTime
from clinic.timeutil import utcnow

FLAGGED_PREDICATE = "flagged_at IS NOT NULL AND cancelled_at IS NULL"

if TYPE_CHECKING:
    from clinic.models.requests import ConsultationRequest
    from clinic.models.staff import StaffUser
    from clinic.models.waitlist import WaitlistOffer


class SlotClaim(db.Model):
    """One seat of one slot. The unique constraint makes double booking impossible across every
    worker and host: capacity C means seats 1..C, and a full slot has no seat left to insert.

    A seat is held by a booking, or by an open waitlist offer (exactly one of the two), under the same
    constraint: an offered seat cannot be booked by anyone else while the offer stands."""

    __tablename__ = "slot_claims"
    __table_args__ = (
        sa.UniqueConstraint("starts_at", "seat"),
        sa.CheckConstraint("(booking_id IS NULL) <> (offer_id IS NULL)", name="one_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[int]
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    offer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("waitlist_offers.id", ondelete="CASCADE"), unique=True
    )
    booking: Mapped["Booking | None"] = relationship(back_populates="claim")
    offer: Mapped["WaitlistOffer | None"] = relationship(back_populates="claim")


class Booking(db.Model):
    """A consultation slot held for a request. Cancelling keeps the row and releases its claim."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.Index("ix_bookings_active_starts", "cancelled_at", "starts_at"),
        # The active flagged bookings, few at any time, in slot order: the admin's list of affected bookings.
        sa.Index(
            "ix_bookings_flagged",
            "starts_at",
            postgresql_where=sa.text(FLAGGED_PREDICATE),
            sqlite_where=sa.text(FLAGGED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(16))  # "patient" or "staff"
    cancelled_by_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin change (hours, closure) leaves this booking outside the offered times:
    # the booking is kept and staff see the flag on the queue and the agenda.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # When the patient was last emailed "please choose a new time" about the flag (their manage link).
    flag_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When staff marked the flag resolved (the patient was reached, the time is kept): it is kept as a record
    # but asks for nobody's attention. A flag the rules make right again is cleared altogether.
    flag_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped["ConsultationRequest"] = relationship(back_populates="bookings")
    claim: Mapped["SlotClaim | None"] = relationship(back_populates="booking", cascade="all, delete-orphan")
    cancelled_by_staff: Mapped["StaffUser | None"] = relationship()

    @property
    def needs_attention(self) -> bool:
        """Flagged by an admin change and not yet resolved by staff."""
        return self.flagged_at is not None and self.flag_resolved_at is None
