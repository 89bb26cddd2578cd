"""An intake form saved to finish later ("Save and finish later" on /consultation), for 7 days.

What the patient typed, less the PHQ-9: its questions are about the last two weeks and are answered in one
sitting when the patient comes back, so no unsubmitted answer about self-harm sits unread on the server.
Every typed value is encrypted (models/types.py Encrypted, bound to the row by SealedRow), kept as typed
(a half-finished form need not be valid yet). The emailed link signs a random secret; the row keeps only
its SHA-256 (`token_hash`), so a copy of the database opens no draft. The slot, the language and the times
stay clear: `run-jobs` deletes the rows past `expires_at`, and submitting the request deletes its draft.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.sealed import SealedRow
from clinic.models.types import Encrypted, UTCDateTime

TOKEN_HASH_LENGTH = 64  # SHA-256, hex


def _text(name: str) -> Mapped[str]:
    return mapped_column(Encrypted("text", f"intake_drafts.{name}"), default="")


class IntakeDraft(SealedRow, db.Model):
    __tablename__ = "intake_drafts"
    __table_args__ = (sa.CheckConstraint("created_at < expires_at", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(TOKEN_HASH_LENGTH), unique=True)
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the slot chosen, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    # As typed, encrypted: contact details, then the treatment history. Never the PHQ-9, nor the consents
    # (given when the request is sent).
    first_name: Mapped[str] = _text("first_name")
    last_name: Mapped[str] = _text("last_name")
    email: Mapped[str] = _text("email")  # checked: the link is sent to it
    phone: Mapped[str] = _text("phone")
    date_of_birth: Mapped[str] = _text("date_of_birth")
    preferred_contact: Mapped[str] = _text("preferred_contact")
    antidepressant_trials: Mapped[str] = _text("antidepressant_trials")
    conditions: Mapped[list[str]] = mapped_column(Encrypted("json", "intake_drafts.conditions"), default=list)
    modality: Mapped[str] = _text("modality")
    medications: Mapped[str] = _text("medications")
    notes: Mapped[str] = _text("notes")

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
