"""clinic.services.mail.outbox: messages kept with the change they report, sent after it, retried."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from flask_mailman.backends.base import BaseEmailBackend
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import OutboxMessage
from clinic.services.mail import outbox
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
SUBJECT = "Your consultation with Northfield Clinic"


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    error: Exception = smtplib.SMTPServerDisconnected("down")

    def send_messages(self, messages):
        raise self.error


class RefusingEmailBackend(FailingEmailBackend):
    error = ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize("backend", ["FailingEmailBackend", "RefusingEmailBackend"])
def test_mail_server_down_never_loses_or_blocks_a_booking(app, make_request, sent, ctx, backend):
    app.extensions["mailman"].backend = f"tests.services.mail.test_outbox.{backend}"
    request_id = make_request(slot=local(24, 9), urgent=True)
    assert get(request_id).active_booking is not None
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.kind for m in messages] == ["confirmation", "urgent"]
    for message in messages:
        assert message.sent_at is None and message.attempts == 1
        assert message.last_error in {"SMTPServerDisconnected", "ConnectionRefusedError (111)"}
        assert "@" not in message.last_error
    # each retry waits its turn: a minute after the first failure, two after the second
    assert outbox.send_pending(now=NOW) == (0, 2)
    assert db.session.get(OutboxMessage, messages[0].id).attempts == 1
    assert outbox.send_pending(now=NOW + timedelta(minutes=1)) == (0, 2)
    assert db.session.get(OutboxMessage, messages[0].id).attempts == 2
    app.extensions["mailman"].backend = "locmem"
    assert outbox.send_pending(now=NOW + timedelta(minutes=2)) == (0, 2)
    assert outbox.send_pending(now=NOW + timedelta(minutes=3)) == (2, 0)
    assert [m.subject for m in sent] == [SUBJECT, f"Request {get(request_id).reference} needs prompt review"]
    assert outbox.send_pending(now=NOW + timedelta(minutes=4)) == (0, 0)
    assert len(sent) == 2


def test_send_pending_leaves_a_fresh_message_to_its_sender(app, sent, ctx):
    message = outbox.add("confirmation", ["a@example.com"], SUBJECT, "body")
    db.session.commit()
    assert outbox.send_pending(now=NOW) == (0, 1)
    assert outbox.send_pending(now=NOW + outbox.IN_FLIGHT_GRACE + timedelta(seconds=1)) == (1, 0)
    assert len(sent) == 1
    assert outbox.deliver([message]) == 0  # already sent: never twice
    assert len(sent) == 1


def test_send_outbox_command(app, runner, make_request, ctx, clock):
    app.extensions["mailman"].backend = "tests.services.mail.test_outbox.FailingEmailBackend"
    make_request(slot=local(24, 9))
    app.extensions["mailman"].backend = "locmem"
    clock.set(NOW + timedelta(minutes=1))  # the first retry is due a minute after the failure
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0 and "Sent 1, still waiting 0." in result.output
