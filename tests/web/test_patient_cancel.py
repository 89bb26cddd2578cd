"""A patient's cancel asks first, and never closes an urgent request (SPEC 4): the slot is freed, the request
stays in the default queue and the urgent count, marked "patient cancelled", until staff move it."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest, SlotClaim
from clinic.triage.enums import RequestStatus
from tests.conftest import csrf_token_from
from tests.web.test_appointments import NOW, submit


@pytest.fixture(autouse=True)
def fixed_clock(clock):
    clock.set(NOW)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def cancel(client, path: str):
    page = client.get(path + "/cancel")
    assert page.status_code == 200
    return client.post(path + "/cancel", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def stored(app) -> ConsultationRequest:
    with app.app_context():
        request = db.session.scalars(select(ConsultationRequest)).one()
        db.session.expunge(request)
        return request


def test_the_manage_page_links_to_a_page_that_asks_first(app, client):
    path = submit(client)
    manage = soup(client.get(path))
    link = manage.find("a", string="Cancel my consultation")
    assert link["href"] == path + "/cancel"
    assert manage.find("form", action=path + "/cancel") is None  # nothing cancels in one tap
    page = soup(client.get(path + "/cancel"))
    form = page.find("form", action=path + "/cancel")
    assert form["method"] == "post" and form.find("button", type="submit")
    assert page.find("a", href=path)  # the way back
    assert page.find(id="support")
    with app.app_context():
        assert db.session.scalar(select(SlotClaim.id)) is not None  # asking changed nothing


def test_the_question_names_the_time(app, client):
    path = submit(client)
    heading = soup(client.get(path + "/cancel")).find("h1").get_text(" ", strip=True)
    assert (
        heading.startswith("Cancel your consultation on ")
        and "November 24" in heading
        and heading.endswith("?")
    )


def test_asking_again_after_cancelling_goes_back_to_the_manage_page(client):
    path = submit(client)
    assert cancel(client, path).status_code == 303
    again = client.get(path + "/cancel")
    assert again.status_code == 303 and again.headers["Location"] == path


def test_asking_after_the_start_is_refused(client, clock):
    path = submit(client)
    clock.set(datetime(2026, 11, 24, 14, 5, tzinfo=UTC))
    response = client.get(path + "/cancel")
    assert response.status_code == 409 and "can no longer be changed online" in response.get_data(
        as_text=True
    )


def test_an_urgent_request_stays_open_in_the_queue_and_the_urgent_count(app, client, staff_client):
    path = submit(client, phq9_9="1")
    assert cancel(client, path).status_code == 303
    request = stored(app)
    assert request.status is RequestStatus.NEW  # unchanged
    assert request.patient_cancelled_at == NOW and request.appointment_at is None
    with app.app_context():
        assert db.session.scalar(select(SlotClaim.id)) is None  # the slot is free
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel")).one()
        assert event.actor_id is None and event.details["kept_open"] is True
    patient_view = soup(client.get(path)).find("main").get_text(" ", strip=True)
    assert "Cancelled." in patient_view and "Request a new consultation" in patient_view
    queue = soup(staff_client.get("/staff/"))
    row = queue.find("a", string=request.reference).find_parent("tr")
    assert "Patient cancelled" in row.get_text(" ")
    assert "1 urgent request open" in queue.find(id="urgent-banner").get_text(" ")
    detail = soup(staff_client.get(f"/staff/requests/{request.id}"))
    assert "Patient cancelled" in detail.find("h1").find_parent("div").get_text(" ")


def test_staff_moving_it_clears_the_mark(app, client, staff_client):
    path = submit(client, phq9_9="2")
    cancel(client, path)
    request = stored(app)
    page = staff_client.get(f"/staff/requests/{request.id}")
    token = csrf_token_from(page.get_data(as_text=True))
    moved = staff_client.post(
        f"/staff/requests/{request.id}/status", data={"csrf_token": token, "status": "contacted"}
    )
    assert moved.status_code == 303
    request = stored(app)
    assert request.status is RequestStatus.CONTACTED and request.patient_cancelled_at is None
    row = soup(staff_client.get("/staff/")).find("a", string=request.reference).find_parent("tr")
    assert "Patient cancelled" not in row.get_text(" ")


def test_a_high_priority_request_stays_open_too(app, client):
    path = submit(client, phq9_1="3", phq9_2="3", phq9_3="3", phq9_4="3", phq9_5="3", phq9_6="3", phq9_7="3")
    cancel(client, path)
    request = stored(app)
    assert request.priority.value == "high"
    assert request.status is RequestStatus.NEW and request.patient_cancelled_at == NOW


def test_a_routine_request_closes(app, client):
    path = submit(client)
    cancel(client, path)
    request = stored(app)
    assert request.priority.value == "routine"
    assert request.status is RequestStatus.CANCELLED and request.patient_cancelled_at == NOW


def test_staff_cancelling_closes_even_an_urgent_request(app, client, staff_client):
    submit(client, phq9_9="1")
    request = stored(app)
    page = staff_client.get(f"/staff/requests/{request.id}")
    token = csrf_token_from(page.get_data(as_text=True))
    staff_client.post(f"/staff/requests/{request.id}/cancel", data={"csrf_token": token, "confirm": "yes"})
    request = stored(app)
    assert request.status is RequestStatus.CANCELLED and request.patient_cancelled_at is None
