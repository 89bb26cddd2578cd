"""Screenshots for the README, taken from the live app in Chromium: docs/screenshots/*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ADMIN_EMAIL, STAFF_EMAIL, sign_in
from tests.browser.pages import pick_first_free_slot
from tests.browser.test_journeys import create_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), animations="disabled")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, f"{name}.png looks empty"
    return path


@pytest.fixture
def desktop(new_context) -> Page:
    context = new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    return context.new_page()


def test_public_screenshots(desktop: Page):
    desktop.goto("/")
    shoot(desktop, "home")
    desktop.goto("/book")
    if desktop.locator(".slot-day:has(a.slot)").count() < 3:  # late in the week: show a fuller one
        desktop.get_by_role("link", name=re.compile("Next week")).click()
    shoot(desktop, "booking")
    pick_first_free_slot(desktop)
    shoot(desktop, "intake")


def test_staff_and_admin_screenshots(desktop: Page, live_server):
    create_request(live_server, urgent=True, last_name="Screenshot")
    sign_in(desktop, STAFF_EMAIL)
    desktop.goto("/staff/")
    shoot(desktop, "staff-queue")
    desktop.context.clear_cookies()
    sign_in(desktop, ADMIN_EMAIL)
    desktop.goto("/admin/hours")
    shoot(desktop, "admin-hours")


def test_phone_screenshot(new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/book")
    shoot(page, "booking-phone")


def test_reschedule_on_a_phone_screenshot(new_context, live_server):
    """The patient's reschedule page on a phone, a time chosen: the confirm bar stays on screen."""
    _, token = create_request(live_server, urgent=False, last_name="Screenshot")
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"/appointments/{token}/reschedule")
    shoot(page, "reschedule-phone")
    second_day = page.locator("section.slot-day:has(label.slot-choice)").nth(1)
    choice = second_day.locator("label.slot-choice").nth(4)
    choice.scroll_into_view_if_needed()
    choice.tap()
    shoot(page, "reschedule-phone-chosen")
