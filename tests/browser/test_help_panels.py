"""Where to get help now, as a patient meets it on a phone: the crisis panel right after an intake with
PHQ-9 item 9 above 0, then the support box when the manage link from the email is opened a day later."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from clinic.timeutil import utcnow
from tests.browser.pages import fill_intake, pick_first_free_slot, submit_intake

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TAP = 44  # px, each side
HELP_LINKS = ["tel:988", "sms:988", "https://988lifeline.org/chat/", "tel:911", "https://988lineadevida.org"]


def small_targets(page: Page, selector: str) -> list[str]:
    """Every link or button inside `selector` smaller than 44×44 px, as 'text (w×h)'."""
    sizes = page.locator(f"{selector} a, {selector} button").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent.trim(), r.width, r.height]; })"
    )
    assert sizes, f"nothing to tap in {selector}"
    return [f"{text} ({w:.0f}×{h:.0f})" for text, w, h in sizes if w < TAP or h < TAP]


def manage_link_from_email(live_server, email: str) -> str:
    # Sent emails keep no body in the outbox: read what the mail backend received.
    sent = live_server.app.extensions["mailman"].outbox
    body = next((m.body for m in reversed(sent) if email in m.to), None)
    match = re.search(r"https?://\S+?(/appointments/[^\s/]+)\s", body or "")
    assert match, "no manage link in the confirmation email"
    return match.group(1)  # the path: the email's host is the configured public address


def test_a_patient_on_a_phone_gets_help_at_once_and_again_a_day_later(new_context, live_server):
    email = "help.panels@example.com"
    context = new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/book")
    pick_first_free_slot(page)
    fill_intake(page, phq9=[1, 2, 1, 2, 1, 1, 1, 1, 1], last_name="Helppanels", email=email)
    submit_intake(page)

    panel = page.locator("#crisis-help")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box and box["y"] < 844, "the crisis panel must be seen without scrolling"
    expect(panel.get_by_role("heading")).to_contain_text("better off dead")
    assert [a.get_attribute("href") for a in panel.locator("a").all()] == HELP_LINKS
    expect(panel).to_contain_text("not staffed at night or on Sunday")
    assert small_targets(page, "#crisis-help") == []
    assert small_targets(page, "#support") == []

    # A day later, the link from the email, in a browser without this session.
    link = manage_link_from_email(live_server, email)
    config = live_server.app.config
    with live_server.app.app_context():
        config["NOW_OVERRIDE"] = utcnow() + timedelta(days=1)
    try:
        later = new_context(**PHONE).new_page()
        later.set_default_timeout(10_000)
        response = later.goto(link)
        assert response.status == 200
        expect(later.locator("#crisis-help")).to_have_count(0)
        support = later.locator("#support")
        expect(support).to_be_visible()
        expect(support.get_by_role("heading")).to_have_text("Support while you wait")
        assert [a.get_attribute("href") for a in support.locator("a").all()] == HELP_LINKS
        assert small_targets(later, "#support") == []
        assert "notice-crisis" not in (support.get_attribute("class") or "")
        expect(later.locator("main")).not_to_contain_text("PHQ")
    finally:
        config.pop("NOW_OVERRIDE", None)
