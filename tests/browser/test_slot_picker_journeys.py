"""The one slot picker in Chromium: a patient reschedules on a phone, the keyboard moves between times with
the arrow keys, a cancel asks first, and a form sent back with errors puts the focus on its summary."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import STAFF_EMAIL, sign_in
from tests.browser.pages import MANAGE_URL, detail_value, pick_first_free_slot
from tests.browser.test_journeys import create_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

PHONE = {"width": 390, "height": 844}
TWO_SCREENS = 2 * PHONE["height"]
TWELVE_HOUR = re.compile(r"(1[0-2]|[1-9]):[0-5]\d (AM|PM)$")


def clock_of(text: str) -> str:
    """The time a pill shows, e.g. "1:30 PM" (its day is there for screen readers only)."""
    match = TWELVE_HOUR.search(" ".join(text.replace("✓", "").split()))
    assert match, f"not a 12-hour time: {text!r}"
    return match[0]


@pytest.fixture
def phone(new_context) -> Page:
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def scrolled(page: Page) -> float:
    return page.evaluate("window.scrollY")


def in_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def slot_texts(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_a_patient_reschedules_on_a_phone_within_two_screens_then_cancels_after_being_asked(
    phone: Page, live_server
):
    _, token = create_request(live_server, urgent=False, last_name="Phonemove")
    phone.goto(f"/appointments/{token}")
    first_time = detail_value(phone, "Time")
    assert "Eastern Time" in first_time and "America/" not in first_time
    most = 0.0

    phone.get_by_role("link", name="Choose another time").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Choose another time")
    # The same grid as /book: one week, its days, pills with 12-hour times, 44 px high at least.
    expect(phone.locator("[data-slot-picker] .slot-week")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "it scrolls sideways"
    times = slot_texts(phone, "label.slot-choice")
    assert times and all(clock_of(t) for t in times)
    heights = phone.locator("label.slot-choice").evaluate_all(
        "labels => labels.map(l => l.getBoundingClientRect().height)"
    )
    assert min(heights) >= 44, f"a time is only {min(heights)} px high"
    # The confirm bar is on screen from the start, and says nothing is chosen yet.
    bar = phone.locator("[data-confirm-bar]")
    button = bar.get_by_role("button", name="Move my consultation to this time")
    assert in_view(phone, button), "the confirm button must be on the first screen"
    expect(bar).to_contain_text("none chosen yet")

    # Tap a time of the second day shown: the bar names it and the button is still on screen.
    second_day = phone.locator("section.slot-day:has(label.slot-choice)").nth(1)
    choice = second_day.locator("label.slot-choice").nth(2)
    choice.scroll_into_view_if_needed()
    most = max(most, scrolled(phone))
    choice.tap()
    chosen = clock_of(choice.inner_text())
    day_name = second_day.locator("h3 .day-name").inner_text()
    expect(bar.locator("[data-chosen-text]")).to_contain_text(f"{day_name}, ")
    expect(bar.locator("[data-chosen-text]")).to_contain_text(chosen)
    assert in_view(phone, button), "the confirm button left the screen"
    most = max(most, scrolled(phone))
    assert most <= TWO_SCREENS, f"the patient scrolled {most} px to reach the confirm"
    button.tap()
    phone.wait_for_url(MANAGE_URL)
    expect(phone.locator(".flash")).to_contain_text("Your consultation has moved")
    moved = detail_value(phone, "Time")
    assert moved != first_time and chosen in moved and day_name in moved

    # A cancel asks first, says what happens, and offers a way back.
    phone.get_by_role("link", name="Cancel my consultation").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Cancel")
    expect(phone.locator("main")).to_contain_text(moved.split(" Eastern")[0].split(" at ")[0])
    expect(phone.get_by_role("link", name=re.compile("keep", re.I)).first).to_be_visible()
    expect(phone.locator("dl.kv")).to_have_count(0)  # nothing is cancelled yet
    phone.get_by_role("button", name="Yes, cancel my consultation").tap()
    phone.wait_for_url(MANAGE_URL)
    expect(phone.locator("dl.kv")).to_contain_text("Cancelled")


def test_the_earliest_free_time_is_chosen_with_one_tap(phone: Page, live_server):
    _, token = create_request(live_server, urgent=False, last_name="Earliest")
    phone.goto(f"/appointments/{token}/reschedule")
    jump = phone.locator("a[data-first-free]")
    expect(jump).to_be_visible()
    wanted = jump.get_attribute("data-first-free")
    jump.tap()
    radio = phone.locator(f"input[data-slot][value='{wanted}']")
    expect(radio).to_be_checked()
    expect(phone.locator("[data-chosen-text]")).to_contain_text(jump.inner_text().split(" at ")[-1])
    assert in_view(phone, phone.get_by_role("button", name="Move my consultation to this time"))


def focused_slot(page: Page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {slot: e.hasAttribute('data-slot'), id: (e.id || e.parentNode.id),
                           value: e.value || e.getAttribute('href'), checked: !!e.checked}; }"""
    )


def test_arrow_keys_move_between_the_times_on_book_and_on_the_reschedule_pages(page: Page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/book")
    if page.locator("a.slot").count() < 3:
        page.get_by_role("link", name=re.compile("Next week")).click()
        page.wait_for_load_state()
    expect(page.locator("[data-slot-keys]")).to_be_visible()
    # Roving focus: one Tab stop for the whole grid.
    assert page.locator("a[data-slot][tabindex='0']").count() == 1
    page.locator("a[data-slot][tabindex='0']").focus()
    start = focused_slot(page)
    page.keyboard.press("ArrowDown")
    after_down = focused_slot(page)
    assert after_down["slot"] and after_down["id"] != start["id"], "ArrowDown did not move"
    page.keyboard.press("ArrowUp")
    assert focused_slot(page)["id"] == start["id"], "ArrowUp did not come back"
    page.keyboard.press("End")
    last = focused_slot(page)
    assert last["id"] == page.locator("a[data-slot]").last.get_attribute("id")
    assert page.locator("a[data-slot][tabindex='0']").get_attribute("id") == last["id"]
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")  # on a wide screen: the same time on the next day with times
    right = focused_slot(page)
    assert right["slot"] and right["id"] != start["id"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/consultation?slot=*")

    # On a reschedule page the times are a radio group: the choice follows the arrow keys.
    _, token = create_request(live_server, urgent=False, last_name="Arrows")
    page.goto(f"/appointments/{token}/reschedule")
    page.locator("input[data-slot]").first.focus()
    page.keyboard.press("ArrowRight")
    moved = focused_slot(page)
    assert moved["slot"] and moved["checked"], "the arrow key did not choose the next time"
    label = clock_of(page.locator(f"label#{moved['id']}").inner_text())
    expect(page.locator("[data-chosen-text]")).to_contain_text(label)


def test_the_staff_reschedule_page_uses_the_same_grid_and_bar(page: Page, live_server):
    reference, _ = create_request(live_server, urgent=False, last_name="Staffgrid")
    sign_in(page, STAFF_EMAIL)
    page.goto(f"/staff/?q={reference}")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Reschedule for the patient").click()
    page.wait_for_url("**/reschedule")
    bar = page.locator("[data-confirm-bar]")
    expect(bar).to_contain_text("The patient is emailed the new time")
    assert in_view(page, bar.get_by_role("button", name="Move the booking"))
    choice = page.locator("label.slot-choice").nth(3)
    choice.click()
    expect(bar.locator("[data-chosen-text]")).to_contain_text(clock_of(choice.inner_text()))


def test_after_errors_the_focus_moves_to_the_error_summary(page: Page):
    page.goto("/book")
    pick_first_free_slot(page)
    expect(page.locator("ol.progress [aria-current='step']")).to_contain_text("Tell us about you")
    page.get_by_role("button", name="Request this consultation").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert in_view(page, summary.locator("h2"))


def test_staff_cancel_and_decline_ask_first_and_say_who_is_emailed(page: Page, live_server, axe):
    reference, _ = create_request(live_server, urgent=False, last_name="Confirmfirst")
    sign_in(page, STAFF_EMAIL)
    page.goto(f"/staff/?q={reference}")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url("**/staff/requests/*")
    detail_url = page.url

    page.get_by_role("button", name="Cancel the booking for the patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the booking for Casey Confirmfirst?")
    expect(page.locator("#what-happens")).to_contain_text("Casey Confirmfirst is emailed at")
    axe(page)
    page.get_by_role("link", name="No, go back").click()
    page.wait_for_url(detail_url)
    expect(page.locator("main")).not_to_contain_text("The booking is cancelled")
    expect(page.get_by_role("button", name="Cancel the booking for the patient")).to_be_visible()

    page.locator("#status-form button[value='declined']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decline the request from Casey Confirmfirst?")
    axe(page)
    page.get_by_role("button", name="Yes, decline the request").click()
    page.wait_for_url(detail_url)
    expect(page.locator(".flash")).to_contain_text("Status changed to declined")


def test_the_three_pickers_pass_axe_with_a_time_chosen_on_a_phone(phone: Page, live_server, axe):
    reference, token = create_request(live_server, urgent=False, last_name="Axepicker")
    phone.goto("/book")
    axe(phone)
    phone.goto(f"/appointments/{token}/reschedule")
    phone.locator("label.slot-choice").nth(1).tap()
    expect(phone.locator("[data-chosen-text]")).not_to_contain_text("none chosen yet")
    axe(phone)
    sign_in(phone, STAFF_EMAIL)
    phone.goto(f"/staff/?q={reference}")
    phone.get_by_role("link", name=reference).click()
    phone.get_by_role("link", name="Reschedule for the patient").click()
    phone.wait_for_url("**/reschedule")
    phone.locator("label.slot-choice").nth(1).tap()
    axe(phone)


def test_moving_without_a_time_puts_the_focus_on_the_message(page: Page, live_server, axe):
    _, token = create_request(live_server, urgent=False, last_name="Notime")
    page.goto(f"/appointments/{token}/reschedule")
    page.get_by_role("button", name="Move my consultation to this time").click()
    page.wait_for_load_state()
    expect(page.locator("#slot-error")).to_be_focused()
    expect(page.locator("#slot-error")).to_contain_text("Please choose a new time.")
    axe(page)
