"""The patient's self-service pages by signed token: manage, cancel, reschedule, calendar.ics."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, OpeningHours, SlotClaim
from clinic.services.booking import links
from clinic.triage.enums import RequestStatus
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
SLOT = "2026-11-24T09:00:00-05:00"
NEW_SLOT = "2026-11-25T14:30:00-05:00"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def submit(client, slot: str = SLOT, **overrides) -> str:
    """Go through the intake form; return the manage page path."""
    page = client.get(f"/consultation?slot={slot}")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/consultation", data=intake_form_data(slot, token, **overrides))
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def manage_path(app, request_id: int) -> str:
    with app.app_context():
        return "/appointments/" + links.manage_token(db.session.get(ConsultationRequest, request_id))


def offered_on_book_page(client, slot: str = SLOT) -> bool:
    page = soup(client.get("/book?week=2026-11-23"))
    slots = {parse_qs(urlsplit(a["href"]).query)["slot"][0] for a in page.select("a.slot")}
    return slot in slots


def claims(app) -> list[datetime]:
    with app.app_context():
        return sorted(db.session.scalars(select(SlotClaim.starts_at)))


# The manage page


def test_manage_page_shows_reference_time_and_status_only(app, client):
    path = submit(
        client,
        first_name="Canaryfirst",
        last_name="Canarylast",
        email="canary@example.com",
        phone="+1 415 555 2671",
        notes="Canary note",
        medications="Canarymed",
        conditions=["psychosis"],
        phq9_1="3",
    )
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = soup(response).find("main").get_text(" ", strip=True)
    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        reference, score = consultation.reference, consultation.phq9_score
    assert reference in text
    assert "Tuesday, November 24, 2026 at 9:00 AM Eastern Time" in text
    assert "Booked" in text
    html = response.get_data(as_text=True)
    for private in (
        "Canary",
        "canary@example.com",
        "4155552671",
        "psychosis",
        "Psychosis",
        "PHQ",
        "Nearly every day",
        f"score {score}",
        "Little interest",
    ):
        assert private not in html


def test_crisis_panel_right_after_an_intake_with_item9_above_zero(client):
    path = submit(client, phq9_9="1")
    page = soup(client.get(path))
    panel = page.find(class_="notice-crisis")
    assert panel is not None and panel["role"] == "alert"
    assert "notice" in panel["class"]
    assert "988" in panel.get_text() and "911" in panel.get_text()
    assert page.find(class_="notice-crisis") is page.select("main .notice-crisis")[0]
    assert client.get(path).status_code == 200
    assert soup(client.get(path)).find(class_="notice-crisis") is None  # shown once, right after the intake


def test_no_crisis_panel_for_item9_zero(client):
    path = submit(client, phq9_9="0", **{f"phq9_{i}": "3" for i in range(1, 9)})
    page = soup(client.get(path))
    assert page.find(class_="notice-crisis") is None
    assert page.find(class_="notice-success")


def test_crisis_flag_travels_in_the_session_not_the_url(app, client):
    path = submit(client, phq9_9="2")
    assert "crisis" not in path and "?" not in path
    other_browser = app.test_client()
    assert soup(other_browser.get(path)).find(class_="notice-crisis") is None
    with client.session_transaction() as session:
        assert all("crisis" not in key and "phq" not in key for key in session)
        with app.app_context():
            public_id = db.session.scalars(select(ConsultationRequest.public_id)).one()
        assert session["intake_submitted"] == public_id  # which request, not what was answered


HELP_LINKS = {"tel:988", "sms:988", "https://988lifeline.org/chat/", "tel:911", "https://988lineadevida.org"}


def help_links(box) -> set[str]:
    return {a["href"] for a in box.find_all("a", href=True)}


def test_crisis_help_is_at_the_top_with_every_way_to_reach_help(client):
    path = submit(client, phq9_9="1")
    main = soup(client.get(path)).find("main")
    panel = main.find(id="crisis-help")
    assert panel is not None and panel["role"] == "alert"
    assert panel.find_previous_sibling() is main.find(class_="page-header")  # first, right under the title
    heading = panel.find("h2").get_text(" ", strip=True)
    assert "better off dead" in heading and "hurting yourself" in heading
    assert help_links(panel) == HELP_LINKS
    text = " ".join(panel.get_text(" ").split())
    assert "Call 911, or go to the nearest emergency room" in text
    assert "not staffed at night or on Sunday" in text
    assert "Our team has been told about your request" in text


def test_the_days_without_staff_come_from_the_opening_hours(app, client):
    with app.app_context():
        saturday = db.session.get(OpeningHours, 5)
        saturday.opens = saturday.closes = None
        db.session.commit()
    path = submit(client, phq9_9="2")
    page = soup(client.get(path))
    for box in (page.find(id="crisis-help"), page.find(id="support")):
        assert "not staffed at night or on Saturday or Sunday" in " ".join(box.get_text(" ").split())


def test_support_box_on_every_view_of_the_manage_page(app, client, clock):
    path = submit(client, phq9_9="0")
    views = {"just submitted": client.get(path), "later": client.get(path)}
    csrf = csrf_token_from(client.get(path + "/cancel").get_data(as_text=True))  # the cancel form asks first
    clock.set(datetime(2026, 11, 24, 14, 5, tzinfo=UTC))  # started: changes refused
    views["refused (409)"] = client.post(path + "/cancel", data={"csrf_token": csrf})
    assert views["refused (409)"].status_code == 409
    clock.set(NOW)
    client.post(path + "/cancel", data={"csrf_token": csrf})
    views["cancelled"] = client.get(path)
    for name, response in views.items():
        page = soup(response)
        box = page.find(id="support")
        assert box is not None, name
        assert box.find("h2").get_text(strip=True) == "Support while you wait", name
        assert help_links(box) == HELP_LINKS, name
        assert page.find(id="crisis-help") is None, name
        assert "notice-crisis" not in box["class"] and "role" not in box.attrs  # calm, not an alarm


def test_support_box_and_page_are_the_same_whatever_the_answers(app, client):
    calm = submit(client, phq9_9="0", **{f"phq9_{i}": "0" for i in range(1, 9)})
    client.get(calm)
    other = app.test_client()
    urgent = submit(other, slot=NEW_SLOT, phq9_9="3", **{f"phq9_{i}": "3" for i in range(1, 9)})
    other.get(urgent)  # the crisis panel is spent on the first view
    mains = [soup(c.get(path)).find("main") for c, path in ((client, calm), (other, urgent))]
    assert str(mains[0].find(id="support")) == str(mains[1].find(id="support"))
    assert [m.find(id="crisis-help") for m in mains] == [None, None]
    # The same page structure: nothing on it depends on the answers.
    assert [(tag.name, tag.get("id")) for tag in mains[0].find_all(True)] == [
        (tag.name, tag.get("id")) for tag in mains[1].find_all(True)
    ]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", "/cancel"),
        ("get", "/reschedule"),
        ("post", "/reschedule"),
        ("get", "/calendar.ics"),
    ],
)
@pytest.mark.parametrize(
    "token", ["nope", "InZ1RS0tLW4zQUY4VnBLU3NRZm5vY2ci.5PtzouOK9swbAu_TeFR7cBmGel8", "1"]
)
def test_bad_token_is_a_friendly_404_everywhere(client, method, suffix, token):
    client.get("/consultation")
    csrf = csrf_token_from(client.get("/consultation").get_data(as_text=True))
    response = getattr(client, method)(f"/appointments/{token}{suffix}", data={"csrf_token": csrf})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "not valid any more" in text and "Traceback" not in text


def test_the_row_id_never_opens_a_booking(app, client, make_request):
    request_id = make_request(slot=SLOT)
    assert client.get(f"/appointments/{request_id}").status_code == 404


def test_link_expires_a_day_after_the_appointment(app, client, clock):
    path = submit(client)
    clock.set(datetime(2026, 11, 25, 14, 30, tzinfo=UTC))  # a day after the 09:30 end, exactly
    assert client.get(path).status_code == 200
    clock.set(datetime(2026, 11, 25, 14, 30, 1, tzinfo=UTC))
    assert client.get(path).status_code == 404
    assert client.get(path + "/calendar.ics").status_code == 404


# Cancelling


def test_patient_cancels_and_the_slot_is_free_again_at_once(app, client, sent):
    path = submit(client)
    assert not offered_on_book_page(client)
    sent.clear()
    page = client.get(path + "/cancel")
    response = client.post(
        path + "/cancel", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 303 and response.headers["Location"] == path
    text = soup(client.get(path)).find("main").get_text(" ", strip=True)
    assert "Your consultation is cancelled." in text and "Cancelled." in text
    assert "Cancel my consultation" not in text
    assert offered_on_book_page(client)
    assert claims(app) == []
    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        assert consultation.status is RequestStatus.CANCELLED
        booking = consultation.bookings[0]
        assert (booking.cancelled_at, booking.cancelled_by) == (NOW, "patient")
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
            "request.create",
            "booking.cancel",
        ]
    assert [m.subject for m in sent] == ["Your consultation with Northfield Clinic"]
    again = client.post(path + "/cancel", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert again.status_code == 303
    assert "already cancelled" in client.get(path).get_data(as_text=True)


def test_cancel_needs_the_csrf_token(app, client):
    path = submit(client)
    assert client.post(path + "/cancel", data={}).status_code == 400
    assert claims(app) == [datetime(2026, 11, 24, 14, 0, tzinfo=UTC)]


def test_a_started_appointment_cannot_be_changed_online(app, client, clock):
    path = submit(client)
    csrf = csrf_token_from(client.get(path + "/cancel").get_data(as_text=True))
    clock.set(datetime(2026, 11, 24, 14, 5, tzinfo=UTC))
    page = soup(client.get(path))
    assert page.find("form", action=path + "/cancel") is None
    response = client.post(path + "/cancel", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "can no longer be changed online" in response.get_data(as_text=True)
    assert client.get(path + "/reschedule").status_code == 409
    assert len(claims(app)) == 1


# Rescheduling


def test_reschedule_page_lists_free_times_as_radio_buttons(client, make_request):
    make_request(slot="2026-11-24T10:00:00-05:00", email="other@example.com")
    path = submit(client)
    page = soup(client.get(path + "/reschedule"))
    assert "Tuesday, November 24, 2026 at 9:00 AM Eastern Time" in page.get_text()
    values = [r["value"] for r in page.find_all("input", {"type": "radio", "name": "slot"})]
    assert NEW_SLOT in values
    assert "2026-11-24T10:00:00-05:00" not in values and SLOT not in values
    assert "2026-11-23T09:30:00-05:00" not in values  # inside the notice period
    next_week = page.find("a", rel="next")["href"]
    assert next_week == path + "/reschedule?week=2026-11-30"
    assert "2026-12-01T09:00:00-05:00" in [
        r["value"] for r in soup(client.get(next_week)).find_all("input", {"name": "slot"})
    ]


def test_reschedule_uses_the_book_grid_with_a_confirm_bar_and_the_earliest_time(client):
    path = submit(client)
    page = soup(client.get(path + "/reschedule"))
    assert page.find(attrs={"data-slot-picker": True}).find("h2", class_="week-title")
    labels = [label.get_text(" ", strip=True) for label in page.select("label.slot-choice")]
    assert "Wednesday, November 25 at 2:30 PM" in labels  # 12-hour, as on /book
    assert page.select_one("section.slot-day").h3["id"] == "day-2026-11-23"  # today first
    bar = page.find(attrs={"data-confirm-bar": True})
    assert bar.find("form") is None and bar.find_parent("form")["action"] == path + "/reschedule"
    assert bar.find("button", type="submit").get_text(strip=True) == "Move my consultation to this time"
    assert "none chosen yet" in bar.get_text() and "We email you the new time" in bar.get_text()
    jump = page.find("a", attrs={"data-first-free": True})
    assert jump.get_text(strip=True) == "Monday, November 23 at 10:00 AM"  # two hours' notice from 08:00
    assert jump["href"].startswith(path + "/reschedule?week=2026-11-23&slot=2026-11-23T10")
    # following the jump: that time is chosen already, and the bar says so (no JavaScript needed)
    chosen = soup(client.get(jump["href"].split("#")[0]))
    assert chosen.find("input", {"name": "slot", "checked": True})["value"] == "2026-11-23T10:00:00-05:00"
    assert "Monday, November 23 at 10:00 AM" in chosen.find(attrs={"data-chosen-text": True}).get_text()
    assert "Eastern Time" in chosen.find("main").get_text() and "America/New" not in chosen.get_text()


def test_reschedule_moves_the_booking_and_frees_the_old_time(app, client, sent):
    path = submit(client)
    sent.clear()
    page = client.get(path + "/reschedule")
    csrf = csrf_token_from(page.get_data(as_text=True))
    response = client.post(path + "/reschedule", data={"csrf_token": csrf, "slot": NEW_SLOT})
    assert response.status_code == 303 and response.headers["Location"] == path
    text = soup(client.get(path)).find("main").get_text(" ", strip=True)
    assert "Wednesday, November 25, 2026 at 2:30 PM Eastern Time" in text
    assert "Your consultation has moved." in text
    assert claims(app) == [datetime(2026, 11, 25, 19, 30, tzinfo=UTC)]
    assert offered_on_book_page(client)
    assert [m.subject for m in sent] == ["Your consultation with Northfield Clinic"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 2


def test_reschedule_to_a_taken_time_is_409_and_changes_nothing(app, client, make_request):
    path = submit(client)
    make_request(slot=NEW_SLOT, email="other@example.com")
    csrf = csrf_token_from(client.get(path + "/reschedule").get_data(as_text=True))
    response = client.post(path + "/reschedule", data={"csrf_token": csrf, "slot": NEW_SLOT})
    assert response.status_code == 409
    assert "just taken" in response.get_data(as_text=True)
    assert soup(response).find_all("input", {"type": "radio", "name": "slot"})
    assert len(claims(app)) == 2
    assert "Tuesday, November 24, 2026 at 9:00 AM" in soup(client.get(path)).get_text()


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("", "Please choose a new time."),
        ("next tuesday", "Please choose a new time."),
        (SLOT, "already your time"),
    ],
)
def test_reschedule_bad_choice_is_422(app, client, slot, message):
    path = submit(client)
    csrf = csrf_token_from(client.get(path + "/reschedule").get_data(as_text=True))
    response = client.post(path + "/reschedule", data={"csrf_token": csrf, "slot": slot})
    assert response.status_code == 422
    assert message in soup(response).find(id="slot-error").get_text()
    assert len(claims(app)) == 1


def test_reschedule_needs_the_csrf_token(app, client):
    path = submit(client)
    assert client.post(path + "/reschedule", data={"slot": NEW_SLOT}).status_code == 400
    assert claims(app) == [datetime(2026, 11, 24, 14, 0, tzinfo=UTC)]


def test_reschedule_after_cancelling_points_to_a_new_request(client):
    path = submit(client)
    csrf = csrf_token_from(client.get(path + "/cancel").get_data(as_text=True))
    client.post(path + "/cancel", data={"csrf_token": csrf})
    response = client.get(path + "/reschedule")
    assert response.status_code == 303 and response.headers["Location"] == path


# The calendar file


def test_calendar_file_has_one_event_in_the_clinics_timezone(client):
    path = submit(client)
    response = client.get(path + "/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consultation.ics"'
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Your consultation with Northfield Clinic"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTART").isoformat() == SLOT
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert path in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"


def test_calendar_file_of_a_cancelled_booking_says_so(client):
    path = submit(client)
    csrf = csrf_token_from(client.get(path + "/cancel").get_data(as_text=True))
    client.post(path + "/cancel", data={"csrf_token": csrf})
    event = Calendar.from_ical(client.get(path + "/calendar.ics").data).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


# The whole journey


def test_from_the_picker_to_a_booking_then_reschedule_and_cancel(app, client):
    picker = soup(client.get("/book?week=2026-11-23"))
    link = next(a["href"] for a in picker.select("a.slot") if unquote(a["href"]).endswith(SLOT))
    form = client.get(link)
    assert form.status_code == 200
    assert soup(form).find("input", {"type": "hidden", "name": "slot"})["value"] == SLOT
    data = intake_form_data(SLOT, csrf_token_from(form.get_data(as_text=True)))
    path = client.post("/consultation", data=data).headers["Location"]
    assert not offered_on_book_page(client, SLOT)
    assert client.get(path + "/calendar.ics").status_code == 200
    csrf = csrf_token_from(client.get(path + "/reschedule").get_data(as_text=True))
    assert client.post(path + "/reschedule", data={"csrf_token": csrf, "slot": NEW_SLOT}).status_code == 303
    assert offered_on_book_page(client, SLOT)
    assert not offered_on_book_page(client, "2026-11-25T14:30:00-05:00")
    assert client.post(path + "/cancel", data={"csrf_token": csrf}).status_code == 303
    assert offered_on_book_page(client, "2026-11-25T14:30:00-05:00")
    assert claims(app) == []


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "garbage"])
def test_reschedule_week_out_of_range_shows_a_bookable_week(client, week):
    path = submit(client)
    response = client.get(path + "/reschedule", query_string={"week": week})
    assert response.status_code == 200
    assert soup(response).find_all("input", {"type": "radio", "name": "slot"})


def test_reschedule_to_an_absurd_year_is_422(app, client):
    path = submit(client)
    csrf = csrf_token_from(client.get(path + "/reschedule").get_data(as_text=True))
    response = client.post(
        path + "/reschedule", data={"csrf_token": csrf, "slot": "9999-12-31T23:59:59+14:00"}
    )
    assert response.status_code == 422
    assert len(claims(app)) == 1
