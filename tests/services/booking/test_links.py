"""clinic.services.booking.links: manage-link tokens, signed, and expiring a day after the appointment."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.services.booking import links, seats
from clinic.triage.enums import RequestStatus
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")


def test_token_round_trip_and_tampering(make_request, app, ctx):
    consultation = get(make_request(slot=local(24, 9)))
    token = links.manage_token(consultation)
    assert links.load_token(token, now=NOW).id == consultation.id
    for bad in (
        "",
        "x",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        token + "x",
        "a" * 500,
        token.replace(".", ""),
    ):
        assert links.load_token(bad, now=NOW) is None
    app.config["SECRET_KEY"] = "another-secret-key-0123456789-abcdefghijkl"
    assert links.load_token(token, now=NOW) is None


def test_token_expires_a_day_after_the_appointment_and_follows_a_reschedule(make_request, ctx):
    request_id = make_request(slot=local(24, 9))
    token = links.manage_token(get(request_id))
    end = local(24, 9, 30)
    assert links.load_token(token, now=end + timedelta(days=1)) is not None
    assert links.load_token(token, now=end + timedelta(days=1, seconds=1)) is None
    seats.reschedule_for_patient(get(request_id), local(27, 9), now=NOW)
    assert links.load_token(token, now=end + timedelta(days=2)) is not None  # the same link still works
    seats.cancel_for_patient(get(request_id), now=NOW)
    assert links.load_token(token, now=local(27, 9)).status is RequestStatus.CANCELLED
