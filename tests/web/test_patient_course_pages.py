"""The patient's course page by its signed link: appointments, driver, cancel (asked first), calendar."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ChairClaim, SessionStatus, TreatmentCourse, TreatmentSession
from clinic.services.courses import links
from tests.conftest import csrf_token_from
from tests.fixtures_courses import DRUG_WORDS, NY, SPRAY_DAYS, local, spray_starts


def text(response) -> str:
    """The words of the page's own content (the layout around it is the clinic's, the same everywhere)."""
    main = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("main")
    return " ".join(main.get_text(" ").split())


@pytest.fixture
def course_link(app, completed_request, enrol, book, sent):
    """An esketamine course booked for Marisol; returns (course id, the link's path from the email)."""
    request_id = completed_request(modality="nasal_spray", first_name="Marisol")
    enrol(request_id)
    course_id = book(request_id, "nasal_spray", spray_starts())
    email = next(m for m in sent if "/courses/" in m.body)  # the row keeps no body once sent
    url = re.search(r"https?://\S+/courses/\S+", email.body).group(0)
    return course_id, "/courses/" + url.split("/courses/", 1)[1]


def test_the_page_lists_every_appointment_in_clinic_time_with_the_support_box(client, course_link):
    _, path = course_link
    page = client.get(path)
    assert page.status_code == 200
    body = text(page)
    assert "Appointment 1: Monday, March 1, 2027 at 9:00 AM Eastern Time" in body
    assert "Appointment 12: Monday, April 19, 2027 at 9:00 AM Eastern Time" in body
    assert "about 11:15 AM" in body  # dose and monitoring
    assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#support")
    assert not [w for w in DRUG_WORDS if w in body.lower()]
    description = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        "meta[name=description]"
    )
    assert not [w for w in DRUG_WORDS if w in description["content"].lower()]
    assert "Marisol" not in body  # nothing about the patient beyond the reference
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("bad", ["nonsense", "x" * 300, "WyJhYmMiLDFd.forged"])
def test_a_bad_link_is_a_friendly_404(client, course_link, bad):
    response = client.get(f"/courses/{bad}")
    assert response.status_code == 404
    assert "not valid any more" in text(response)


def test_the_calendar_has_every_appointment_in_the_clinic_timezone(client, course_link):
    _, path = course_link
    response = client.get(f"{path}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = list(Calendar.from_ical(response.get_data(as_text=True)).walk("VEVENT"))
    assert len(events) == 12
    assert all(e["dtstart"].params["TZID"] == "America/New_York" for e in events)
    assert [e["dtstart"].dt.astimezone(NY).date() for e in events] == SPRAY_DAYS
    assert not [w for w in DRUG_WORDS if w in response.get_data(as_text=True).lower()]


def test_the_patient_confirms_a_driver(app, client, course_link):
    course_id, path = course_link
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    response = client.post(f"{path}/sessions/2/driver", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("#appointment-2")
    assert "driver home for appointment 2 is confirmed" in text(client.get(path))
    with app.app_context():
        session = db.session.scalars(
            select(TreatmentSession).where(
                TreatmentSession.course_id == course_id, TreatmentSession.number == 2
            )
        ).one()
        assert session.driver_confirmed_by == "patient"
    assert client.post(f"{path}/sessions/99/driver", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{path}/sessions/2/driver", data={}).status_code == 400


def test_cancelling_asks_first_then_frees_the_chair(app, client, course_link):
    course_id, path = course_link
    question = client.get(f"{path}/sessions/3/cancel")
    assert question.status_code == 200
    assert "Cancel your appointment on Monday, March 8, 2027 at 9:00 AM Eastern Time?" in text(question)
    with app.app_context():
        assert db.session.get(TreatmentCourse, course_id).sessions[2].status == SessionStatus.SCHEDULED
    token = csrf_token_from(question.get_data(as_text=True))
    done = client.post(f"{path}/sessions/3/cancel", data={"csrf_token": token})
    assert done.status_code == 303
    assert "Appointment 3 is cancelled" in text(client.get(path))
    with app.app_context():
        third = db.session.get(TreatmentCourse, course_id).sessions[2]
        assert third.status == SessionStatus.CANCELLED and third.status_by == "patient"
        assert db.session.scalars(select(ChairClaim).where(ChairClaim.session_id == third.id)).all() == []
    again = client.post(f"{path}/sessions/3/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "already cancelled" in text(again)
    assert client.get(f"{path}/sessions/3/cancel").status_code == 409


def test_a_started_appointment_can_no_longer_be_cancelled_online(app, client, course_link, clock):
    _, path = course_link
    clock.set(local(SPRAY_DAYS[0], 9, 30))
    assert client.get(f"{path}/sessions/1/cancel").status_code == 409
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    refused = client.post(f"{path}/sessions/1/cancel", data={"csrf_token": token})
    assert refused.status_code == 409 and "call us" in text(refused)


def test_the_link_stops_working_a_month_after_the_last_appointment(app, client, course_link, clock):
    course_id, path = course_link
    with app.app_context():
        last = max(s.ends_at for s in db.session.get(TreatmentCourse, course_id).sessions)
    clock.set(last + links.VALID_AFTER_LAST - timedelta(minutes=1))
    assert client.get(path).status_code == 200
    clock.set(last + links.VALID_AFTER_LAST + timedelta(minutes=1))
    assert client.get(path).status_code == 404
