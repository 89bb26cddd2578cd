"""What a patient or a member of staff does in the browser, step by step, by the contract's field names."""

import re

from playwright.sync_api import Page, expect

PATIENT = {
    "first_name": "Renée",
    "last_name": "O'Brien-Nakamura",
    "email": "renee.browser@example.com",
    "phone": "+1 212 555 0173",
    "date_of_birth": "1984-06-02",
    "medications": "Sertraline 100 mg",
    "notes": "Mornings are easier for me.",
}
ROUTINE_PHQ9 = [1, 1, 1, 1, 1, 1, 1, 1, 0]
MANAGE_URL = re.compile(r"/appointments/[^/]+$")


def pick_first_free_slot(page: Page, max_weeks: int = 4) -> str:
    """On /book: click the first free slot, moving on a week when this one has none. Returns its ISO start."""
    for _ in range(max_weeks):
        slots = page.locator("a.slot")
        if slots.count():
            first = slots.first
            href = first.get_attribute("href") or ""
            first.click()
            page.wait_for_url("**/consultation?slot=*")
            return href.split("slot=", 1)[1]
        page.get_by_role("link", name=re.compile("Next week")).click()
    raise AssertionError("no free slot in the next weeks")


def fill_intake(page: Page, phq9: list[int] = ROUTINE_PHQ9, **overrides: str) -> None:
    values = {**PATIENT, **overrides}
    for name, value in values.items():
        page.locator(f"[name='{name}']").fill(value)
    page.locator("input[name='preferred_contact'][value='email']").check()
    for item, answer in enumerate(phq9, start=1):
        page.locator(f"input[name='phq9_{item}'][value='{answer}']").check()
    page.locator("[name='antidepressant_trials']").fill("3")
    page.locator("input[name='modality'][value='infusion']").check()
    page.locator("input[name='consent_privacy']").check()
    page.locator("input[name='consent_contact']").check()


def submit_intake(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Request this consultation")).click()
    page.wait_for_url(MANAGE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consultation")


def detail_value(page: Page, term: str) -> str:
    """The <dd> next to a <dt> on the manage page."""
    return page.locator(f"dl.kv dt:text-is('{term}') + dd").inner_text()
