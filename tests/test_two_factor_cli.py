"""The command line tells a new user what they need to sign in, and the demo logins come with two-factor
sign-in already set up (their keys printed, their current codes computable), so `make run` stays a
one-command demo."""

import re
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import StaffUser
from tests.conftest import csrf_token_from

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
KEY = re.compile(
    r"^Demo (admin|staff): (\S+) / (\S+)\n  two-factor key: ([A-Z2-7]{32}) \(code now: (\d{6})\)$", re.M
)


@pytest.fixture
def seeded(runner, clock):
    clock.set(NOW)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_prints_each_logins_authenticator_key_and_its_code(app, seeded):
    found = KEY.findall(seeded)
    assert {role for role, *_ in found} == {"admin", "staff"}
    with app.app_context():
        for _, email, _, secret, code in found:
            user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
            assert user.has_two_factor and user.totp_secret == secret
            assert pyotp.TOTP(secret).at(NOW) == code
    assert "demo-codes" in seeded


def test_the_printed_demo_login_signs_in_with_a_computed_code(app, client, seeded):
    _, email, password, secret, _ = next(f for f in KEY.findall(seeded) if f[0] == "admin")
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"csrf_token": token, "email": email, "password": password})
    assert response.headers["Location"] == "/staff/login/verify"
    token = csrf_token_from(client.get("/staff/login/verify").get_data(as_text=True))
    response = client.post(
        "/staff/login/verify", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(NOW)}
    )
    assert response.headers["Location"] == "/staff/"
    assert client.get("/admin/hours").status_code == 200  # the demo admin needs no further setup


def test_demo_codes_prints_the_codes_of_the_moment(runner, seeded):
    secrets = {email: secret for _, email, _, secret, _ in KEY.findall(seeded)}
    result = runner.invoke(args=["demo-codes"])
    assert result.exit_code == 0, result.output
    for email, secret in secrets.items():
        assert f"{email}: {pyotp.TOTP(secret).at(NOW)}" in result.output


def test_demo_codes_before_any_seed_says_what_to_do(runner):
    result = runner.invoke(args=["demo-codes"])
    assert result.exit_code != 0 and "seed-demo" in result.output


@pytest.mark.parametrize(("role", "told"), [("admin", True), ("staff", True)])
def test_create_user_prints_what_the_new_user_needs(app, runner, role, told):
    result = runner.invoke(
        args=[
            "create-user",
            "new@clinic.example",
            "--name",
            "New Person",
            "--role",
            role,
            "--password",
            "quiet meadow lantern 42",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "/staff/login" in result.output
    assert ("authenticator app" in result.output) is told
    assert "quiet meadow lantern 42" not in result.output


def test_create_user_without_the_staff_requirement_says_nothing_of_two_factor_for_staff(app, runner):
    from sqlalchemy import update

    from clinic.models import ClinicSettings

    with app.app_context():
        db.session.execute(update(ClinicSettings).values(require_two_factor=False))
        db.session.commit()
    args = ["create-user", "x@clinic.example", "--name", "X Person", "--password", "quiet meadow lantern 42"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and "authenticator" not in result.output
