"""The outbox retries each message on its own, later and later, gives up on one that cannot be built
without stopping the rest, and keeps no body once a message is sent (issue 15, findings 7 and 11)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import ClinicSettings, OutboxMessage
from clinic.services.mail import outbox
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
FAILING = "tests.services.mail.test_outbox.FailingEmailBackend"


@pytest.fixture
def ctx(app, clock):
    clock.set(NOW)
    with app.app_context():
        yield


@pytest.fixture
def sent(app):
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman.outbox


def queue(subject: str = "Your consultation with Northfield Clinic", to: str = "p@example.com") -> int:
    message = outbox.add(
        "confirmation",
        [to],
        subject,
        "Your link: https://clinic.example/appointments/secret-token",
        "<p>Your link</p>",
        [{"filename": "consultation.ics", "mimetype": "text/calendar", "content": "BEGIN:VCALENDAR"}],
    )
    db.session.commit()
    return message.id


def row(message_id: int) -> OutboxMessage:
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def test_each_failure_doubles_the_wait_then_the_message_is_given_up(app, ctx, sent):
    app.extensions["mailman"].backend = FAILING
    message_id = queue()
    assert outbox.deliver([row(message_id)]) == 0
    waits = []
    moment = NOW
    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        due = row(message_id).next_attempt_at
        waits.append(due - moment)
        assert outbox.send_pending(now=due - timedelta(seconds=1)) == (0, 1)  # not yet
        assert row(message_id).attempts == attempt - 1
        assert outbox.send_pending(now=due) == (0, 0 if attempt == outbox.MAX_ATTEMPTS else 1)
        assert row(message_id).attempts == attempt
        moment = due
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) <= outbox.RETRY_CAP
    given_up = row(message_id)
    assert given_up.failed_at is not None and given_up.next_attempt_at is None
    app.extensions["mailman"].backend = "locmem"
    assert outbox.send_pending(now=NOW + timedelta(days=30), retry_now=True) == (0, 0)
    assert sent == []


def test_a_message_that_cannot_be_built_is_failed_and_the_rest_are_sent(app, ctx, sent, runner, clock):
    broken = queue(subject="Your consultation with North\nfield Clinic")
    fine = queue(to="q@example.com")
    clock.set(NOW + outbox.IN_FLIGHT_GRACE + timedelta(seconds=1))  # never attempted: stuck, so due
    result = runner.invoke(args=["send-outbox"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, still waiting 0." in result.output and "1 email(s) could not be sent" in result.output
    assert [m.to for m in sent] == [["q@example.com"]]
    assert row(broken).failed_at is not None and row(broken).last_error == "cannot be built: BadHeaderError"
    assert row(broken).body_text  # kept: it was never sent
    assert row(fine).sent_at is not None
    again = runner.invoke(args=["send-outbox", "--retry-now"])
    assert "Sent 0, still waiting 0." in again.output  # the broken one no longer blocks or repeats


def test_delivery_right_after_the_commit_never_raises_for_a_broken_message(app, ctx, sent):
    broken = queue(subject="Bad\r\nBcc: everyone@example.com")
    assert outbox.deliver([row(broken)]) == 0
    assert row(broken).failed_at is not None and sent == []


def test_a_sent_message_keeps_its_metadata_but_not_its_bodies(app, ctx, sent):
    message_id = queue()
    assert outbox.deliver([row(message_id)]) == 1
    kept = row(message_id)
    assert (kept.body_text, kept.body_html, kept.attachments) == ("", None, [])
    assert kept.kind == "confirmation" and kept.recipients == ["p@example.com"]
    assert kept.subject == "Your consultation with Northfield Clinic" and kept.sent_at == NOW
    assert "secret-token" in sent[0].body  # what was sent was whole


def test_a_line_break_already_in_the_clinic_name_never_breaks_an_intake(app, client, clock, sent):
    """A name saved before settings refused control characters: the booking answers 303, its email is
    given up (not retried for ever), and the next patient's booking is unaffected."""
    clock.set(NOW)
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(name="Northfield\nClinic"))
        db.session.commit()
    days = client.get("/api/v1/availability?days=14").get_json()["days"]
    slots = [slot["start"] for day in days for slot in day["slots"]]
    for i, slot in enumerate(slots[:2]):
        page = client.get("/consultation", query_string={"slot": slot})
        data = intake_form_data(slot, csrf_token_from(page.get_data(as_text=True)), email=f"p{i}@example.com")
        response = client.post("/consultation", data=data, environ_base={"REMOTE_ADDR": f"10.8.0.{i + 1}"})
        assert response.status_code == 303, response.status_code
    with app.app_context():
        failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))).all()
        assert len(failed) == 2 and all(m.kind == "confirmation" for m in failed)


def test_retry_delay_is_capped():
    assert outbox.retry_delay(1) == timedelta(minutes=1)
    assert outbox.retry_delay(3) == timedelta(minutes=4)
    assert outbox.retry_delay(50) == outbox.RETRY_CAP
