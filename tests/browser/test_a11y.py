"""axe-core (WCAG 2.0/2.1 A and AA) inside Chromium: no serious or critical violation on any public page,
on the patient's own pages, or on the main staff and admin pages."""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ADMIN_EMAIL, STAFF_EMAIL, sign_in
from tests.browser.pages import fill_intake, pick_first_free_slot, submit_intake
from tests.browser.test_journeys import create_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

ARTICLES = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "clinic/public/articles").glob("*.md")
)
PUBLIC = [
    "/",
    "/learn/",
    *(f"/learn/{slug}" for slug in ARTICLES),
    "/contact",
    "/privacy",
    "/book",
    "/consultation/saved",
    "/staff/login",
]
ERRORS = [
    "/no-such-page",
    "/learn/no-such-article",
    "/book?week=not-a-date",
    "/consultation/resume/not-a-link",
]
STAFF = [
    "/staff/",
    "/staff/?status=all&priority=urgent",
    "/staff/schedule",
    "/staff/schedule?view=week",
    "/staff/calls",
    "/staff/waitlist",
    "/staff/account/two-factor",
    "/staff/account/password",
    "/staff/chairs",
    "/staff/rems",
]
ADMIN = [
    "/admin/hours",
    "/admin/closures",
    "/admin/affected",
    "/admin/settings",
    "/admin/staff",
    "/admin/audit",
    "/admin/chairs",
    "/admin/treatments",
]


@pytest.fixture(scope="session")
def signed_in_state(browser, live_server):
    """Sign in once per role through the real form; tests reuse the cookies."""
    states = {}
    for role, email in (("staff", STAFF_EMAIL), ("admin", ADMIN_EMAIL)):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        sign_in(page, email)
        states[role] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def as_role(new_context, signed_in_state):
    def open_page(role: str) -> Page:
        context = new_context(storage_state=signed_in_state[role])
        context.set_default_timeout(10_000)
        return context.new_page()

    return open_page


@pytest.mark.parametrize("path", PUBLIC)
def test_public_page(page: Page, axe, path):
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    axe(page)


@pytest.mark.parametrize("path", ERRORS)
def test_error_page(page: Page, axe, path):
    response = page.goto(path)
    assert response.status in {400, 404}, f"{path}: {response.status}"
    axe(page)


def test_intake_form_and_its_errors(page: Page, axe):
    page.goto("/book")
    pick_first_free_slot(page)
    axe(page)
    page.get_by_role("button", name="Request this consultation").click()  # empty: every error shown
    page.wait_for_load_state()
    assert page.locator(".field-error").count() >= 3, "the empty form did not come back with errors"
    axe(page)


def test_patient_manage_and_reschedule_pages(page: Page, axe):
    page.goto("/book")
    pick_first_free_slot(page)
    fill_intake(page, phq9=[2, 2, 2, 2, 2, 2, 2, 2, 1], last_name="Axe")
    submit_intake(page)
    axe(page)  # with the crisis panel
    page.get_by_role("link", name="Choose another time").click()
    axe(page)
    page.go_back()
    page.get_by_role("link", name="Cancel my consultation").click()
    page.wait_for_load_state()
    axe(page)  # the confirmation, which asks first
    page.get_by_role("button", name="Yes, cancel my consultation").click()
    page.wait_for_load_state()
    axe(page)


@pytest.mark.parametrize("path", STAFF)
def test_staff_page(as_role, axe, path):
    page = as_role("staff")
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    axe(page)


def test_staff_request_detail_and_reschedule(as_role, axe, live_server):
    reference, _ = create_request(live_server, urgent=True, last_name="Axedetail")
    page = as_role("staff")
    page.goto(f"/staff/?q={reference}")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url("**/staff/requests/*")
    axe(page)
    page.get_by_role("link", name="Reschedule for the patient").click()
    page.wait_for_url("**/reschedule")
    axe(page)


@pytest.mark.parametrize("path", ADMIN)
def test_admin_page(as_role, axe, path):
    page = as_role("admin")
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    axe(page)


def test_admin_staff_detail_page(as_role, axe):
    page = as_role("admin")
    page.goto("/admin/staff")
    page.locator("main a[href^='/admin/staff/']").first.click()
    page.wait_for_url("**/admin/staff/*")
    axe(page)


def test_every_argument_free_admin_and_staff_page_is_checked(live_server):
    """A new page added to /staff or /admin must be added to this file's lists."""
    checked = {path.split("?")[0] for path in STAFF + ADMIN}
    for rule in live_server.app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or not rule.rule.startswith(("/staff", "/admin")):
            continue
        # the sign-in steps (checked in test_sign_in_journeys.py) and the CSV download
        if rule.rule in {"/staff/login", "/staff/login/verify", "/staff/requests.csv"}:
            continue
        assert rule.rule in checked, f"{rule.rule} has no accessibility check"


def test_the_checker_finds_a_violation(page: Page, axe):
    """The check itself can fail: an image without alt text and an unlabeled field are caught."""
    page.goto("/")
    page.evaluate(
        """() => { const main = document.querySelector('main');
                   const input = document.createElement('input'); main.appendChild(input);
                   const img = document.createElement('img'); img.src = '/static/nothing.png';
                   main.appendChild(img); }"""
    )
    with pytest.raises(AssertionError, match=r"image-alt|label"):
        axe(page)
