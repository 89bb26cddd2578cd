"""Destructive staff actions ask first (SPEC 6): cancelling a booking, declining and cancelling a request
show what will happen and who is emailed, and act only once confirmed. Same POST URLs, no JavaScript."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest, OutboxMessage
from clinic.triage.enums import RequestStatus
from tests.conftest import csrf_token_from

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def now(clock):
    return clock.set(NOW)


def post(client, request_id: int, action: str, data: dict):
    page = client.get(f"/staff/requests/{request_id}")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"/staff/requests/{request_id}/{action}", data={"csrf_token": token, **data})


def state(app, request_id: int) -> tuple[RequestStatus, bool, int, int]:
    """Status, whether a booking is active, emails queued, audit events of a cancel or status change."""
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        emails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        changes = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(("booking.cancel", "request.status")))
        )
        return consultation.status, consultation.active_booking is not None, emails, changes


def page_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


ACTIONS = [
    ("cancel", {}, "Cancel the booking for Ada Lovelace?", "Yes, cancel the booking"),
    ("status", {"status": "declined"}, "Decline the request from Ada Lovelace?", "Yes, decline the request"),
    ("status", {"status": "cancelled"}, "Cancel the request from Ada Lovelace?", "Yes, cancel the request"),
]


@pytest.mark.parametrize(("action", "data", "question", "yes"), ACTIONS)
def test_the_first_post_only_asks_and_says_who_is_emailed(
    app, staff_client, make_request, action, data, question, yes
):
    request_id = make_request(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    before = state(app, request_id)
    response = post(staff_client, request_id, action, data)
    assert response.status_code == 200
    assert state(app, request_id) == before, "nothing may change before the confirmation"
    page = page_of(response)
    assert page.find("h1").get_text(strip=True) == question
    what = page.find(id="what-happens").get_text(" ", strip=True)
    assert "Ada Lovelace is emailed at ada@example.com" in what and "Nobody else is emailed" in what
    assert "is cancelled, and the time is offered to other patients" in what
    form = page.find("form", class_="confirm-actions")
    assert form["method"] == "post" and form["action"] == f"/staff/requests/{request_id}/{action}"
    assert form.find("input", {"name": "confirm"})["value"] == "yes"
    if "status" in data:
        assert form.find("input", {"name": "status"})["value"] == data["status"]
    assert form.find("button", type="submit").get_text(strip=True) == yes
    assert form.find("a", href=f"/staff/requests/{request_id}").get_text(strip=True) == "No, go back"
    assert not page.find_all("script", src=lambda src: src and "confirm" in src)  # no JavaScript needed


@pytest.mark.parametrize(("action", "data", "question", "yes"), ACTIONS)
def test_the_confirmed_post_acts_and_emails_the_patient(
    app, staff_client, make_request, action, data, question, yes
):
    request_id = make_request()
    _, _, emails, changes = state(app, request_id)
    asked = page_of(post(staff_client, request_id, action, data))
    fields = {i["name"]: i["value"] for i in asked.find("form", class_="confirm-actions").find_all("input")}
    response = staff_client.post(f"/staff/requests/{request_id}/{action}", data=fields)
    assert response.status_code == 303
    status, booked, emails_after, changes_after = state(app, request_id)
    assert status == RequestStatus(data.get("status", "cancelled")) and not booked
    assert emails_after == emails + 1 and changes_after > changes


def test_without_a_booking_the_step_says_nobody_is_emailed(app, staff_client, make_request):
    request_id = make_request(cancelled=True, urgent=True)  # the patient cancelled: the request stays open
    page = page_of(post(staff_client, request_id, "status", {"status": "declined"}))
    what = page.find(id="what-happens").get_text(" ", strip=True)
    assert "There is no booking to cancel. Nobody is emailed." in what
    assert "This request is urgent" in page.find("main").get_text(" ")


def test_a_refused_move_is_refused_before_asking(app, staff_client, make_request):
    request_id = make_request(status="completed")
    response = post(staff_client, request_id, "status", {"status": "declined"})
    assert response.status_code == 409
    assert page_of(response).find(id="what-happens") is None
    cancel = post(staff_client, request_id, "cancel", {})
    assert cancel.status_code == 409
    assert state(app, request_id)[0] == RequestStatus.COMPLETED


@pytest.mark.parametrize("confirm", ["", "no", "YES", "true"])
def test_only_confirm_yes_acts(app, staff_client, make_request, confirm):
    request_id = make_request()
    before = state(app, request_id)
    assert post(staff_client, request_id, "cancel", {"confirm": confirm}).status_code == 200
    declined = post(staff_client, request_id, "status", {"status": "declined", "confirm": confirm})
    assert declined.status_code == 200
    assert state(app, request_id) == before


def test_moves_that_do_not_close_act_at_once(app, staff_client, make_request):
    request_id = make_request()
    assert post(staff_client, request_id, "status", {"status": "contacted"}).status_code == 303
    assert state(app, request_id)[0] == RequestStatus.CONTACTED
