"""/admin/affected: a closure over booked patients lists whose bookings they are, urgent first; the admin
emails them a working manage link; staff mark a flag resolved; a flag clears when the booking fits again."""

import re
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking
from clinic.services.mail import notifications
from tests.conftest import csrf_token_from
from tests.services.helpers import at
from tests.web.test_admin_closures import closure_form

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
FRIDAY = date(2026, 11, 27)


@pytest.fixture
def booked(app, add_request):
    def book(hour: int, priority: str = "routine", **fields) -> tuple[int, int]:
        phq9 = (1, 1, 1, 1, 1, 1, 1, 1, 2 if priority == "urgent" else 0)
        request_id = add_request(slot=at(FRIDAY, hour), priority=priority, phq9=phq9, **fields)
        with app.app_context():
            return request_id, db.session.scalar(select(Booking.id).where(Booking.request_id == request_id))

    return book


def add_closure(admin, **changes):
    """Post the closure, then confirm it as the admin would; returns the confirmation's response."""
    token = csrf_token_from(admin.get("/admin/closures").get_data(as_text=True))
    asked = admin.post("/admin/closures", data={"csrf_token": token, **closure_form(**changes)})
    assert asked.status_code == 409
    html = asked.get_data(as_text=True)
    confirmed = admin.post(
        "/admin/closures",
        data={"csrf_token": csrf_token_from(html), "confirm": "yes", **closure_form(**changes)},
    )
    return asked, confirmed


def rows(html: str) -> list[str]:
    table = BeautifulSoup(html, "html.parser").select_one("#affected-table")
    return [tr.get_text(" ", strip=True) for tr in table.select("tbody tr")] if table else []


def test_a_closure_lists_the_patients_urgent_first_then_they_are_emailed(app, admin, booked, sent):
    booked(10, first_name="Rory", last_name="Routine", phone="+12125550131")
    urgent_request, urgent = booked(15, "urgent", first_name="Una", last_name="Urgent", phone="+12125550140")
    asked, confirmed = add_closure(admin, reason="Burst pipe")
    preview = BeautifulSoup(asked.get_data(as_text=True), "html.parser").select(
        "#affected-heading ~ div tbody tr"
    )
    assert [r.th.get_text(" ", strip=True).split(" KT-")[0] for r in preview] == [
        "Una Urgent",
        "Rory Routine",
    ]
    assert "(212) 555-0140" in preview[0].get_text() and "Urgent" in preview[0].get_text()

    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/admin/affected"
    page = admin.get("/admin/affected")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "2 booking(s) outside the offered times were kept and flagged for staff" in html
    first, second = rows(html)
    assert first.startswith("Email Una Urgent") and "(212) 555-0140" in first and "Urgent" in first
    assert "Burst pipe" in first and "Not yet" in first
    assert second.startswith("Email Rory Routine")
    assert f'href="/staff/requests/{urgent_request}"' in html and 'href="tel:+12125550140"' in html

    token = csrf_token_from(html)
    assert admin.post("/admin/affected/email", data={"booking_id": [str(urgent)]}).status_code == 400  # CSRF
    response = admin.post("/admin/affected/email", data={"csrf_token": token, "booking_id": [str(urgent)]})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/affected"
    assert [m.to for m in sent] == [["robin2@example.com"]]
    manage = re.search(r"http://\S+(/appointments/\S+)", sent[0].body).group(1)
    after = admin.get("/admin/affected").get_data(as_text=True)
    assert "Emailed 1 patient" in after
    assert "Not yet" not in rows(after)[0]
    assert admin.get(manage).status_code == 200  # the link in the email opens the patient's booking
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.new_time_requested")
        ).one()
        assert event.record_id == urgent_request and set(event.details) == {"booking_id", "message_id"}


def test_nothing_ticked_sends_nothing(admin, booked, sent):
    booked(15)
    add_closure(admin)
    token = csrf_token_from(admin.get("/admin/affected").get_data(as_text=True))
    admin.post("/admin/affected/email", data={"csrf_token": token})
    assert "Tick at least one patient" in admin.get("/admin/affected").get_data(as_text=True)
    assert sent == []


def test_admin_and_staff_mark_a_flag_resolved(app, admin, booked, make_staff, login_as, client):
    first_request, _ = booked(10)
    second_request, second = booked(15)
    add_closure(admin)
    token = csrf_token_from(admin.get("/admin/affected").get_data(as_text=True))
    response = admin.post(f"/admin/affected/{first_request}/resolve", data={"csrf_token": token})
    assert response.status_code == 303
    html = admin.get("/admin/affected").get_data(as_text=True)
    assert "Marked resolved" in html and len(rows(html)) == 1 and "Resolved by staff (1)" in html

    login_as(client, make_staff(email="nurse2@clinic.example"))  # the same client, now a nurse
    detail = client.get(f"/staff/requests/{second_request}").get_data(as_text=True)
    assert "Mark the flag resolved" in detail and 'class="badge badge-flag"' in detail
    response = client.post(
        f"/staff/requests/{second_request}/resolve-flag", data={"csrf_token": csrf_token_from(detail)}
    )
    assert response.status_code == 303
    detail = client.get(f"/staff/requests/{second_request}").get_data(as_text=True)
    assert "Flag marked resolved" in detail and "(resolved" in detail
    assert 'class="badge badge-flag"' not in detail
    assert client.get("/admin/affected").status_code == 403
    with app.app_context():
        assert db.session.get(Booking, second).flag_resolved_at is not None


def test_deleting_the_closure_clears_the_flags(app, admin, booked):
    booked(15)
    add_closure(admin)
    html = admin.get("/admin/closures").get_data(as_text=True)
    action = re.search(r'action="(/admin/closures/\d+/delete)"', html).group(1)
    admin.post(action, data={"csrf_token": csrf_token_from(html)})
    assert "No booking needs attention." in admin.get("/admin/affected").get_data(as_text=True)


@pytest.mark.parametrize(
    ("served_at", "link_base"),
    [
        ("http://127.0.0.1:5123", "http://127.0.0.1:5123"),  # development: the port the app is served on
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:5001", "http://[::1]:5001"),
        ("http://evil.example", "http://127.0.0.1:5000"),  # never a Host header that is not this machine
    ],
)
def test_emailed_links_follow_the_address_the_app_is_served_on(app, served_at, link_base):
    assert app.config["BASE_URL"] is None  # development, as the tests run, sets none
    with app.test_request_context("/admin/affected", base_url=served_at):
        app.preprocess_request()
        assert notifications.base_url() == link_base
    with app.app_context():
        assert notifications.base_url() == "http://127.0.0.1:5000"  # the command line
    app.config["BASE_URL"] = "https://book.clinic.example/"
    with app.test_request_context("/admin/affected", base_url=served_at):
        app.preprocess_request()
        assert notifications.base_url() == "https://book.clinic.example"
