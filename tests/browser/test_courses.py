"""Treatment courses in Chromium against the live server: the whole journey from a completed consultation
to the patient's calendar, and axe on every course page."""

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.courses import booking, links, rems
from clinic.timeutil import utcnow
from clinic.triage.enums import RequestStatus
from tests.browser.conftest import STAFF_EMAIL, sign_in
from tests.browser.test_a11y import as_role, signed_in_state  # noqa: F401  (fixtures)
from tests.browser.test_journeys import create_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

NY = ZoneInfo("America/New_York")
SPRING_CHANGE = date(2027, 3, 14)  # the Sunday clocks go forward in New York
FIRST_MONDAY = date(2027, 3, 1)  # two weeks before


def request_id_of(live_server, reference: str) -> int:
    with live_server.app.app_context():
        found = db.session.scalar(
            select(ConsultationRequest.id).where(ConsultationRequest.reference == reference)
        )
        db.session.remove()
        return found


def course_email_path(live_server, request_id: int) -> str:
    """The course link of the booking email sent for `request_id`, as a path on the live server."""
    with live_server.app.app_context():
        email = db.session.scalar(
            select(ConsultationRequest.email).where(ConsultationRequest.id == request_id)
        )
        db.session.remove()
    # Sent emails keep no body in the outbox: read what the mail backend received.
    sent = live_server.app.extensions["mailman"].outbox
    message = next(
        m for m in reversed(sent) if email in m.to and m.subject.startswith("Your appointment with ")
    )
    url = re.search(r"https?://\S+/courses/\S+", message.body).group(0)
    return "/courses/" + url.split("/courses/", 1)[1]


def test_staff_book_an_esketamine_course_across_the_spring_change_and_the_patient_confirms(
    page: Page, live_server
):
    reference, _ = create_request(live_server, urgent=False, last_name="Coursewalker")
    request_id = request_id_of(live_server, reference)
    sign_in(page, STAFF_EMAIL)

    # The consultation happened: scheduled, then completed.
    page.goto(f"/staff/requests/{request_id}")
    page.locator("#status-form").get_by_role("button", name="Scheduled", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Status changed to scheduled")
    # Completed is offered only once the appointment has started: the live clock is real, so the
    # consultation "happens" by marking it completed in the database, then the page is read again.
    expect(page.locator("#status-form").get_by_role("button", name="Completed", exact=True)).to_have_count(0)
    with live_server.app.app_context():
        db.session.get(ConsultationRequest, request_id).status = RequestStatus.COMPLETED
        db.session.commit()
        db.session.remove()
    page.goto(f"/staff/requests/{request_id}")
    expect(page.locator("#status-form")).to_contain_text("Status: Completed")

    # REMS enrollment, recorded on the request before any esketamine course.
    card = page.locator("section#course")
    card.get_by_label("Enrollment date").fill(
        date.today().replace(day=1).isoformat()
    )  # the live clock is real
    card.get_by_label("REMS patient ID").fill("RP-2027-0042")
    card.get_by_role("button", name="Record the REMS enrollment").click()
    expect(page.get_by_role("status")).to_contain_text("REMS enrollment recorded")
    expect(page.locator("section#course")).to_contain_text("RP-2027-0042")

    # Plan twelve sprays from the Monday two weeks before the change, at 09:00, and book them all.
    card = page.locator("section#course")
    card.get_by_label("Treatment").select_option("nasal_spray")
    card.get_by_label("First day wanted").fill(FIRST_MONDAY.isoformat())
    card.get_by_label("Preferred time").fill("09:00")
    card.get_by_role("button", name="Plan a treatment course").click()
    page.wait_for_url("**/course/new?*")
    sessions = page.locator("input[name=session]")
    expect(sessions).to_have_count(12)
    values = [sessions.nth(i).input_value() for i in range(12)]
    assert values[0].startswith(FIRST_MONDAY.isoformat())
    assert any(v[:10] < SPRING_CHANGE.isoformat() for v in values)
    assert any(v[:10] > SPRING_CHANGE.isoformat() for v in values)
    page.get_by_role("button", name="Book all 12 sessions").click()
    page.wait_for_url(re.compile(r"/staff/courses/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Course booked: 12 sessions")

    # The chair board of the first day shows the session, its phases and discharge time.
    page.goto(f"/staff/chairs?date={FIRST_MONDAY.isoformat()}")
    board = page.locator("table.chair-board")
    expect(board).to_contain_text("Coursewalker")
    expect(board).to_contain_text("Discharge not before")
    expect(board.locator("td.phase-monitoring").first).to_be_visible()

    # The patient opens the link from the email, confirms a driver, and takes the calendar.
    patient = page.context.browser.new_context(base_url=live_server.url)
    patient_page = patient.new_page()
    path = course_email_path(live_server, request_id)
    patient_page.goto(path)
    expect(patient_page.get_by_role("heading", level=1)).to_have_text("Your appointments")
    expect(patient_page.locator("#support")).to_be_visible()
    patient_page.get_by_role("button", name=re.compile("I have someone to drive me home")).first.click()
    expect(patient_page.get_by_role("status")).to_contain_text("driver home for appointment 1 is confirmed")
    expect(patient_page.locator("#appointment-1")).to_contain_text("Confirmed")
    ics = patient_page.request.get(f"{path}/calendar.ics")
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    events = list(Calendar.from_ical(ics.text()).walk("VEVENT"))
    assert len(events) == 12
    assert all(event["dtstart"].params.get("TZID") == "America/New_York" for event in events)
    assert all(str(event["summary"]).startswith("Your appointment with ") for event in events)
    offsets = {event["dtstart"].dt.utcoffset().total_seconds() / 3600 for event in events}
    assert offsets == {-5, -4}  # both sides of the change, each in the clinic's local time
    patient.close()


@pytest.fixture(scope="module")
def course_for_axe(live_server):
    """A completed, enrolled request with a booked esketamine course in May 2027; (request id, course id,
    course link path)."""
    reference, _ = create_request(live_server, urgent=False, last_name="Axecourse")
    request_id = request_id_of(live_server, reference)
    with live_server.app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        consultation.status = RequestStatus.COMPLETED
        db.session.commit()
        rems.record_enrolment(request_id, date(2026, 1, 5), "RP-AXE-1", actor_id=None, today=date.today())
        plan_days = [date(2027, 5, d) for d in (3, 5, 10, 12, 17, 19, 24, 26, 31)] + [
            date(2027, 6, 7),
            date(2027, 6, 14),
            date(2027, 6, 21),
        ]
        course = booking.book_course(
            request_id,
            "nasal_spray",
            [datetime.combine(d, time(12, 30), NY) for d in plan_days],
            actor_id=None,
            now=utcnow(),
        )
        result = request_id, course.id, f"/courses/{links.course_token(course)}"
        db.session.remove()
    return result


def test_course_pages_pass_axe(as_role, axe, course_for_axe):  # noqa: F811
    request_id, course_id, _ = course_for_axe
    page = as_role("staff")
    for path in (
        f"/staff/requests/{request_id}",
        f"/staff/requests/{request_id}/course/new?kind=infusion&start=2027-05-03&time=10:00",
        "/staff/chairs?date=2027-05-03",
        f"/staff/courses/{course_id}",
    ):
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        axe(page)
    page.locator("form[action$='/status'] button[value=cancelled]").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel session")
    axe(page)


def test_planner_errors_pass_axe(as_role, axe, course_for_axe):  # noqa: F811
    request_id, _, _ = course_for_axe
    page = as_role("staff")
    page.goto(f"/staff/requests/{request_id}/course/new?kind=infusion&start=2027-99-01&time=25:00")
    axe(page)


def test_patient_course_pages_pass_axe(page: Page, axe, course_for_axe):
    _, _, path = course_for_axe
    assert page.goto(path).status == 200
    axe(page)
    page.get_by_role("link", name="Cancel appointment 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your appointment on")
    axe(page)


def test_patient_course_pages_pass_axe_in_spanish(page: Page, axe, course_for_axe):
    _, _, path = course_for_axe
    assert page.goto(path + "?lang=es").status == 200
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus citas")
    axe(page)
    page.get_by_role("link", name="Cancelar la cita 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("¿Cancelar su cita del")
    axe(page)
