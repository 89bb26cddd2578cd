"""Two-factor sign-in in Chromium (issue 15): the code step after the password, no staff or admin page
before it, a reused code and a used recovery code refused, and an account setting up its authenticator
from the QR page. Each page is checked with axe too."""

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.accounts import two_factor
from clinic.services.accounts.passwords import hash_password
from clinic.timeutil import utcnow
from clinic.triage.enums import Role
from tests.browser.conftest import ADMIN_EMAIL, PASSWORD, current_code

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def password_step(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/login/verify")


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify and sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url("**/staff/login")


def test_the_admin_needs_a_code_and_a_code_works_once(page: Page, live_server, axe):
    password_step(page, ADMIN_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    axe(page)
    page.goto("/admin/hours")
    expect(page).to_have_url(re.compile(r"/staff/login"))  # nothing opens before the code

    password_step(page, ADMIN_EMAIL)
    enter_code(page, "000000" if current_code(ADMIN_EMAIL) != "000000" else "111111")
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    code = current_code(ADMIN_EMAIL)
    enter_code(page, code)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request queue")
    page.goto("/admin/hours")
    expect(page).to_have_url(re.compile(r"/admin/hours$"))
    sign_out(page)

    password_step(page, ADMIN_EMAIL)
    enter_code(page, code)  # the same code again, within its 30 seconds
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    expect(page).to_have_url(re.compile(r"/staff/login/verify$"))


def test_a_recovery_code_signs_in_once(page: Page, live_server):
    with live_server.app.app_context():
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == ADMIN_EMAIL))
        codes = two_factor._replace_recovery_codes(user_id, utcnow())
        db.session.commit()
    password_step(page, ADMIN_EMAIL)
    enter_code(page, codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Request queue")
    expect(page.locator(".flashes")).to_contain_text("9 left")
    sign_out(page)
    password_step(page, ADMIN_EMAIL)
    enter_code(page, codes[0])
    expect(page.locator("#code-error")).to_contain_text("That code is not right")


def test_a_new_admin_sets_up_an_authenticator_before_anything_else(page: Page, live_server, axe):
    email = "browser.newadmin@clinic.example"
    with live_server.app.app_context():
        db.session.add(
            StaffUser(email=email, name="Nia New", role=Role.ADMIN, password_hash=hash_password(PASSWORD))
        )
        db.session.commit()
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/account/two-factor")
    axe(page)
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.goto("/admin/settings")
    expect(page).to_have_url(re.compile(r"/staff/account/two-factor$"))  # every page leads here
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    axe(page)
    page.goto("/admin/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking rules and clinic details")
