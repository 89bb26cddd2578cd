"""/admin/staff: list, create, change role, reset password, deactivate and reactivate staff accounts."""

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.triage.enums import Role
from tests.fixtures_auth import DEFAULT_PASSWORD

GOOD = "quiet meadow lantern 42"


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def account(app, email: str) -> StaffUser | None:
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        if user is not None:
            db.session.expunge(user)
        return user


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            db.session.expunge(row)
        return rows


def admin_id(app) -> int:
    return account(app, "admin@clinic.example").id


@pytest.fixture
def nurse(make_staff):
    return make_staff(email="nurse@clinic.example", name="Nora Nurse")


@pytest.fixture
def nurse_client(app, nurse, login_as):
    """A second browser, signed in as the nurse, to watch what happens to her session."""
    other = app.test_client()
    login_as(other, nurse)
    assert other.get("/staff/login").status_code in (302, 303)  # signed in: sent on to the queue
    return other


def signed_out(client) -> bool:
    response = client.get("/staff/login")
    return response.status_code == 200


def create(client, csrf, **fields):
    data = {
        "csrf_token": csrf("/admin/staff"),
        "email": "new@clinic.example",
        "name": "Nia New",
        "role": "staff",
        "password": GOOD,
        **fields,
    }
    return client.post("/admin/staff", data=data)


# list -----------------------------------------------------------------------------------------------------


def test_list_shows_every_account_with_role_status_and_last_sign_in(app, admin_client, make_staff, nurse):
    retired = make_staff(email="retired@clinic.example", name="Rita Retired")
    with app.app_context():
        db.session.get(StaffUser, retired).is_active = False
        db.session.get(StaffUser, nurse).last_login_at = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
        db.session.commit()
    response = admin_client.get("/admin/staff")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "admin@clinic.example",
        "Ada Admin",
        "nurse@clinic.example",
        "Nora Nurse",
        "retired@clinic.example",
        "Deactivated",
        "Never",
    ):
        assert text in html
    assert "2026-11-20 09:05" in html  # 14:05 UTC shown in the clinic's timezone (New York)
    assert '<th scope="col">Role</th>' in html
    assert html.index("Nora Nurse") < html.index("Rita Retired")  # active accounts first
    assert f'href="/admin/staff/{nurse}"' in html


def test_markup_in_a_name_is_escaped(admin_client, make_staff):
    make_staff(email="x@clinic.example", name="<script>alert(1)</script>")
    html = admin_client.get("/admin/staff").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# create ---------------------------------------------------------------------------------------------------


def test_create_makes_an_account_that_can_sign_in(app, admin_client, csrf, login):
    response = create(admin_client, csrf, email="New.Person@Clinic.example", role="admin")
    assert response.status_code == 303
    assert path_of(response) == "/admin/staff"
    assert "Account created for Nia New" in admin_client.get("/admin/staff").get_data(as_text=True)
    user = account(app, "new.person@clinic.example")
    assert (user.name, user.role, user.is_active) == ("Nia New", Role.ADMIN, True)
    [event] = audit(app, "admin.staff_create")
    assert (event.actor_id, event.record_id) == (admin_id(app), user.id)
    assert event.details == {"after": {"role": "admin", "is_active": True}}
    assert GOOD not in json.dumps(event.details)
    other = app.test_client()
    assert login(other, "new.person@clinic.example", GOOD).status_code == 303


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "too short"}, "password", "at least 12 characters"),
        ({"password": "Password2026"}, "password", "commonly used passwords"),
        ({"password": ""}, "password", "Enter an initial password."),
        ({"email": "not an email"}, "email", "valid email address"),
        ({"email": "admin@clinic.example"}, "email", "already exists"),
        ({"name": ""}, "name", "Enter a name."),
        ({"role": "owner"}, "role", "Not a valid choice"),
    ],
)
def test_create_errors_are_shown_beside_the_field_with_typed_values_kept(
    app, admin_client, csrf, fields, field, message
):
    response = create(admin_client, csrf, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1), html
    kept = {"email": "new@clinic.example", "name": "Nia New", **fields}
    for name in ("email", "name"):
        if kept[name] and name != field:
            assert f'value="{kept[name]}"' in html
    assert GOOD not in html and 'value="too short"' not in html
    assert account(app, "new@clinic.example") is None
    assert audit(app, "admin.staff_create") == []


def test_create_without_csrf_is_refused(app, admin_client):
    response = admin_client.post(
        "/admin/staff", data={"email": "n@clinic.example", "name": "N", "role": "staff", "password": GOOD}
    )
    assert response.status_code == 400
    assert account(app, "n@clinic.example") is None


# detail, role ---------------------------------------------------------------------------------------------


def test_detail_page_offers_every_action(admin_client, nurse):
    response = admin_client.get(f"/admin/staff/{nurse}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for action in ("role", "password", "deactivate"):
        assert f'action="/admin/staff/{nurse}/{action}"' in html
    assert 'value="staff" checked' in html or re.search(r'checked[^>]*value="staff"', html)


def test_unknown_account_is_404(admin_client, csrf):
    assert admin_client.get("/admin/staff/999").status_code == 404
    token = csrf("/admin/staff")
    assert admin_client.post("/admin/staff/999/deactivate", data={"csrf_token": token}).status_code == 404
    assert (
        admin_client.post("/admin/staff/999/role", data={"csrf_token": token, "role": "admin"}).status_code
        == 404
    )


def test_change_role_promotes_and_audits(app, admin_client, csrf, nurse):
    response = admin_client.post(
        f"/admin/staff/{nurse}/role", data={"csrf_token": csrf("/admin/staff"), "role": "admin"}
    )
    assert response.status_code == 303
    assert path_of(response) == f"/admin/staff/{nurse}"
    assert account(app, "nurse@clinic.example").role == Role.ADMIN
    [event] = audit(app, "admin.staff_role")
    assert event.details == {"before": {"role": "staff"}, "after": {"role": "admin"}}
    assert event.actor_id == admin_id(app)


def test_the_last_admin_cannot_be_demoted(app, admin_client, csrf):
    me = admin_id(app)
    response = admin_client.post(
        f"/admin/staff/{me}/role", data={"csrf_token": csrf("/admin/staff"), "role": "staff"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'id="role-error">([^<]*)<', html)
    assert error and "last active admin" in error.group(1)
    assert account(app, "admin@clinic.example").role == Role.ADMIN
    assert audit(app, "admin.staff_role") == []


def test_an_admin_who_steps_down_lands_on_the_queue(app, admin_client, csrf, make_staff):
    make_staff(email="other.admin@clinic.example", role="admin")
    me = admin_id(app)
    response = admin_client.post(
        f"/admin/staff/{me}/role", data={"csrf_token": csrf("/admin/staff"), "role": "staff"}
    )
    assert response.status_code == 303
    assert path_of(response) == "/staff/"
    assert admin_client.get("/admin/staff").status_code == 403


# password -------------------------------------------------------------------------------------------------


def test_password_reset_sets_the_new_password_and_ends_the_users_sessions(
    app, admin_client, csrf, nurse, nurse_client, login
):
    response = admin_client.post(
        f"/admin/staff/{nurse}/password", data={"csrf_token": csrf("/admin/staff"), "password": GOOD}
    )
    assert response.status_code == 303
    assert signed_out(nurse_client)
    assert login(app.test_client(), "nurse@clinic.example", DEFAULT_PASSWORD).status_code == 401
    assert login(app.test_client(), "nurse@clinic.example", GOOD).status_code == 303
    [event] = audit(app, "admin.staff_password_reset")
    assert event.record_id == nurse and event.details is None


def test_a_weak_reset_password_is_refused_beside_the_field(app, admin_client, csrf, nurse, nurse_client):
    response = admin_client.post(
        f"/admin/staff/{nurse}/password",
        data={"csrf_token": csrf("/admin/staff"), "password": "letmein12345"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'id="password-error">([^<]*)<', html)
    assert error and "commonly used" in error.group(1)
    assert "letmein12345" not in html
    assert not signed_out(nurse_client)


# deactivate, reactivate -----------------------------------------------------------------------------------


def test_deactivation_stops_the_users_session_at_once(app, admin_client, csrf, nurse, nurse_client, login):
    response = admin_client.post(
        f"/admin/staff/{nurse}/deactivate", data={"csrf_token": csrf("/admin/staff")}
    )
    assert response.status_code == 303
    assert signed_out(nurse_client)
    assert path_of(nurse_client.get("/staff/")) == "/staff/login"
    refused = login(app.test_client(), "nurse@clinic.example")  # the right password: told it is deactivated
    assert refused.status_code == 403 and "deactivated" in refused.get_data(as_text=True)
    assert not account(app, "nurse@clinic.example").is_active
    [event] = audit(app, "admin.staff_deactivate")
    assert event.details == {"before": {"is_active": True}, "after": {"is_active": False}}
    html = admin_client.get(f"/admin/staff/{nurse}").get_data(as_text=True)
    assert f'action="/admin/staff/{nurse}/reactivate"' in html


def test_reactivation_lets_the_user_sign_in_again(app, admin_client, csrf, nurse, login):
    admin_client.post(f"/admin/staff/{nurse}/deactivate", data={"csrf_token": csrf("/admin/staff")})
    response = admin_client.post(
        f"/admin/staff/{nurse}/reactivate", data={"csrf_token": csrf("/admin/staff")}
    )
    assert response.status_code == 303
    assert account(app, "nurse@clinic.example").is_active
    assert login(app.test_client(), "nurse@clinic.example").status_code == 303
    [event] = audit(app, "admin.staff_reactivate")
    assert event.details == {"before": {"is_active": False}, "after": {"is_active": True}}


def test_the_last_admin_cannot_be_deactivated(app, admin_client, csrf):
    me = admin_id(app)
    response = admin_client.post(f"/admin/staff/{me}/deactivate", data={"csrf_token": csrf("/admin/staff")})
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    assert account(app, "admin@clinic.example").is_active
    assert admin_client.get("/admin/staff").status_code == 200


def test_staff_cannot_open_the_staff_accounts_page(staff_client):
    """Every method of every /admin route is walked in tests/test_access.py; this is the page itself."""
    response = staff_client.get("/admin/staff")
    assert response.status_code == 403
    assert "nurse@clinic.example" not in response.get_data(as_text=True).split("Sign out")[-1]
