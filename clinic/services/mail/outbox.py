"""The email outbox: messages are written in the transaction of the change they report, sent after it.

A mail server that is down never loses or blocks a booking: the booking commits with its messages,
sending happens after the commit, and a failure only records the attempt. `send_pending` (the
`send-outbox` command) retries what is still unsent.
"""

import logging
import smtplib
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import or_, select, update

from clinic.extensions import db, mail
from clinic.models import OutboxMessage
from clinic.services import unit_of_work
from clinic.timeutil import utcnow

log = logging.getLogger(__name__)

# A message younger than this that has never failed may still be on its way from the request that
# added it, so a retry run leaves it alone rather than send it twice.
IN_FLIGHT_GRACE = timedelta(minutes=2)
MAX_ERROR_LENGTH = 500


def add(
    kind: str,
    recipients: list[str],
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> OutboxMessage:
    """Add a message to the current transaction (inner step); after the commit, the caller calls `deliver`."""
    message = OutboxMessage(
        kind=kind,
        recipients=list(recipients),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=list(attachments or []),
        attempts=0,
        created_at=utcnow(),
    )
    db.session.add(message)
    return message


def deliver(messages: Iterable[OutboxMessage]) -> int:
    """Send messages that were just committed; return how many went out. Never raises for mail errors."""
    ids = [message.id for message in messages]
    return sum(_send_one(message_id) for message_id in ids)


def send_pending(*, now: datetime | None = None) -> tuple[int, int]:
    """Retry every unsent message (failed before, or stuck); return (sent now, still unsent)."""
    now = now or utcnow()
    with unit_of_work():
        ids = db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.last_error.is_not(None), OutboxMessage.created_at < now - IN_FLIGHT_GRACE),
            )
            .order_by(OutboxMessage.id)
        ).all()
    sent = sum(_send_one(message_id) for message_id in ids)
    with unit_of_work():
        unsent = len(
            db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))).all()
        )
    return sent, unsent


def _send_one(message_id: int) -> bool:
    """Claim one attempt (a guarded UPDATE, so two senders never both send it), then send with no
    transaction open: a slow mail server must not hold a database lock."""
    with unit_of_work():
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.sent_at is not None:
            return False
        seen = message.attempts
        snapshot = {
            "subject": message.subject,
            "body": message.body_text,
            "html": message.body_html,
            "to": list(message.recipients),
            "attachments": list(message.attachments or []),
        }
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts == seen,
            )
            .values(attempts=seen + 1, last_error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if claimed != 1:
        return False
    error = _send(snapshot)
    values: dict[str, Any] = {"last_error": error} if error else {"sent_at": utcnow(), "last_error": None}
    with unit_of_work():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return error is None


def _send(snapshot: dict[str, Any]) -> str | None:
    """Send one message; return None, or a short description of the failure (no addresses in it)."""
    connection = _connection()
    try:
        email = EmailMultiAlternatives(
            subject=snapshot["subject"], body=snapshot["body"], to=snapshot["to"], connection=connection
        )
        if snapshot["html"]:
            email.attach_alternative(snapshot["html"], "text/html")
        for attachment in snapshot["attachments"]:
            email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
        connection.open()  # opened here, so that it is closed here even when sending fails
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
        description = f"{type(error).__name__}" + (f" ({code})" if code else "")
        log.warning("email not sent, kept in the outbox for a retry: %s", description)
        return description[:MAX_ERROR_LENGTH]
    finally:
        _close(connection)
    return None


def _close(connection) -> None:
    """Close the backend's connection; a server that already hung up must not leak the socket."""
    raw = getattr(connection, "connection", None)
    with suppress(smtplib.SMTPException, OSError):
        connection.close()
    if raw is not None and hasattr(raw, "close"):
        with suppress(OSError):
            raw.close()


def _connection():
    """The configured backend; the file backend writes to instance/mail unless MAIL_FILE_PATH is set."""
    config = current_app.config
    if config.get("MAIL_BACKEND") == "file" and not config.get("MAIL_FILE_PATH"):
        return mail.get_connection(file_path=str(Path(current_app.instance_path) / "mail"))
    return mail.get_connection()
