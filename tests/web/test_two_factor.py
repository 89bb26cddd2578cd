"""Two-factor sign-in (SPEC 6): setting up an authenticator, the code step of signing in, replay and
recovery codes, the lockout shared with passwords, the requirement for admins (and staff by setting),
and an admin's reset. Through the test client with CSRF on, on both databases."""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import AuditEvent, ClinicSettings, RecoveryCode, StaffUser
from clinic.services.accounts import two_factor
from tests.conftest import csrf_token_from
from tests.fixtures_auth import DEFAULT_PASSWORD, TOTP_SECRET, verify_code

NOW = datetime(2026, 11, 23, 15, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
WRONG = "That code is not right"


@pytest.fixture
def at_now(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def nurse(make_staff):
    return make_staff(email="nurse@clinic.example", name="Nora Nurse", two_factor=True)


def code_at(moment: datetime, secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def location(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def post_code(client, path: str, code: str):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "code": code})


def password_step(client, email="nurse@clinic.example", password=DEFAULT_PASSWORD, next_url=None):
    path = "/staff/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "email": email, "password": password})


def set_up(client, app, user_id: int, moment: datetime = NOW) -> list[str]:
    """Set up two-factor through the page, as a user would: read the secret, type the app's code."""
    html = client.get("/staff/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', html).group(1)
    response = post_code(client, "/staff/account/two-factor", code_at(moment, secret))
    assert response.status_code == 200
    return re.findall(
        r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>", response.get_data(as_text=True)
    )


# setting it up ---------------------------------------------------------------------------------------


def test_setup_page_shows_a_qr_code_and_the_secret_as_text(app, client, make_staff, login_as, at_now):
    user_id = make_staff()
    login_as(client, user_id, two_factor=False)
    response = client.get("/staff/account/two-factor")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]{32})<', html).group(1)
    assert "<svg" in html and "<path" in html and "QR code for your authenticator app" in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # drawn here, nothing fetched
    assert 'name="code"' in html and 'autocomplete="one-time-code"' in html
    # the same secret on every visit until it is confirmed, so a reload does not break a scanned code
    again = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert f">{secret}<" in again
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user.totp_secret == secret and not user.has_two_factor


def test_a_valid_code_turns_it_on_and_shows_ten_recovery_codes_once(
    app, client, make_staff, login_as, at_now
):
    user_id = make_staff()
    login_as(client, user_id, two_factor=False)
    codes = set_up(client, app, user_id)
    assert len(codes) == len(set(codes)) == 10
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user.has_two_factor and user.two_factor_enabled_at == NOW
        stored = set(
            db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.staff_user_id == user_id))
        )
        assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
        dumped = " ".join(stored)
        assert not any(code in dumped or code.replace("-", "") in dumped for code in codes)
    assert actions(app) == ["auth.two_factor_enabled"]
    later = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert "is on" in later and "10 unused recovery codes" in later
    assert not any(code in later for code in codes) and 'id="totp-secret"' not in later


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", ""])
def test_a_wrong_setup_code_is_refused_beside_the_field(app, client, make_staff, login_as, at_now, code):
    user_id = make_staff()
    login_as(client, user_id, two_factor=False)
    response = post_code(client, "/staff/account/two-factor", code)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="code-error"' in html
    with app.app_context():
        assert not db.session.get(StaffUser, user_id).has_two_factor


# the code step of signing in ---------------------------------------------------------------------------


def test_password_then_code_signs_in(app, client, nurse, at_now):
    response = password_step(client)
    assert response.status_code == 303 and location(response) == "/staff/login/verify"
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert actions(app) == []  # nothing is a sign-in yet
    page = client.get("/staff/login/verify")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    response = post_code(client, "/staff/login/verify", code_at(NOW))
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{nurse}:1" and "pending_sign_in" not in session
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor_id) == ("auth.login", nurse)
        assert event.details["second_factor"] == "totp"
        assert event.details["ip"] == "127.0.0.1"
        assert "user_agent" in event.details


def test_until_the_code_no_staff_or_admin_page_opens(client, make_staff, at_now):
    make_staff(email="nurse@clinic.example", role="admin", two_factor=True)
    password_step(client)
    for path in ("/staff/", "/staff/schedule", "/admin/hours", "/admin/staff", "/staff/account/two-factor"):
        response = client.get(path)
        assert location(response) == "/staff/login", path


def test_the_code_step_keeps_a_safe_next(client, nurse, at_now):
    password_step(client, next_url="%2Fstaff%2Fschedule%3Fview%3Dweek")
    response = post_code(client, "/staff/login/verify", code_at(NOW))
    assert response.headers["Location"] == "/staff/schedule?view=week"


def test_a_wrong_code_is_refused_and_counted(app, client, nurse, at_now):
    password_step(client)
    response = post_code(client, "/staff/login/verify", "123456" if code_at(NOW) != "123456" else "654321")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert WRONG in html and 'id="code-error"' in html
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert actions(app) == ["auth.second_factor_failed"]


def test_a_code_is_accepted_once(app, client, nurse, at_now):
    code = code_at(NOW)
    password_step(client)
    assert post_code(client, "/staff/login/verify", code).status_code == 303
    other = app.test_client()
    password_step(other)
    replay = post_code(other, "/staff/login/verify", code)
    assert replay.status_code == 401 and WRONG in replay.get_data(as_text=True)
    # an older code than the last one accepted is refused too, even within the drift allowed
    assert post_code(other, "/staff/login/verify", code_at(NOW - timedelta(seconds=30))).status_code == 401
    # the next step's code works
    at_now.set(NOW + timedelta(seconds=30))
    assert post_code(other, "/staff/login/verify", code_at(NOW + timedelta(seconds=30))).status_code == 303


@pytest.mark.parametrize(("offset", "accepted"), [(-30, True), (30, True), (-60, False), (60, False)])
def test_one_step_of_drift_is_allowed(client, nurse, at_now, offset, accepted):
    password_step(client)
    response = post_code(client, "/staff/login/verify", code_at(NOW + timedelta(seconds=offset)))
    assert response.status_code == (303 if accepted else 401)


def test_a_recovery_code_signs_in_once(app, client, make_staff, login_as, at_now):
    user_id = make_staff(email="nurse@clinic.example")
    login_as(client, user_id, two_factor=False)
    codes = set_up(client, app, user_id)
    fresh = app.test_client()
    password_step(fresh)
    response = post_code(fresh, "/staff/login/verify", codes[3].lower().replace("-", " "))
    assert response.status_code == 303
    assert "9 left" in fresh.get("/staff/").get_data(as_text=True)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
        assert event.details["second_factor"] == "recovery"
    again = app.test_client()
    password_step(again)
    assert post_code(again, "/staff/login/verify", codes[3]).status_code == 401
    assert post_code(again, "/staff/login/verify", codes[4]).status_code == 303


def test_wrong_codes_count_toward_the_same_lockout_as_wrong_passwords(app, client, nurse, at_now, login):
    assert login(client, "nurse@clinic.example", "wrong password entirely").status_code == 401
    assert login(client, "nurse@clinic.example", "wrong password entirely").status_code == 401
    assert password_step(client).status_code == 303  # a right password does not wipe the count
    assert post_code(client, "/staff/login/verify", "000000").status_code == 401
    locked = post_code(client, "/staff/login/verify", "000001")
    assert locked.status_code == 401
    fifth = post_code(client, "/staff/login/verify", "000002")
    assert fifth.status_code == 429 and "paused" in fifth.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "pending_sign_in" not in session and "_user_id" not in session
    assert password_step(client).status_code == 429  # the right password is paused too
    assert actions(app).count("auth.lockout") == 1
    at_now.set(NOW + timedelta(minutes=15, seconds=1))
    assert login(client, "nurse@clinic.example").status_code == 303


def test_a_right_code_clears_the_failures(client, nurse, at_now, login):
    for _ in range(4):
        login(client, "nurse@clinic.example", "wrong password entirely")
    assert login(client, "nurse@clinic.example").status_code == 303
    client.post(
        "/staff/logout", data={"csrf_token": csrf_token_from(client.get("/staff/").get_data(as_text=True))}
    )
    for _ in range(4):
        assert login(client, "nurse@clinic.example", "wrong password entirely").status_code == 401


def test_the_code_step_expires_after_a_few_minutes(client, nurse, at_now):
    password_step(client)
    token = csrf_token_from(client.get("/staff/login/verify").get_data(as_text=True))
    later = at_now.set(NOW + timedelta(minutes=5, seconds=1))
    response = client.post("/staff/login/verify", data={"csrf_token": token, "code": code_at(later)})
    assert response.status_code == 303 and location(response) == "/staff/login"
    assert "sign in again" in client.get("/staff/login").get_data(as_text=True)


def test_the_code_step_without_a_password_goes_to_sign_in(client, csrf):
    assert location(client.get("/staff/login/verify")) == "/staff/login"
    response = client.post("/staff/login/verify", data={"csrf_token": csrf(), "code": "123456"})
    assert location(response) == "/staff/login"


def test_a_tampered_pending_sign_in_goes_back_to_sign_in(client, nurse, at_now):
    password_step(client)
    with client.session_transaction() as session:
        session["pending_sign_in"] = {"user": "x", "version": 1, "at": NOW.isoformat()}
    assert location(client.get("/staff/login/verify")) == "/staff/login"


def test_deactivation_meanwhile_ends_the_pending_sign_in(app, client, make_staff, nurse, at_now):
    from clinic.services.accounts import users

    make_staff(role="admin")
    password_step(client)
    with app.app_context():
        users.deactivate(nurse, actor_id=None)
    response = post_code(client, "/staff/login/verify", code_at(NOW))
    assert location(response) == "/staff/login"
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_the_code_is_never_shown_back(client, nurse, at_now):
    password_step(client)
    html = post_code(client, "/staff/login/verify", "999999").get_data(as_text=True)
    assert "999999" not in html


def test_an_empty_code_is_a_422_beside_the_field(client, nurse, at_now):
    password_step(client)
    response = post_code(client, "/staff/login/verify", "")
    assert response.status_code == 422 and "Enter the code." in response.get_data(as_text=True)


# who must have it --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/staff/", "/staff/schedule", "/admin/hours", "/admin/staff", "/admin/audit"]
)
def test_an_admin_without_two_factor_is_sent_to_set_it_up_from_every_page(
    app, client, make_staff, login_as, path, at_now
):
    admin = make_staff(role="admin")
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(require_two_factor=False))
        db.session.commit()
    login_as(client, admin, two_factor=False)
    response = client.get(path)
    assert response.status_code == 303 and location(response) == "/staff/account/two-factor"
    assert client.get("/staff/account/two-factor").status_code == 200
    set_up(client, app, admin)
    assert client.get(path).status_code == 200


def test_staff_must_set_it_up_while_the_clinic_requires_it(app, client, make_staff, login_as, at_now):
    nurse = make_staff()
    login_as(client, nurse, two_factor=False)
    assert location(client.get("/staff/")) == "/staff/account/two-factor"
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(require_two_factor=False))
        db.session.commit()
    assert client.get("/staff/").status_code == 200


def test_a_user_who_must_set_it_up_can_still_sign_out(client, make_staff, login_as, at_now):
    login_as(client, make_staff(role="admin"), two_factor=False)
    token = csrf_token_from(client.get("/staff/account/two-factor").get_data(as_text=True))
    response = client.post("/staff/logout", data={"csrf_token": token})
    assert location(response) == "/staff/login"


def test_admin_settings_can_turn_the_staff_requirement_off(app, admin_client, clock):
    clock.set(NOW)
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    [checkbox] = re.findall(r'<input[^>]*name="require_two_factor"[^>]*>', page)
    assert "checked" in checkbox
    data = {
        "csrf_token": csrf_token_from(page),
        "slot_minutes": "30",
        "capacity": "1",
        "min_notice_hours": "2",
        "horizon_days": "60",
        "timezone": "America/New_York",
        "name": "Northfield Clinic",
        "phone": "(212) 555-0142",
        "email": "care@northfield-clinic.example",
        "address": "120 Harbor Street, Suite 300, New York, NY 10001",
    }
    assert admin_client.post("/admin/settings", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(ClinicSettings, 1).require_two_factor is False
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.settings")).one()
        assert event.details["after"] == {"require_two_factor": False}


# an admin's reset ----------------------------------------------------------------------------------------


def test_an_admin_resets_a_lost_second_factor(app, admin_client, nurse, login, at_now):
    client = app.test_client()
    assert login(client, "nurse@clinic.example").status_code == 303
    page = admin_client.get(f"/admin/staff/{nurse}").get_data(as_text=True)
    assert "Reset two-factor sign-in" in page
    response = admin_client.post(
        f"/admin/staff/{nurse}/two-factor/reset", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 303
    assert location(client.get("/staff/")) == "/staff/login"  # the nurse's session ended
    with app.app_context():
        user = db.session.get(StaffUser, nurse)
        assert not user.has_two_factor and user.totp_secret is None
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.staff_user_id == nurse)).all() == []
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "admin.staff_two_factor_reset")
        ).one()
        assert event.record_id == nurse and event.actor_id is not None
    # the password alone now signs in, straight to setting it up again
    assert password_step(client).headers["Location"] == "/staff/"
    assert location(client.get("/staff/")) == "/staff/account/two-factor"


def test_reset_of_an_unknown_account_is_a_404(admin_client):
    token = csrf_token_from(admin_client.get("/admin/staff").get_data(as_text=True))
    assert (
        admin_client.post("/admin/staff/999/two-factor/reset", data={"csrf_token": token}).status_code == 404
    )


def test_staff_cannot_reset_anyones_second_factor(app, staff_client, make_staff):
    other = make_staff(email="doctor@clinic.example", two_factor=True)
    token = csrf_token_from(staff_client.get("/staff/").get_data(as_text=True))
    response = staff_client.post(f"/admin/staff/{other}/two-factor/reset", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(StaffUser, other).has_two_factor


# the fixtures other tests rely on ---------------------------------------------------------------------


def test_the_login_fixture_passes_both_steps(app, client, nurse, login):
    response = login(client, "nurse@clinic.example")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    again = login(app.test_client(), "nurse@clinic.example")  # at once again, as after the next code
    assert again.status_code == 303


def test_verify_code_fixture_posts_a_given_code(client, nurse, login, at_now):
    login(client, "nurse@clinic.example", verify=False)
    assert verify_code(client, "000000" if code_at(NOW) != "000000" else "111111").status_code == 401


def test_matching_step_reads_codes_with_spaces(at_now):
    code = code_at(NOW)
    assert two_factor.matching_step(TOTP_SECRET, f"{code[:3]} {code[3:]}", NOW) is not None
    assert two_factor.matching_step(TOTP_SECRET, "12345678", NOW) is None
