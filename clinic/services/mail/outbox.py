"""The email outbox: messages are written in the transaction of the change they report, sent after it.

A mail server that is down never loses or blocks a booking: the booking commits with its messages,
sending happens after the commit, and a failure only records the attempt. `send_pending` (the
`send-outbox` command) retries what is still unsent, each message on its own: after a failed attempt it
waits RETRY_BASE, then twice as long after each further failure (at most RETRY_CAP), and gives up after
MAX_ATTEMPTS. A message that cannot even be built (a line break in a header, say) is marked failed at
once; it never stops the messages after it. A sent message keeps its metadata (kind, recipients,
subject, times) but not its bodies or attachments: they carry names and live manage links.
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
from clinic.models.sealed import bound_values
from clinic.services import unit_of_work
from clinic.timeutil import utcnow

log = logging.getLogger(__name__)

# A message younger than this that has never failed may still be on its way from the request that
# added it, so a retry run leaves it alone rather than send it twice.
IN_FLIGHT_GRACE = timedelta(minutes=2)
MAX_ERROR_LENGTH = 500
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 10
# What building a message raises for content no email may carry (flask_mailman's BadHeaderError is a
# ValueError): never worth a retry.
BUILD_ERRORS = (ValueError, TypeError, UnicodeError, LookupError)


class _CannotBuild(Exception):
    pass


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


def send_pending(*, now: datetime | None = None, retry_now: bool = False) -> tuple[int, int]:
    """Retry every unsent message that is due (failed before and its wait is over, or stuck); return
    (sent now, still unsent). `retry_now` ignores the waits (the mail server is known to be back)."""
    now = now or utcnow()
    due = [
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.last_error.is_not(None), OutboxMessage.created_at < now - IN_FLIGHT_GRACE),
    ]
    if not retry_now:
        due.append(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
    with unit_of_work():
        ids = db.session.scalars(select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id)).all()
    sent = sum(_send_one(message_id, now=now) for message_id in ids)
    with unit_of_work():
        unsent = len(
            db.session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
                )
            ).all()
        )
    return sent, unsent


def failed_count() -> int:
    """Messages given up on (they cannot be built, or failed every attempt)."""
    count = len(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.failed_at.is_not(None))).all()
    )
    db.session.commit()
    return count


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes, at most RETRY_CAP."""
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, min(attempts - 1, 20)))


def _send_one(message_id: int, *, now: datetime | None = None) -> bool:
    """Claim one attempt (a guarded UPDATE, so two senders never both send it), then send with no
    transaction open: a slow mail server must not hold a database lock."""
    with unit_of_work():
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.sent_at is not None or message.failed_at is not None:
            return False
        seen, seal = message.attempts, message.seal
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
    try:
        error = _send(snapshot)
    except _CannotBuild as cannot:
        error, give_up = str(cannot), True
    else:
        give_up = error is not None and seen + 1 >= MAX_ATTEMPTS
    finished = utcnow()
    values: dict[str, Any]
    if error is None:
        # Sent: keep what was sent to whom and when, not the bodies (names, live manage links).
        values = {
            "sent_at": finished,
            "last_error": None,
            **bound_values(seal, body_text="", body_html=None, attachments=[]),  # sealed for this row
        }
    elif give_up:
        values = {"last_error": error, "failed_at": finished, "next_attempt_at": None}
        log.warning("email given up after %d attempt(s): %s", seen + 1, error)
    else:
        values = {
            "last_error": error,
            "next_attempt_at": max(finished, now or finished) + retry_delay(seen + 1),
        }
    with unit_of_work():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return error is None


def _send(snapshot: dict[str, Any]) -> str | None:
    """Send one message; return None, or a short description of the failure (no addresses in it).

    Raises _CannotBuild when the message itself is not valid email (no retry can help)."""
    try:
        email = EmailMultiAlternatives(subject=snapshot["subject"], body=snapshot["body"], to=snapshot["to"])
        if snapshot["html"]:
            email.attach_alternative(snapshot["html"], "text/html")
        for attachment in snapshot["attachments"]:
            email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
        email.message()  # headers are checked here: a line break in the subject is refused
    except BUILD_ERRORS as error:
        log.warning("email cannot be built, marked failed: %s", type(error).__name__)
        raise _CannotBuild(f"cannot be built: {type(error).__name__}"[:MAX_ERROR_LENGTH]) from None
    connection = _connection()
    email.connection = connection
    try:
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


EML_BACKEND = "clinic.services.mail.files.EmailBackend"


def _connection():
    """The configured backend. `file` writes one .eml file per message (services/mail/files.py), to
    instance/mail unless MAIL_FILE_PATH is set."""
    config = current_app.config
    if config.get("MAIL_BACKEND") == "file":
        path = config.get("MAIL_FILE_PATH") or str(Path(current_app.instance_path) / "mail")
        return mail.get_connection(backend=EML_BACKEND, file_path=path)
    return mail.get_connection()
