"""The waitlist for an earlier time (SPEC 13), walked in Chromium on the real clock.

A patient booked for next week joins the waitlist; another patient cancels tomorrow's slot; run-jobs; the
first patient's email offers tomorrow; accepting moves the booking, and /book shows the old slot free. The
new pages (the manage page's waitlist section, the offer page, staff's waitlist) pass axe.
"""

import re
from datetime import date, datetime, timedelta
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import STAFF_EMAIL, sign_in
from tests.browser.pages import MANAGE_URL, detail_value, fill_intake, submit_intake

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
NY = ZoneInfo("America/New_York")


def run_jobs(live_server) -> None:
    result = live_server.app.test_cli_runner().invoke(args=["run-jobs"])
    assert result.exit_code == 0, result.output


def book(page: Page, slot: str, **patient: str) -> str:
    """Book `slot` through the intake form; returns the manage page's URL."""
    page.goto(f"/consultation?slot={quote(slot)}")
    fill_intake(page, **patient)
    submit_intake(page)
    return page.url


def day_text(slot: str) -> str:
    local = datetime.fromisoformat(slot).astimezone(NY)
    return f"{local:%A, %B} {local.day}, {local.year}"


def slot_key(slot: str) -> str:
    return datetime.fromisoformat(slot).astimezone(NY).strftime("%Y-%m-%dT%H:%M")


def test_a_cancelled_slot_is_offered_to_the_patient_waiting_and_accepted(
    page: Page, new_context, live_server, axe
):
    today = datetime.now(NY).date()
    free = live_server.free_slots(days=21)
    tomorrow = next(s for s in free if datetime.fromisoformat(s).astimezone(NY).date() > today)
    first_day = datetime.fromisoformat(tomorrow).astimezone(NY).date()
    later = next(
        s for s in free if datetime.fromisoformat(s).astimezone(NY).date() >= first_day + timedelta(days=7)
    )
    run_jobs(live_server)  # seats freed by earlier tests are handled before anyone waits

    # The first patient books for next week and joins the waitlist from the manage page.
    waiting_email = "wendy.waitlist@example.com"
    waiting_url = book(page, later, first_name="Wendy", last_name="Waitlist", email=waiting_email)
    section = page.locator("section#waitlist")
    expect(section).to_be_visible()
    section.get_by_label("The earliest day you could come").fill(today.isoformat())
    section.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_url(re.compile(r"/appointments/[^/]+(#waitlist)?$"))
    expect(page.locator("#waitlist-wishes")).to_contain_text("Any day we are open")
    axe(page)

    # Staff see who waits.
    staff = new_context().new_page()
    sign_in(staff, STAFF_EMAIL)
    staff.goto("/staff/waitlist")
    expect(staff.locator("#waitlist-table")).to_contain_text("Waitlist")
    axe(staff)

    # Another patient holds tomorrow's slot, then cancels it.
    other = new_context().new_page()
    book(other, tomorrow, first_name="Carl", last_name="Canceller", email="carl.cancel@example.com")
    other.get_by_role("link", name="Cancel my consultation").click()
    other.get_by_role("button", name="Yes, cancel my consultation").click()
    other.wait_for_url(MANAGE_URL)

    run_jobs(live_server)

    # The waiting patient's email offers tomorrow, held until a time in clinic time.
    sent = live_server.app.extensions["mailman"].outbox
    message = next(
        m for m in reversed(sent) if waiting_email in m.to and m.subject.startswith("An earlier time")
    )
    assert message.subject == "An earlier time is free at Northfield Clinic"
    assert day_text(tomorrow) in message.body
    assert re.search(r"until .+ Eastern Time", message.body)
    url = re.search(r"https?://\S+/offers/\S+", message.body).group(0)
    token = url.split("/offers/", 1)[1]
    page.goto("/offers/" + token)
    expect(page.locator("#offer-time")).to_contain_text(day_text(tomorrow))
    axe(page)
    page.get_by_role("button", name="Take this time").click()
    page.wait_for_url(MANAGE_URL)
    assert page.url == waiting_url
    assert day_text(tomorrow) in detail_value(page, "Time")

    # The old slot is free again on /book.
    old_day: date = datetime.fromisoformat(later).astimezone(NY).date()
    page.goto(f"/book?week={old_day.isoformat()}")
    expect(page.locator("a.slot").first).to_be_visible()
    hrefs = page.locator("a.slot").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(slot_key(later) in unquote(href) for href in hrefs)
    assert not any(token in line for line in live_server.log)  # the offer link never reaches a log
