"""Staff sign-in, sign-out, lockout and session lifetime, through the test client with CSRF on."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from clinic.auth.redirects import safe_next
from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.services.accounts import users
from tests.fixtures_auth import DEFAULT_PASSWORD

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FAILED = "That email and password do not match"


def location(response) -> tuple[str, dict]:
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def nurse(make_staff):
    return make_staff(email="nurse@clinic.example", name="Nora Nurse")


@pytest.fixture
def at_now(clock):
    clock.set(NOW)
    return clock


# the login page ------------------------------------------------------------------------------------------


def test_login_page_uses_the_public_layout_with_the_crisis_line(client):
    response = client.get("/staff/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in html and 'name="password"' in html and 'name="csrf_token"' in html
    assert 'type="password"' in html
    assert "988" in html and "911" in html
    assert "staff-shell" not in html  # base.html with the public nav, not the staff layout
    assert "Request a consultation" in html
    assert re.search(r"<button[^>]*>\s*Sign in\s*</button>", html)


def test_successful_login_redirects_to_the_queue_and_starts_a_fresh_session(
    app, client, nurse, login, at_now
):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = login(client, "Nurse@Clinic.example")
    assert response.status_code == 303
    assert location(response) == ("/staff/", {})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    with client.session_transaction() as session:
        assert "planted" not in session  # cleared on login: no fixation
        assert session["_user_id"] == f"{nurse}:1"
        assert session["login_at"] == session["seen_at"] == NOW.isoformat()
        assert "_remember" not in session
    assert "remember_token" not in cookie
    assert actions(app) == ["auth.login"]


def test_login_follows_a_safe_local_next(client, nurse, login):
    response = login(client, "nurse@clinic.example", next_url=quote("/staff/requests/7?tab=notes", safe=""))
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/requests/7?tab=notes"


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        " /staff/",
    ],
)
def test_login_ignores_a_hostile_next(client, nurse, login, hostile):
    response = login(client, "nurse@clinic.example", next_url=quote(hostile, safe=""))
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"


def test_hostile_next_is_not_echoed_in_the_form_action(client):
    html = client.get("/staff/login?next=" + quote("//evil.example", safe="")).get_data(as_text=True)
    assert "evil.example" not in html


@pytest.mark.parametrize("email", ["nurse@clinic.example", "nobody@clinic.example"])
def test_failure_shows_one_generic_message_and_keeps_the_typed_email(app, client, nurse, login, email):
    response = login(client, email, "wrong password entirely")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert FAILED in html
    assert f'value="{email}"' in html
    assert "wrong password entirely" not in html
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert actions(app) == ["auth.login_failed"]


def test_failure_pages_for_known_and_unknown_addresses_are_identical(client, nurse, login):
    def page(email: str) -> str:
        html = login(client, email, "wrong password entirely").get_data(as_text=True)
        html = html.replace(email, "EMAIL")
        return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)

    assert page("nurse@clinic.example") == page("nobody@clinic.example")


def test_a_deactivated_account_is_told_so_only_after_its_right_password(app, client, nurse, login):
    with app.app_context():
        db.session.get(StaffUser, nurse).is_active = False
        db.session.commit()
    response = login(client, "nurse@clinic.example")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "This account has been deactivated" in html and FAILED not in html
    assert "/staff/login/verify" not in (response.headers.get("Location") or "")
    # someone guessing learns nothing: a wrong password gets the same answer as for any account
    guess = login(client, "nurse@clinic.example", "not the password at all")
    assert guess.status_code == 401
    assert FAILED in guess.get_data(as_text=True) and "deactivated" not in guess.get_data(as_text=True)


def test_missing_fields_are_a_422_with_messages_beside_them(client, csrf):
    token = csrf()
    response = client.post("/staff/login", data={"csrf_token": token, "email": "nurse@clinic.example"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="password-error"' in html and "Enter your password." in html
    assert 'value="nurse@clinic.example"' in html


def test_login_without_csrf_token_is_refused(client, nurse):
    response = client.post(
        "/staff/login", data={"email": "nurse@clinic.example", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_signed_in_user_visiting_login_goes_to_the_queue(staff_client):
    response = staff_client.get("/staff/login")
    assert location(response) == ("/staff/", {})


# lockout -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["nurse@clinic.example", "nobody@clinic.example"])
def test_five_failures_lock_the_address_with_a_429_even_for_the_right_password(
    app, client, nurse, login, at_now, email
):
    codes = [login(client, email, "wrong password entirely").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    at_now.set(NOW + timedelta(minutes=10))
    response = login(client, email, DEFAULT_PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "paused" in html and "5 minutes" in html
    assert response.headers["Retry-After"] == "300"
    assert "988" in html
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert actions(app).count("auth.lockout") == 1
    at_now.set(NOW + timedelta(minutes=15, seconds=1))
    after = login(client, email, DEFAULT_PASSWORD)
    assert after.status_code == (303 if email.startswith("nurse") else 401)


def test_lock_pages_for_known_and_unknown_addresses_are_identical(client, nurse, login, at_now):
    pages = []
    for email in ("nurse@clinic.example", "nobody@clinic.example"):
        for _ in range(5):
            response = login(client, email, "wrong password entirely")
        pages.append((response.status_code, response.get_data(as_text=True)))
    assert pages[0] == pages[1]


def test_lockout_of_one_address_does_not_lock_another(client, make_staff, nurse, login):
    make_staff(email="doctor@clinic.example")
    for _ in range(5):
        login(client, "nurse@clinic.example", "wrong password entirely")
    assert login(client, "doctor@clinic.example").status_code == 303


# logout and revoked sessions -----------------------------------------------------------------------------


def sign_in(client, login, email="nurse@clinic.example", password=DEFAULT_PASSWORD) -> str:
    response = login(client, email, password)
    assert response.status_code == 303
    return client.get_cookie("clinic_session").value


def replay(client, cookie: str):
    client.set_cookie("clinic_session", cookie)
    return client.get("/staff/")


def csrf_for(client) -> str:
    """A CSRF token for the client's current session, as the sign-out form in the staff layout carries."""
    with client.session_transaction() as stored, client.application.test_request_context():
        flask_session.update(stored)
        token = generate_csrf()
        stored.update(flask_session)
    return token


def test_logout_ends_the_session_and_a_replayed_cookie_is_refused(app, client, nurse, login):
    cookie = sign_in(client, login)
    response = client.post("/staff/logout", data={"csrf_token": csrf_for(client)})
    assert response.status_code == 303
    assert location(response)[0] == "/staff/login"
    assert actions(app) == ["auth.login", "auth.logout"]
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert "You have signed out" in client.get("/staff/login").get_data(as_text=True)
    assert location(client.get("/staff/"))[0] == "/staff/login"
    assert location(replay(client, cookie))[0] == "/staff/login"


def test_logout_needs_a_post_with_csrf(client, nurse, login):
    sign_in(client, login)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{nurse}:1"


def test_logout_of_an_anonymous_user_goes_to_login(client, csrf):
    assert location(client.post("/staff/logout", data={"csrf_token": csrf()}))[0] == "/staff/login"


def test_a_password_reset_ends_the_users_sessions(app, client, nurse, login):
    cookie = sign_in(client, login)
    with app.app_context():
        users.set_password(nurse, "quiet meadow lantern 42", actor_id=None)
    assert location(replay(client, cookie))[0] == "/staff/login"
    assert sign_in(client, login, password="quiet meadow lantern 42")


def test_deactivation_ends_the_users_sessions(app, client, make_staff, nurse, login):
    make_staff(role="admin")
    cookie = sign_in(client, login)
    with app.app_context():
        users.deactivate(nurse, actor_id=None)
    assert location(replay(client, cookie))[0] == "/staff/login"


# timeouts ------------------------------------------------------------------------------------------------


def test_idle_for_more_than_thirty_minutes_ends_the_session(client, nurse, login, at_now):
    sign_in(client, login)
    at_now.set(NOW + timedelta(minutes=30, seconds=1))
    response = client.get("/staff/schedule?date=2026-11-23")
    path, query = location(response)
    assert path == "/staff/login"
    assert query["next"] == ["/staff/schedule?date=2026-11-23"]
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert "Your session has ended" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_each_request_refreshes_the_idle_clock(client, nurse, login, at_now):
    sign_in(client, login)
    for minutes in (20, 40, 60):
        at_now.set(NOW + timedelta(minutes=minutes))
        client.get("/staff/login")  # any page counts as activity
        with client.session_transaction() as session:
            assert session["seen_at"] == (NOW + timedelta(minutes=minutes)).isoformat()
            assert session["login_at"] == NOW.isoformat()
    with client.session_transaction() as session:
        assert "_user_id" in session


def test_twelve_hours_after_sign_in_the_session_ends_however_active(client, nurse, login, at_now):
    sign_in(client, login)
    moment = NOW
    while moment < NOW + timedelta(hours=12):
        moment += timedelta(minutes=25)
        at_now.set(moment)
        client.get("/")
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert location(client.get("/staff/"))[0] == "/staff/login"


def test_a_post_after_the_idle_timeout_goes_to_login_without_next(client, nurse, login, at_now):
    sign_in(client, login)
    at_now.set(NOW + timedelta(hours=1))
    response = client.post("/staff/requests/1/notes", data={"body": "hello", "csrf_token": csrf_for(client)})
    path, query = location(response)
    assert path == "/staff/login"
    assert "next" not in query


def test_expired_session_on_a_public_page_just_becomes_anonymous(client, nurse, login, at_now):
    sign_in(client, login)
    at_now.set(NOW + timedelta(hours=1))
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_as_sessions_stay_fresh_however_the_clock_moves(staff_client, clock):
    """The fixture other areas use: moving the clock in their tests never signs them out."""
    clock.set(NOW + timedelta(days=30))
    first = staff_client.get("/staff/login")
    clock.set(NOW + timedelta(days=31))
    second = staff_client.get("/staff/login")
    assert location(first)[0] == location(second)[0] == "/staff/"


def test_login_as_without_keep_alive_is_subject_to_the_timeouts(client, nurse, login_as, clock):
    clock.set(NOW)
    login_as(client, nurse, keep_alive=False)
    clock.set(NOW + timedelta(minutes=31))
    assert location(client.get("/staff/"))[0] == "/staff/login"


def test_a_tampered_session_stamp_ends_the_session(client, nurse, login_as):
    login_as(client, nurse, keep_alive=False)
    with client.session_transaction() as session:
        session["seen_at"] = "not a time"
    assert location(client.get("/staff/"))[0] == "/staff/login"


# safe_next -----------------------------------------------------------------------------------------------

HOSTILE = [
    "https://evil.example",
    "http:evil.example",
    "//evil.example",
    "///evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,hi",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " /staff/",
    "\t/staff/",
    "\x00/staff/",
    "/staff/\x00",
    "/ /evil",
    "",
    "staff/",
    "evil.example",
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "\u3000/staff/",
    "/\u202e/evil",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_safe_next_refuses_hostile_values(value):
    assert safe_next(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "/staff/",
        "/staff/requests/12",
        "/staff/?status=new&q=kt-7q4m2x",
        "/admin/audit?page=2",
        "/staff/?q=Jane%20Doe",
    ],
)
def test_safe_next_keeps_local_paths(value):
    assert safe_next(value) == value


def test_safe_next_refuses_non_strings():
    assert safe_next(None) is None
    assert safe_next(["/staff/"]) is None


PREFIXES = [
    "//",
    "\\\\",
    "/\\",
    "\\/",
    "https://",
    "http:",
    "javascript:",
    "/%2F",
    "%2F%2F",
    "/%5C",
    " /",
    "\t/",
    "/\t/",
    "data:",
    "/%252F",
]


@given(prefix=st.sampled_from(PREFIXES), rest=st.text(max_size=40))
@example(prefix="//", rest="evil.example")
def test_safe_next_refuses_anything_with_a_hostile_start(prefix, rest):
    assert safe_next(prefix + rest) is None


@given(st.text(max_size=60))
def test_whatever_safe_next_accepts_stays_on_this_site(value):
    result = safe_next(value)
    if result is None:
        return
    assert result == value
    assert result.startswith("/") and not result.startswith("//")
    assert "\\" not in result
    assert all(0x21 <= ord(character) < 0x7F for character in result)
    parts = urlsplit(result)
    assert not parts.scheme and not parts.netloc
    decoded = unquote(unquote(result))
    assert not decoded.startswith("//") and "\\" not in decoded
    assert not urlsplit(decoded).netloc


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=12),
        min_size=0,
        max_size=5,
    )
)
def test_safe_next_keeps_every_plain_local_path(segments):
    path = "/" + "/".join(segments)
    assert safe_next(path) == path
