"""Whole journeys in Chromium against the live server: patients, staff and admins as they meet the app."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from clinic.extensions import db
from clinic.models import OpeningHours
from clinic.services.booking import availability, intake
from clinic.services.booking.links import manage_token
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact
from tests.browser.conftest import ADMIN_EMAIL, STAFF_EMAIL, STAFF_NAME, sign_in
from tests.browser.pages import MANAGE_URL, detail_value, fill_intake, pick_first_free_slot, submit_intake

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server


def create_request(live_server, *, urgent: bool, last_name: str) -> tuple[str, str]:
    """A request stored through the intake service of the live app; returns (reference, manage token)."""
    with live_server.app.app_context():
        now = utcnow()
        starts_at = availability.nearest_slots(None, now=now, limit=1)[0].starts_at
        data = intake.IntakeData(
            starts_at=starts_at,
            first_name="Casey",
            last_name=last_name,
            email="casey.browser@example.com",
            phone="+12125550111",
            date_of_birth=date(1990, 1, 2),
            preferred_contact=PreferredContact.PHONE,
            phq9=(2, 2, 2, 2, 2, 2, 2, 2, 2 if urgent else 0),
            antidepressant_trials=2,
            modality=Modality.UNDECIDED,
        )
        consultation = intake.submit(data, now=now)
        result = consultation.reference, manage_token(consultation)
        db.session.remove()
        return result


def test_patient_reads_books_reschedules_and_cancels(page: Page, live_server):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Learn").click()
    expect(page).to_have_url(re.compile(r"/learn/$"))
    page.locator("main a[href^='/learn/']").first.click()
    expect(page).to_have_url(re.compile(r"/learn/[a-z-]+$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert len(page.locator("main").inner_text()) > 500, "the article has no body"
    expect(page.locator("main a[href*='/book'], main a[href*='/consultation']").first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("consultation", re.I)
    ).click()
    expect(page).to_have_url(re.compile(r"/book"))
    chosen = pick_first_free_slot(page)
    fill_intake(page)
    submit_intake(page)
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    reference = detail_value(page, "Reference")
    assert re.fullmatch(r"KT-[A-HJ-NP-Z2-9]{6}", reference), reference
    first_time = detail_value(page, "Time")
    manage_url = page.url
    assert chosen.replace("%3A", ":")[:16] not in live_server.free_slots(), "the booked slot is still offered"

    page.get_by_role("link", name="Choose another time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose another time")
    new_choice = page.locator("input[name='slot']").first
    new_value = new_choice.get_attribute("value")
    new_choice.check()
    page.get_by_role("button", name="Move my consultation to this time").click()
    page.wait_for_url(MANAGE_URL)
    assert page.url == manage_url, "the manage link changed on reschedule"
    assert detail_value(page, "Time") != first_time
    assert new_value not in live_server.free_slots()

    page.get_by_role("link", name="Cancel my consultation").click()  # asks first
    page.get_by_role("button", name="Yes, cancel my consultation").click()
    page.wait_for_url(MANAGE_URL)
    expect(page.locator("dl.kv")).to_contain_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel my consultation")).to_have_count(0)
    assert new_value in live_server.free_slots(), "a cancelled slot must be offered again at once"


def test_urgent_intake_shows_the_crisis_panel(page: Page):
    page.goto("/book")
    pick_first_free_slot(page)
    fill_intake(page, phq9=[2, 2, 2, 2, 2, 2, 2, 2, 1], last_name="Urgentpanel")
    submit_intake(page)
    panel = page.locator(".notice-crisis")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("988")
    expect(panel).to_contain_text("911")
    box = panel.bounding_box()
    assert box and box["y"] < page.viewport_size["height"], "the crisis panel must be seen without scrolling"


def test_routine_intake_shows_no_crisis_panel(page: Page):
    page.goto("/book")
    pick_first_free_slot(page)
    fill_intake(page, last_name="Routinepanel")
    submit_intake(page)
    expect(page.locator(".notice-crisis")).to_have_count(0)


KEYBOARD_TEXT = {
    "first_name": "Kiran",
    "last_name": "Keyboard",
    "email": "kiran.keyboard@example.com",
    "phone": "+1 212 555 0134",
    "date_of_birth": "1979-11-30",
    "antidepressant_trials": "2",
}


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), name: e.getAttribute('name') || '', type: e.type || '',
                    cls: e.className || '', text: (e.innerText || e.value || '').trim().slice(0, 60),
                    checked: !!e.checked,
                    visible: !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)}; }"""
    )


def tab_until(page: Page, matches, limit: int = 300) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError("the keyboard never reached the element")


def test_booking_with_the_keyboard_alone(page: Page):
    """Tab, Space and Enter only: from the picker to the manage page."""
    page.goto("/book")
    if not page.locator("a.slot").count():
        tab_until(page, lambda e: e["tag"] == "a" and "Next week" in e["text"])
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    slot = tab_until(page, lambda e: e["tag"] == "a" and "slot" in e["cls"].split())
    assert slot["visible"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/consultation?slot=*")

    answered: set[str] = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        element = focused(page)
        name = element["name"]
        if element["tag"] == "button" and "Request this consultation" in element["text"]:
            break
        if name == "website":
            raise AssertionError("the honeypot field must not be reachable with the keyboard")
        if name in KEYBOARD_TEXT and name not in answered:
            text = KEYBOARD_TEXT[name]
            if element["type"] == "date":  # Chromium's date input: month, day, year segments (en-US)
                year, month, day = text.split("-")
                text = month + day + year
            page.keyboard.type(text)
            answered.add(name)
        elif element["type"] == "radio" and name not in answered:
            page.keyboard.press("Space")  # the first answer of each group: "Not at all", email, infusion
            answered.add(name)
        elif name in {"consent_privacy", "consent_contact"} and not element["checked"]:
            page.keyboard.press("Space")
            answered.add(name)
    else:
        raise AssertionError("the keyboard never reached the submit button")
    expected = {*KEYBOARD_TEXT, "preferred_contact", "modality", "consent_privacy", "consent_contact"}
    expected |= {f"phq9_{i}" for i in range(1, 10)}
    assert expected <= answered, f"not reachable by keyboard: {expected - answered}"
    page.keyboard.press("Enter")
    page.wait_for_url(MANAGE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultation")


def test_staff_finds_the_urgent_request_first_and_triages_it(page: Page, live_server):
    reference, _ = create_request(live_server, urgent=True, last_name="Triage")
    sign_in(page, STAFF_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request queue")
    expect(page.locator("#urgent-banner")).to_be_visible()
    first_row = page.locator("table.queue-table tbody tr").first
    expect(first_row).to_have_class(re.compile(r"\bpriority-urgent\b"))

    page.locator("#urgent-banner a").click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Casey Triage")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    page.locator("#status-form button[value='contacted']").click()
    expect(page.locator("#status-form legend")).to_have_text("Status: Contacted")

    note = "Called the patient; safety plan discussed; follow-up booked."
    page.locator("textarea[name='body']").fill(note)
    page.get_by_role("button", name="Add note").click()
    notes = page.locator(".notes-list li")
    expect(notes.last).to_contain_text(note)
    expect(notes.last).to_contain_text(STAFF_NAME)


def free_monday(live_server) -> str:
    """The latest Monday within the horizon with all 19 default slots free: no other journey books there."""
    days = live_server.api("/api/v1/availability?days=60")["days"]
    mondays = [day["date"] for day in days if day["weekday"] == "Monday" and len(day["slots"]) == 19]
    assert mondays, "no fully free Monday in the horizon"
    return mondays[-1]


def as_24h(text: str) -> str:
    """A slot label ("10:00" or "10:00 AM") as HH:MM."""
    match = re.search(r"(\d{1,2}):(\d{2})\s*([AP]M)?", text, re.I)
    assert match, text
    hour, minute, half = int(match[1]), match[2], (match[3] or "").upper()
    if half:
        hour = hour % 12 + (12 if half == "PM" else 0)
    return f"{hour:02d}:{minute}"


def monday_slot_times(page: Page, monday: str) -> list[str]:
    page.goto(f"/book?week={monday}")
    return [
        as_24h(t) for t in page.locator(f"section[aria-labelledby='day-{monday}'] a.slot").all_inner_texts()
    ]


def set_monday(page: Page, opens: str, closes: str) -> None:
    page.goto("/admin/hours")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opening hours")
    page.locator("input[name='mon_opens']").fill(opens)
    page.locator("input[name='mon_closes']").fill(closes)
    page.locator("input[name='mon_closed']").uncheck()
    page.get_by_role("button", name="Save hours").click()
    confirm = page.get_by_role("button", name=re.compile(r"Save and flag"))
    if confirm.count():
        confirm.click()
        page.wait_for_url("**/admin/affected")  # the bookings flagged, whose they are, to tell the patients
        page.goto("/admin/hours")
    expect(page.locator("input[name='mon_opens']")).to_have_value(opens)


def test_admin_changes_monday_hours_and_the_picker_shows_them(page: Page, live_server):
    monday = free_monday(live_server)
    sign_in(page, ADMIN_EMAIL)
    try:
        set_monday(page, "10:00", "12:00")
        assert monday_slot_times(page, monday) == ["10:00", "10:30", "11:00", "11:30"]
        api_day = next(d for d in live_server.api(f"/api/v1/availability?start={monday}&days=1")["days"])
        assert (api_day["opens"], api_day["closes"]) == ("10:00", "12:00")
    finally:
        set_monday(page, "08:00", "17:30")
    times = monday_slot_times(page, monday)
    assert times[0] == "08:00" and times[-1] == "17:00", times
    with live_server.app.app_context():
        monday_row = db.session.get(OpeningHours, 0)
        assert (
            monday_row.opens.isoformat(timespec="minutes"),
            monday_row.closes.isoformat(timespec="minutes"),
        ) == (
            "08:00",
            "17:30",
        )
        db.session.remove()


def test_phone_sized_viewport_books(new_context):
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the home page scrolls sideways"
    page.goto("/book")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the picker scrolls sideways"
    pick_first_free_slot(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways"
    fill_intake(page, last_name="Phone")
    submit_intake(page)
    expect(page.locator("dl.kv")).to_contain_text("KT-")
