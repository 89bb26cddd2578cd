"""The waitlist for an earlier time: who waits (and for what), the seats offered, the seats freed.

- WaitlistEntry: one per request (a unique constraint); `left_at` set when the patient leaves, accepts an
  offer or cancels. Joining again clears it and starts a new place in the line (`joined_at`).
- WaitlistOffer: a freed seat offered to one patient. While open it holds the seat through a SlotClaim row
  (offer_id set instead of booking_id), under the same unique (starts_at, seat) constraint as a booking, so
  nobody else can book it. At most one open offer per request: a partial unique index.
- WaitlistOpening: a span of time in which seats were freed (a cancel, a reschedule, a closure removed, hours
  widened, capacity raised, an offer declined or lapsed), written in the same transaction as the change and
  claimed by `run-jobs`, which offers the free seats in it to the first matching patients in line.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.models.requests import enum_column
from clinic.models.types import UTCDateTime
from clinic.scheduling.waitlist import PartOfDay
from clinic.timeutil import utcnow

if TYPE_CHECKING:
    from clinic.models.bookings import SlotClaim
    from clinic.models.requests import ConsultationRequest


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the patient left the waitlist, cancelled or moved their booking meanwhile


ONE_OPEN_OFFER = "status = 'open'"


class WaitlistEntry(db.Model):
    """A patient waiting for an earlier time than their booking, with their wishes."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"), unique=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    earliest: Mapped[date]
    days: Mapped[str] = mapped_column(sa.String(40), default="")  # "mon,wed"; empty: any day
    part_of_day: Mapped[PartOfDay] = mapped_column(
        enum_column(PartOfDay, "part_of_day"), default=PartOfDay.ANY
    )
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    left_reason: Mapped[str | None] = mapped_column(sa.String(16))  # left, accepted, cancelled
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    request: Mapped[ConsultationRequest] = relationship()


class WaitlistOffer(db.Model):
    """A freed seat offered to one waiting patient until `expires_at`."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        sa.Index(
            "uq_waitlist_offers_one_open",
            "request_id",
            unique=True,
            postgresql_where=sa.text(ONE_OPEN_OFFER),
            sqlite_where=sa.text(ONE_OPEN_OFFER),
        ),
        sa.Index("ix_waitlist_offers_due", "status", "expires_at"),
        sa.Index("ix_waitlist_offers_slot", "starts_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)  # signed into the offer link
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OfferStatus] = mapped_column(
        enum_column(OfferStatus, "offer_status"), default=OfferStatus.OPEN
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id", ondelete="SET NULL"))

    entry: Mapped[WaitlistEntry] = relationship()
    request: Mapped[ConsultationRequest] = relationship()
    claim: Mapped[SlotClaim | None] = relationship(back_populates="offer")


class WaitlistOpening(db.Model):
    """Seats freed between `starts_at` and `ends_at`, waiting for `run-jobs` to offer them."""

    __tablename__ = "waitlist_openings"
    __table_args__ = (sa.Index("ix_waitlist_openings_due", "handled_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
