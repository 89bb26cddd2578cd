"""GET/POST /staff/account/password: a signed-in user changes their own password (SPEC 6). Other sessions
end, this one carries on; weak passwords are refused beside the field; a wrong current password counts
toward the sign-in lockout."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, LoginFailure, StaffUser
from clinic.services.accounts import passwords
from tests.conftest import csrf_token_from
from tests.fixtures_auth import DEFAULT_PASSWORD

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
NEW = "velvet harbour compass 17"
PATH = "/staff/account/password"


@pytest.fixture
def nurse(make_staff):
    return make_staff(email="nurse@clinic.example", name="Nora Nurse", two_factor=True)


@pytest.fixture
def signed_in(app, nurse, login, clock):
    clock.set(NOW)
    client = app.test_client()
    assert login(client, "nurse@clinic.example").status_code == 303
    return client


def change(client, current=DEFAULT_PASSWORD, new=NEW, confirm=None):
    token = csrf_token_from(client.get(PATH).get_data(as_text=True))
    data = {"csrf_token": token, "current_password": current, "new_password": new}
    data["confirm_password"] = new if confirm is None else confirm
    return client.post(PATH, data=data)


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return match.group(1)


def stored_hash(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(StaffUser, user_id).password_hash


def test_the_page_has_the_three_fields(signed_in):
    html = signed_in.get(PATH).get_data(as_text=True)
    for name in ("current_password", "new_password", "confirm_password"):
        assert f'name="{name}"' in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html


def test_a_change_ends_other_sessions_and_keeps_this_one(app, signed_in, nurse, login):
    other = app.test_client()
    assert login(other, "nurse@clinic.example").status_code == 303
    response = change(signed_in)
    assert response.status_code == 303 and response.headers["Location"] == PATH
    assert "Password changed" in signed_in.get(PATH).get_data(as_text=True)
    assert signed_in.get("/staff/").status_code == 200
    assert other.get("/staff/").headers["Location"].startswith("/staff/login")
    with app.app_context():
        user = db.session.get(StaffUser, nurse)
        assert passwords.verify_password(user.password_hash, NEW)
        assert user.password_changed_at == NOW and user.session_version == 2
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.password_change")
        ).one()
        assert event.actor_id == nurse and event.details["ip"] == "127.0.0.1"
        assert NEW not in str(event.details) and DEFAULT_PASSWORD not in str(event.details)
    fresh = app.test_client()
    assert login(fresh, "nurse@clinic.example").status_code == 401
    assert login(fresh, "nurse@clinic.example", NEW).status_code == 303


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaaaa", "123456789012", "clinicclinic", "nurse nurse nurse", "short"]
)
def test_weak_passwords_are_refused_beside_the_field(app, signed_in, nurse, weak):
    before = stored_hash(app, nurse)
    response = change(signed_in, new=weak)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = error_beside(html, "new_password")
    assert "guess" in message or "common" in message or "12 characters" in message
    assert weak not in html  # a password is never shown back
    assert stored_hash(app, nurse) == before


def test_a_wrong_current_password_is_refused_and_counted(app, signed_in, nurse):
    response = change(signed_in, current="not my password at all")
    assert response.status_code == 422
    assert "not your current password" in error_beside(response.get_data(as_text=True), "current_password")
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 1
        actions = list(db.session.scalars(select(AuditEvent.action)))
        assert "auth.password_change_failed" in actions


def test_five_wrong_current_passwords_pause_the_account(app, signed_in, nurse):
    statuses = [change(signed_in, current=f"wrong guess number {i}").status_code for i in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    assert signed_in.get("/staff/").headers["Location"].startswith("/staff/login")


def test_the_two_new_passwords_must_match(signed_in):
    response = change(signed_in, confirm=NEW + "x")
    assert response.status_code == 422
    assert "not the same" in error_beside(response.get_data(as_text=True), "confirm_password")


def test_the_new_password_must_differ_from_the_current_one(signed_in):
    response = change(signed_in, new=DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert "different" in error_beside(response.get_data(as_text=True), "new_password")


def test_empty_fields_are_a_422_with_messages(signed_in):
    response = change(signed_in, current="", new="", confirm="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_beside(html, "current_password") and error_beside(html, "new_password")


def test_anonymous_users_are_sent_to_sign_in(client):
    assert client.get(PATH).headers["Location"].startswith("/staff/login")
