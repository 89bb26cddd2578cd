"""An urgent request whose patient cancels stays in the staff queue (SPEC 4), walked in Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import STAFF_EMAIL, sign_in
from tests.browser.pages import MANAGE_URL, detail_value, fill_intake, pick_first_free_slot, submit_intake

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_an_urgent_request_cancelled_by_its_patient_stays_in_the_queue(page: Page, new_context, axe):
    page.goto("/book")
    pick_first_free_slot(page)
    fill_intake(page, phq9=[1, 1, 1, 1, 1, 1, 1, 1, 1], last_name="Keptopen")
    submit_intake(page)
    reference = detail_value(page, "Reference")
    manage_url = page.url

    page.get_by_role("link", name="Cancel my consultation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Cancel your consultation on .+\?$")
    )
    expect(page.locator("#support")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="No, keep my consultation").click()
    page.wait_for_url(MANAGE_URL)
    expect(page.locator("dl.kv")).not_to_contain_text("Cancelled")
    page.get_by_role("link", name="Cancel my consultation").click()
    page.get_by_role("button", name="Yes, cancel my consultation").click()
    page.wait_for_url(MANAGE_URL)
    assert page.url == manage_url
    expect(page.locator("dl.kv")).to_contain_text("Cancelled")

    staff = new_context().new_page()
    sign_in(staff, STAFF_EMAIL)
    banner = staff.locator("#urgent-banner")
    expect(banner).to_be_visible()
    row = staff.locator("table.queue-table tbody tr", has=staff.get_by_role("link", name=reference))
    expect(row).to_have_count(1)  # the default (open) queue still lists it
    expect(row).to_contain_text("Patient cancelled")
    expect(row).to_have_class(re.compile(r"\bpriority-urgent\b"))
    counted = int(re.search(r"(\d+) urgent request", banner.inner_text()).group(1))
    staff.locator("#urgent-banner a").click()
    expect(staff.get_by_role("link", name=reference)).to_be_visible()  # in the urgent list it counts
    assert staff.locator("table.queue-table tbody tr").count() == counted
