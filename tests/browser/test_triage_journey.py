"""A nurse triages in Chromium: finds the patient by phone, then assigns, logs the call and moves the request
in one submit from the request page; the page and the call list pass axe; the README's screenshot."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.booking import availability, intake
from clinic.services.casework import cases
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact
from tests.browser.conftest import ADMIN_EMAIL, STAFF_EMAIL, STAFF_NAME, sign_in
from tests.browser.test_screenshots import DESKTOP, shoot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

NOTE = "Reached her at home. Safety plan in place; sister with her tonight. Prefers calls after 5 pm."


def create_request(live_server, *, last_name: str, phone: str, urgent: bool = True) -> str:
    """A request stored through the live app's intake service; returns its reference."""
    with live_server.app.app_context():
        now = utcnow()
        starts_at = availability.nearest_slots(None, now=now, limit=1)[0].starts_at
        data = intake.IntakeData(
            starts_at=starts_at,
            first_name="Dana",
            last_name=last_name,
            email=f"dana.{last_name.lower()}@example.com",
            phone=phone,
            date_of_birth=date(1987, 3, 14),
            preferred_contact=PreferredContact.PHONE,
            phq9=(2, 3, 2, 2, 1, 2, 2, 1, 1 if urgent else 0),
            antidepressant_trials=3,
            modality=Modality.INFUSION,
        )
        reference = intake.submit(data, now=now).reference
        db.session.remove()
        return reference


def open_from_search(page: Page, query: str, reference: str) -> None:
    page.goto("/staff/")
    page.locator("input[name='q']").fill(query)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/staff/\?"))
    rows = page.locator("table.queue-table tbody tr")
    expect(rows.filter(has_text=reference)).to_have_count(1)
    row = rows.filter(has_text=reference)
    expect(row.locator("a.phone")).to_have_text("(212) 555-0140")
    expect(row.locator("a.phone")).to_have_attribute("href", "tel:+12125550140")
    row.get_by_role("link", name=reference).click()
    page.wait_for_url("**/staff/requests/*")


def test_a_nurse_triages_a_request_in_one_submit(page: Page, live_server):
    reference = create_request(live_server, last_name="Onesubmit", phone="+1 212 555 0140")
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, "555-0140", reference)  # the last 7 digits, as people say them
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dana Onesubmit")
    expect(page.locator(".triage-phone a.phone")).to_have_text("(212) 555-0140")
    assert "+12125550140" not in page.locator("main").inner_text()

    form = page.locator("#contact-form")
    box = form.bounding_box()
    assert box and box["y"] < 900, f"the contact form starts {box and box['y']} px down the page"
    form.get_by_label("Reached", exact=True).check()
    form.get_by_label("Note (optional; patients never see it)").fill(NOTE)
    form.get_by_label("Then move the request to").select_option("contacted")
    expect(form.get_by_label("Assign to me")).to_be_checked()  # nobody had it

    documents: list[str] = []
    page.on("request", lambda r: documents.append(r.method) if r.resource_type == "document" else None)
    form.get_by_role("button", name="Log contact").click()
    page.wait_for_load_state()
    expect(page.locator(".flashes")).to_contain_text(
        "Contact logged: reached. Assigned to you. Status changed to contacted."
    )
    assert documents == ["POST", "GET"], documents  # one submit: the post and the page it leads back to

    expect(page.locator("#status-form legend")).to_have_text("Status: Contacted")
    expect(page.locator("#assign-form select")).to_have_value(re.compile(r"\d+"))
    expect(page.locator("#assign-form select option:checked")).to_have_text(STAFF_NAME)
    expect(page.locator("#last-contact")).to_contain_text("Reached")
    expect(page.locator("#last-contact")).to_contain_text(STAFF_NAME)
    history = page.locator("section[aria-labelledby='history-heading']")
    expect(history).to_contain_text("Contact: reached")
    expect(history).to_contain_text("Safety plan in place")
    expect(history).to_contain_text("Status New → Contacted")


@pytest.mark.parametrize("query", ["2125550140", "(212) 555-0140"])
def test_a_phone_number_typed_any_way_finds_the_patient(page: Page, live_server, query):
    reference = create_request(live_server, last_name="Phonesearch", phone="+12125550140", urgent=False)
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, query, reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_the_triage_page_and_the_call_list_pass_axe(page: Page, live_server, axe):
    reference = create_request(live_server, last_name="Axetriage", phone="+12125550140")
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, reference, reference)
    axe(page)
    form = page.locator("#contact-form")
    page.evaluate("document.getElementById('contact-form').noValidate = true")  # past the browser's own check
    form.get_by_role("button", name="Log contact").click()  # no outcome: the server's errors shown
    page.wait_for_load_state()
    expect(page.locator("#contact-form .error")).to_contain_text("Choose how the contact went.")
    axe(page)
    page.goto("/staff/calls")
    expect(page.locator("table.call-list")).to_contain_text("Axetriage")
    axe(page)
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden(), "the call list prints without the navigation"
    assert page.locator("th.print-only").is_visible(), "the printed list has a column to write in"


def test_triage_screenshot(new_context, live_server):
    """The request page as a nurse opens it: who, how to call, what happened so far, and the actions."""
    reference = create_request(live_server, last_name="Whitfield", phone="+12125550140")
    context = new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, reference, reference)
    form = page.locator("#contact-form")
    form.get_by_label("No answer", exact=True).check()
    form.get_by_label("Assign to me").uncheck()
    form.get_by_role("button", name="Log contact").click()
    page.wait_for_load_state()
    form = page.locator("#contact-form")
    form.get_by_label("Voicemail left", exact=True).check()
    form.get_by_label("Note (optional; patients never see it)").fill(
        "Left a message asking her to call the clinic back today."
    )
    form.get_by_role("button", name="Log contact").click()
    page.wait_for_load_state()
    page.reload()  # without the flash message
    page.locator("#contact-form").get_by_label("Reached", exact=True).check()
    page.locator("#contact-form").get_by_label("Then move the request to").select_option("contacted")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "staff-triage")


def test_the_request_page_fits_a_phone(new_context, live_server):
    reference = create_request(live_server, last_name="Phonewidth", phone="+12125550140")
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, reference, reference)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the request page scrolls sideways"
    page.goto("/staff/calls")
    expect(page.locator("table.call-list")).to_be_visible()  # a wide table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the call list scrolls sideways"


def test_a_nurse_reopening_the_request_page_sees_every_view_and_every_change(page: Page, live_server):
    """The request page is kept for the nurse's session and sent again with its history drawn afresh: each
    reload is one more view of the same visit, on one line; a note written elsewhere shows at once."""
    reference = create_request(live_server, last_name="Reopened", phone="+12125550140")
    sign_in(page, STAFF_EMAIL)
    open_from_search(page, reference, reference)
    for _ in range(3):
        page.reload()
    history = page.locator("section[aria-labelledby='history-heading'] tbody tr")
    views = history.filter(has_text="Viewed the request")
    expect(views).to_have_count(1)
    expect(views).to_contain_text(re.compile(r"\(4 views until \d\d:\d\d\)"))
    expect(views).to_contain_text(STAFF_NAME)
    request_id = int(page.url.rsplit("/", 1)[1])
    with live_server.app.app_context():  # a colleague's note, written by another connection
        colleague = db.session.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL))
        cases.add_note(request_id, "Sister will drive her home.", actor_id=colleague, now=utcnow())
        db.session.remove()
    page.reload()
    expect(page.get_by_text("Sister will drive her home.")).to_be_visible()
    expect(views).to_contain_text("(5 views until")
