"""Check-ins between treatment sessions: a PHQ-9 sent by signed link, answered once, within 72 hours.

The link signs the check-in's random public id, never the row id. One answer per link is the database's
rule, not a check in Python: the answer is written by an UPDATE guarded on `answered_at IS NULL` and on the
expiry, so two submits of one link (two tabs, a double tap, two workers) store one answer and the other
is told it was already answered. `session_id` is unique: `run-jobs` sends one check-in per treatment
session, however many runners claim due sessions at once. The answers are encrypted like the intake's;
the score and band stay clear, so the trajectory and the queue read them without decrypting.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db
from clinic.models.requests import enum_column
from clinic.models.sealed import SealedRow
from clinic.models.types import Encrypted, UTCDateTime
from clinic.triage.enums import Phq9Band

if TYPE_CHECKING:
    from clinic.models.courses import TreatmentSession
    from clinic.models.requests import ConsultationRequest

# An answer is all of it or none of it: answered, score and band together.
ANSWERED_WHOLE = (
    "(answered_at IS NULL AND phq9_score IS NULL AND phq9_band IS NULL AND phq9_answers IS NULL) OR "
    "(answered_at IS NOT NULL AND phq9_score IS NOT NULL AND phq9_band IS NOT NULL "
    "AND phq9_answers IS NOT NULL)"
)


class CheckInReason(StrEnum):
    SESSION = "session"  # sent by run-jobs a day before a treatment session
    STAFF = "staff"  # sent by a member of staff from the request's page


class CheckIn(SealedRow, db.Model):
    __tablename__ = "check_ins"
    __table_args__ = (
        sa.CheckConstraint("phq9_score BETWEEN 0 AND 27", name="phq9_score_range"),
        sa.CheckConstraint("sent_at < expires_at", name="expires_after_sent"),
        sa.CheckConstraint(ANSWERED_WHOLE, name="answered_whole"),
        # The trajectory and the queue's latest score read a request's answers in time order.
        sa.Index("ix_check_ins_request_answered", "request_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)  # signed into the link
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id", ondelete="CASCADE"))
    # The session this check-in comes before (run-jobs); None when staff sent it. Unique: one per session.
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("treatment_sessions.id", ondelete="SET NULL"), unique=True
    )
    reason: Mapped[CheckInReason] = mapped_column(enum_column(CheckInReason, "check_in_reason"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The nine answers, items 1 to 9, in one encrypted list; the closing question (0-3) apart, optional.
    phq9_answers: Mapped[list[int] | None] = mapped_column(Encrypted("json", "check_ins.phq9_answers"))
    phq9_difficulty: Mapped[int | None] = mapped_column(Encrypted("int", "check_ins.phq9_difficulty"))
    phq9_score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    phq9_band: Mapped[Phq9Band | None] = mapped_column(enum_column(Phq9Band, "check_in_band"))

    request: Mapped[ConsultationRequest] = relationship()
    session: Mapped[TreatmentSession | None] = relationship()

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
