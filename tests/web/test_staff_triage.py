"""Triage from the request page: the actions at its top, the contact log in one submit, "assign to me", and
phone numbers as people read them in the queue and the agenda."""

from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest, ContactAttempt, StaffUser
from clinic.triage.enums import ContactOutcome, RequestStatus
from tests.conftest import csrf_token_from

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
TODAY = date(2026, 11, 23)
NOTE = "Reached her at work; safety plan discussed.\nPrefers calls after 5 pm."


@pytest.fixture
def nurse_id(app, staff_client):
    with app.app_context():
        return db.session.scalar(select(StaffUser.id).where(StaffUser.email == "nurse@clinic.example"))


def page(client, request_id: int) -> BeautifulSoup:
    return BeautifulSoup(client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser")


def post_contact(client, request_id: int, **data):
    token = csrf_token_from(client.get(f"/staff/requests/{request_id}").get_data(as_text=True))
    return client.post(f"/staff/requests/{request_id}/contacts", data={"csrf_token": token, **data})


def state(app, request_id: int):
    with app.app_context():
        request = db.session.get(ConsultationRequest, request_id)
        contacts = list(
            db.session.scalars(select(ContactAttempt).where(ContactAttempt.request_id == request_id))
        )
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.record_id == request_id, AuditEvent.action != "request.view")
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return request, contacts, events


def test_the_actions_come_first_on_the_request_page(app, staff_client, now, make_request):
    request_id = make_request()
    soup = page(staff_client, request_id)
    sections = [s.get("aria-labelledby") for s in soup.select("main section")]
    assert sections[0] == "triage-heading", sections
    panel = soup.select_one("#triage")
    for selector in ("#contact-form", "#status-form", "#assign-form", "#assign-me-form", "#note-form"):
        assert panel.select_one(selector) is not None, selector
    outcomes = [i["value"] for i in panel.select("#contact-form input[name=outcome]")]
    assert outcomes == [o.value for o in ContactOutcome]
    assert panel.select_one("input[name=assign_to_me]").has_attr("checked")  # nobody has it yet
    moves = [o["value"] for o in panel.select("#contact-form select[name=status] option")]
    assert moves == ["", "contacted", "scheduled"]  # declining and cancelling have their own buttons


def test_a_nurse_triages_a_request_in_one_submit(app, staff_client, now, make_request, nurse_id):
    """Assign to me, log a call "reached" with a note, move to contacted: one POST, one transaction."""
    request_id = make_request(phone="(212) 555-0140")
    response = post_contact(
        staff_client,
        request_id,
        outcome="reached",
        note=NOTE,
        status="contacted",
        assign_to_me="y",
        follow_up="2026-11-25",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/requests/{request_id}"
    request, contacts, events = state(app, request_id)
    assert request.status == RequestStatus.CONTACTED
    assert request.assigned_to_id == nurse_id
    assert request.follow_up_on == date(2026, 11, 25)
    assert [(c.outcome, c.note, c.author_id) for c in contacts] == [(ContactOutcome.REACHED, NOTE, nurse_id)]
    assert [(e.action, e.details) for e in events if e.action != "request.create"] == [
        ("request.contact", {"contact_id": contacts[0].id}),
        ("request.assign", {"from": None, "to": nurse_id}),
        ("request.status", {"from": "new", "to": "contacted"}),
    ]
    soup = page(staff_client, request_id)
    flash = soup.select_one(".flashes").get_text(" ", strip=True)
    assert flash == (
        "Contact logged: reached. Assigned to you. Status changed to contacted. "
        "Call again on Wednesday November 25."
    )
    history = soup.select_one("section[aria-labelledby=history-heading]").get_text(" ", strip=True)
    assert "Contact: reached" in history and "safety plan discussed" in history
    assert "Prefers calls after 5 pm." in history
    assert (
        "Reached" in soup.select_one("#last-contact").get_text()
        and "Nora Nurse" in soup.select_one("#last-contact").get_text()
    )
    assert soup.select_one("#triage input[name=assign_to_me]") is None  # already mine
    assert soup.select_one("#assign-me-form") is None


def test_a_contact_without_extras_changes_only_the_log(app, staff_client, now, make_request, make_staff):
    colleague = make_staff(email="colleague@clinic.example", name="Cole League")
    request_id = make_request()
    with app.app_context():
        db.session.get(ConsultationRequest, request_id).assigned_to_id = colleague
        db.session.commit()
    soup = page(staff_client, request_id)
    box = soup.select_one("#triage input[name=assign_to_me]")
    assert box is not None and not box.has_attr("checked")  # someone has it: not taken by default
    assert "instead of Cole League" in soup.select_one("label.contact-assign").get_text()
    response = post_contact(staff_client, request_id, outcome="voicemail")
    assert response.status_code == 303
    request, contacts, _ = state(app, request_id)
    assert (request.status, request.assigned_to_id, request.follow_up_on) == (
        RequestStatus.NEW,
        colleague,
        None,
    )
    assert [(c.outcome, c.note) for c in contacts] == [(ContactOutcome.VOICEMAIL, None)]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        ({}, 422, "Choose how the contact went."),
        ({"outcome": "carrier-pigeon"}, 422, "Not a valid choice"),
        ({"outcome": "reached", "follow_up": "25/11/2026"}, 422, "Enter a date as month, day and year"),
        ({"outcome": "reached", "follow_up": "2026-11-20"}, 422, "That day has passed"),
        ({"outcome": "reached", "status": "declined"}, 409, "asks first and tells the patient"),
        ({"outcome": "reached", "status": "completed"}, 409, "cannot become completed"),
        ({"outcome": "reached", "status": "lost"}, 422, "Choose one of the statuses offered."),
        ({"outcome": "reached", "note": "x" * 4001}, 422, "at most 4000 characters"),
    ],
)
def test_a_refused_contact_keeps_nothing_and_says_why(
    app, staff_client, now, make_request, data, code, message
):
    request_id = make_request()
    response = post_contact(staff_client, request_id, **data)
    assert response.status_code == code
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert message in soup.select_one("#contact-form").get_text(
        " ", strip=True
    ) or message in soup.select_one(".notice-warning").get_text(" ", strip=True)
    request, contacts, events = state(app, request_id)
    assert contacts == [] and request.status == RequestStatus.NEW
    assert [e.action for e in events] == ["request.create"]


def test_a_refused_contact_keeps_what_was_typed(app, staff_client, now, make_request):
    request_id = make_request()
    response = post_contact(staff_client, request_id, outcome="reached", note="Long talk", status="declined")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("#contact-form textarea[name=note]").get_text().strip() == "Long talk"
    assert soup.select_one("#contact-form input[value=reached]").has_attr("checked")


def test_assign_to_me(app, staff_client, now, make_request, nurse_id):
    request_id = make_request()
    token = csrf_token_from(staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True))
    response = staff_client.post(
        f"/staff/requests/{request_id}/assign", data={"csrf_token": token, "staff_id": "me"}
    )
    assert response.status_code == 303
    request, _, _ = state(app, request_id)
    assert request.assigned_to_id == nurse_id


def test_the_queue_shows_phone_numbers_and_follow_ups(app, staff_client, now, add_request):
    due = add_request(created_at=NOW, phone="+12125550140", follow_up_on=TODAY)
    later = add_request(created_at=NOW, phone="+442079460018", follow_up_on=date(2026, 11, 30))
    soup = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    text = soup.get_text(" ", strip=True)
    assert "+12125550140" not in text
    links = {a.get_text(): a["href"] for a in soup.select("table.queue-table a.phone")}
    assert links == {"(212) 555-0140": "tel:+12125550140", "+44 20 7946 0018": "tel:+442079460018"}
    rows = {
        row.select_one("a")["href"]: row.get_text(" ", strip=True)
        for row in soup.select("table.queue-table tbody tr")
    }
    assert "Call again today" in rows[f"/staff/requests/{due}"]
    assert "Call again Mon Nov 30" in rows[f"/staff/requests/{later}"]


def test_the_agenda_shows_phone_numbers(app, staff_client, now, add_request):
    add_request(created_at=NOW, phone="+12125550140", slot=datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    soup = BeautifulSoup(
        staff_client.get("/staff/schedule?date=2026-11-24").get_data(as_text=True), "html.parser"
    )
    assert [(a.get_text(), a["href"]) for a in soup.select("main a.phone")] == [
        ("(212) 555-0140", "tel:+12125550140")
    ]
    assert "+12125550140" not in soup.get_text()


@pytest.mark.parametrize("query", ["2125550140", "555-0140", "(212) 555-0140", "+1 212-555-0140"])
def test_a_phone_number_typed_any_way_finds_the_patient(app, staff_client, now, add_request, query):
    wanted = add_request(created_at=NOW, phone="+12125550140", last_name="Wanted")
    add_request(created_at=NOW, phone="+12125550199", last_name="Other")
    soup = BeautifulSoup(
        staff_client.get("/staff/", query_string={"q": query}).get_data(as_text=True), "html.parser"
    )
    found = [a["href"] for a in soup.select("table.queue-table tbody th a")]
    assert found == [f"/staff/requests/{wanted}"]


def test_the_call_list_page(app, staff_client, now, add_request):
    first = add_request(
        created_at=NOW, phone="+12125550140", last_name="Firstcall", priority="urgent", phq9=(2,) * 9
    )
    add_request(created_at=NOW, status="completed", last_name="Closed")
    response = staff_client.get("/staff/calls?date=2026-11-23")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.h1.get_text(strip=True) == "Call list: Monday November 23, 2026"
    rows = soup.select("table.call-list tbody tr")
    assert len(rows) == 1
    cells = [c.get_text(" ", strip=True) for c in rows[0].select("th, td")]
    assert cells[0].startswith("Robin Firstcall")
    assert cells[1].startswith("(212) 555-0140")
    assert cells[2] == "! Urgent" or "Urgent" in cells[2]
    assert cells[3] == "First contact"
    assert cells[5] == "None yet"
    assert rows[0].select_one("a.phone")["href"] == "tel:+12125550140"
    assert rows[0].select_one("th a")["href"] == f"/staff/requests/{first}"
    assert soup.select_one("link[href*='/static/css/triage.css?v=']") is not None  # the print layout


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "1900-01-01"])
def test_the_call_list_refuses_a_bad_date(staff_client, now, bad):
    assert staff_client.get(f"/staff/calls?date={bad}").status_code == 400


def test_the_queue_and_the_agenda_link_to_the_call_list(staff_client, now):
    queue = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    assert queue.find("a", href="/staff/calls") is not None
    agenda = BeautifulSoup(
        staff_client.get("/staff/schedule?date=2026-11-24").get_data(as_text=True), "html.parser"
    )
    assert agenda.find("a", href="/staff/calls?date=2026-11-24") is not None
