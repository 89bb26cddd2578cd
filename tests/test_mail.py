"""Real SMTP: book through the form, then read the messages back from a local server (aiosmtpd)."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from clinic import create_app
from clinic.extensions import db
from clinic.models import ConsultationRequest, OutboxMessage
from clinic.services.booking import links
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_intake import intake_form_data
from tests.servers import free_port

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
SLOT = "2026-11-24T09:00:00-05:00"
BASE_URL = "https://clinic.example"
SUBJECT = "Your consultation with Northfield Clinic"


class Inbox:
    """An aiosmtpd handler that keeps what it receives; it can be told to refuse everything."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Requested action aborted: try again later"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def smtp_app(database_url, smtp):
    _, port = smtp
    app = create_app(
        {
            **base_config(database_url),
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_TIMEOUT": 5,
            "BASE_URL": BASE_URL,
            "NOW_OVERRIDE": NOW,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def book(app, **overrides) -> str:
    client = app.test_client()
    page = client.get(f"/consultation?slot={SLOT}")
    data = intake_form_data(SLOT, csrf_token_from(page.get_data(as_text=True)), **overrides)
    response = client.post("/consultation", data=data)
    assert response.status_code == 303
    return response.headers["Location"]


def attachments(message: EmailMessage) -> list:
    return [part for part in message.walk() if part.get_content_disposition() == "attachment"]


def test_confirmation_over_smtp_has_a_neutral_subject_the_manage_link_and_the_ics(smtp_app, smtp):
    inbox, _ = smtp
    path = book(smtp_app, email="smtp.patient@example.com", conditions=["psychosis"], phq9_1="3")
    (message,) = inbox.to("smtp.patient@example.com")
    assert message["Subject"] == SUBJECT
    assert message["To"] == "smtp.patient@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"{BASE_URL}{path}" in text and f'href="{BASE_URL}{path}"' in html
    for private in ("psychosis", "PHQ", "score", "ketamine"):
        assert private.lower() not in (message["Subject"] + text).lower()
    with smtp_app.app_context():
        consultation = links.load_token(path.rsplit("/", 1)[1])
        assert consultation is not None and consultation.reference in text
    (ics,) = attachments(message)
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "consultation.ics"
    calendar = Calendar.from_ical(ics.get_content())
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTART").isoformat() == SLOT
    assert str(event["SUMMARY"]) == SUBJECT
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert "Eastern Time" in text  # times in the email name the clinic's timezone, in plain words
    with smtp_app.app_context():
        assert db.session.scalars(select(OutboxMessage.sent_at)).one() is not None


def test_urgent_notice_over_smtp_goes_to_the_clinic_with_reference_and_link_only(smtp_app, smtp):
    inbox, _ = smtp
    book(smtp_app, phq9_9="3", first_name="Urgentcanary", email="urgent.canary@example.com")
    (notice,) = inbox.to("care@northfield-clinic.example")
    with smtp_app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        reference, request_id = consultation.reference, consultation.id
    assert notice["Subject"] == f"Request {reference} needs prompt review"
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert f"{BASE_URL}/staff/requests/{request_id}" in body
    for private in ("Urgentcanary", "urgent.canary", "self-harm", "suicid", "PHQ", "988"):
        assert private.lower() not in (notice["Subject"] + body).lower()
    assert attachments(notice) == []


def test_a_refusing_server_keeps_the_booking_and_the_message_for_a_retry(smtp_app, smtp):
    inbox, _ = smtp
    inbox.refuse = True
    path = book(smtp_app, email="retry.patient@example.com")
    with smtp_app.app_context():
        assert links.load_token(path.rsplit("/", 1)[1]).active_booking is not None
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.sent_at is None and message.attempts == 1
        assert message.last_error.startswith("SMTP") and "retry.patient" not in message.last_error
    inbox.refuse = False
    result = smtp_app.test_cli_runner().invoke(args=["send-outbox", "--retry-now"])  # the server is back
    assert "Sent 1, still waiting 0." in result.output
    (message,) = inbox.to("retry.patient@example.com")
    assert message["Subject"] == SUBJECT and attachments(message)


def test_cancellation_and_reschedule_notices_over_smtp(smtp_app, smtp):
    inbox, _ = smtp
    client = smtp_app.test_client()
    page = client.get(f"/consultation?slot={SLOT}")
    data = intake_form_data(SLOT, csrf_token_from(page.get_data(as_text=True)), email="moves@example.com")
    path = client.post("/consultation", data=data).headers["Location"]
    csrf = csrf_token_from(client.get(path + "/reschedule").get_data(as_text=True))
    assert (
        client.post(
            path + "/reschedule", data={"csrf_token": csrf, "slot": "2026-11-26T10:00:00-05:00"}
        ).status_code
        == 303
    )
    assert client.post(path + "/cancel", data={"csrf_token": csrf}).status_code == 303
    confirmation, moved, cancelled = inbox.to("moves@example.com")
    assert {confirmation["Subject"], moved["Subject"], cancelled["Subject"]} == {SUBJECT}
    moved_text = moved.get_body(preferencelist=("plain",)).get_content()
    assert "Thursday, November 26, 2026 at 10:00 AM Eastern Time" in moved_text
    cancelled_ics = Calendar.from_ical(attachments(cancelled)[0].get_content())
    assert str(cancelled_ics.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
