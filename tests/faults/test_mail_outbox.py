"""A mail server that is down never loses a booking: the messages wait in the outbox, and
`flask --app clinic send-outbox` delivers them once a server answers (aiosmtpd on 127.0.0.1)."""

import os
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OutboxMessage, SlotClaim
from tests.conftest import DATA_KEY, INDEX_KEY, base_config
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp_port() -> int:
    """A port where nothing listens yet: connecting is refused, as with a mail server that is down."""
    return free_port()


@pytest.fixture
def app(database_url, smtp_port):
    app = create_app(
        {
            **base_config(database_url),
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_TIMEOUT": 5,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def counts(app) -> dict[str, int]:
    with app.app_context():
        unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        result = {
            "requests": db.session.scalar(select(func.count()).select_from(ConsultationRequest)),
            "bookings": db.session.scalar(select(func.count()).select_from(Booking)),
            "claims": db.session.scalar(select(func.count()).select_from(SlotClaim)),
            "unsent": db.session.scalar(unsent),
            "failed": db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.last_error.is_not(None))
            ),
        }
        db.session.remove()
        return result


def send_outbox_command(database_url: str, smtp_port: int) -> subprocess.CompletedProcess:
    """The real command line, as cron would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env.update(
        CLINIC_ENV="testing",
        CLINIC_SECRET_KEY="outbox-command-test-secret-key-0123456789abcdef",
        CLINIC_SQLALCHEMY_DATABASE_URI=database_url,
        CLINIC_DATA_KEYS=DATA_KEY,
        CLINIC_INDEX_KEY=INDEX_KEY,
        CLINIC_MAIL_BACKEND="smtp",
        CLINIC_MAIL_SERVER="127.0.0.1",
        CLINIC_MAIL_PORT=str(smtp_port),
    )
    return subprocess.run(
        # --retry-now: the server is known to be back, so the waits between retries are skipped
        [sys.executable, "-m", "flask", "--app", "clinic", "send-outbox", "--retry-now"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_failed_mail_server_keeps_the_booking_and_the_message(app, make_request):
    started = time.monotonic()
    request_id = make_request(email="patient.outbox@example.com")
    assert time.monotonic() - started < 10, "a refused SMTP connection must not hang the booking"
    state = counts(app)
    assert state["requests"] == 1 and state["bookings"] == 1 and state["claims"] == 1
    assert state["unsent"] >= 1 and state["failed"] == state["unsent"]
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.active_booking is not None
        errors = db.session.scalars(select(OutboxMessage.last_error)).all()
        assert all("patient.outbox" not in (error or "") for error in errors), (
            "an address leaked into last_error"
        )


def test_send_outbox_delivers_the_waiting_messages_once_the_server_is_up(
    app, make_request, database_url, smtp_port
):
    from aiosmtpd.controller import Controller

    make_request(email="patient.retry@example.com")
    waiting = counts(app)["unsent"]
    assert waiting >= 1

    still_down = app.test_cli_runner().invoke(args=["send-outbox"])
    assert still_down.exit_code == 0, still_down.output
    assert f"Sent 0, still waiting {waiting}" in still_down.output
    assert "patient.retry" not in still_down.output

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        delivered = send_outbox_command(database_url, smtp_port)
    finally:
        controller.stop()
    assert delivered.returncode == 0, delivered.stderr[-2000:]
    assert f"Sent {waiting}, still waiting 0" in delivered.stdout
    assert counts(app)["unsent"] == 0
    assert len(inbox.messages) == waiting
    confirmation = next(m for m in inbox.messages if "patient.retry@example.com" in m[1])
    email = message_from_bytes(confirmation[2])
    assert "consultation" in email["Subject"].lower()
    parts = [part.get_content_type() for part in email.walk()]
    assert "text/calendar" in parts, parts

    again = app.test_cli_runner().invoke(args=["send-outbox"])
    assert "Sent 0, still waiting 0" in again.output, "a delivered message must never be sent twice"
