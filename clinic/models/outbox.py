from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.sealed import SealedRow
from clinic.models.types import Encrypted, UTCDateTime
from clinic.timeutil import utcnow


class OutboxMessage(SealedRow, db.Model):
    """An email written in the same transaction as the change it reports, sent after the commit.

    A mail server that is down never loses or blocks a booking: unsent messages wait here and
    `flask --app clinic send-outbox` retries each on its own, later and later. Once sent, the bodies and
    attachments (manage links, names) are emptied; what was sent to whom and when stays.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    # Addresses, bodies and attachments (names, manage links) are encrypted at rest; a subject never
    # carries patient data (mail/calendar.py subject_for), so it stays in clear.
    recipients: Mapped[list[str]] = mapped_column(Encrypted("json", "outbox_messages.recipients"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_text: Mapped[str] = mapped_column(Encrypted("text", "outbox_messages.body_text"))
    body_html: Mapped[str | None] = mapped_column(Encrypted("text", "outbox_messages.body_html"))
    # [{"filename": ..., "mimetype": ..., "content": text}] (calendar files are text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        Encrypted("json", "outbox_messages.attachments"), default=list
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # After a failed attempt, not before this (the delay doubles with each failure).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Given up: the message cannot be built (a header that is not allowed) or failed every attempt.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
