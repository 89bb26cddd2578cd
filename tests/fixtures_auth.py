"""Fixtures for signed-in staff. Contract used by every area's tests:

- `make_staff(email=..., name=..., role="staff"|"admin", password=..., two_factor=False)` -> user id
  (committed); `two_factor=True` gives the account an authenticator already set up (secret TOTP_SECRET).
- `login_as(client, user_id)`: the client is signed in as that user, as after a real login with both
  steps. Two-factor sign-in is required in this clinic, so a user without it gets it set up first
  (`two_factor=False` leaves the account as it is, for the tests of that requirement). The session
  stays fresh on every request the client makes, however far the test moves the clock (`clock.set`), so
  the idle and absolute timeouts never interfere with other areas' tests; `keep_alive=False` gives a
  plain session whose timeouts apply, for the tests of the timeouts themselves.
- `login(client, email, password)`: a real login through the form. For an account with two-factor on it
  also passes the code step, with the code an authenticator shows now, and returns that last response;
  `verify=False` stops after the password step.
- `totp_code(user_id)`: a code the account accepts now (as after waiting for the next one in the app).
"""

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.accounts import two_factor
from clinic.services.accounts.passwords import hash_password
from clinic.timeutil import utcnow
from clinic.triage.enums import Role
from tests.conftest import ClinicClient, csrf_token_from

DEFAULT_PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enable_two_factor(user_id: int, secret: str = TOTP_SECRET) -> None:
    """Give an account an authenticator already set up (inside an app context)."""
    user = db.session.get(StaffUser, user_id, populate_existing=True)
    user.totp_secret, user.two_factor_enabled_at, user.totp_last_step = secret, utcnow(), None
    db.session.commit()


def fresh_code(user_id: int) -> str:
    """The code the account's authenticator shows now, made acceptable as if the user had waited for the
    next one: each code is accepted once, and tests sign one account in many times a minute."""
    user = db.session.get(StaffUser, user_id, populate_existing=True)
    secret = user.totp_secret
    db.session.execute(update(StaffUser).where(StaffUser.id == user_id).values(totp_last_step=None))
    db.session.commit()
    return two_factor.current_code(secret, utcnow())


@pytest.fixture
def make_staff(app):
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        name: str = "Sam Rivera",
        role: str = "staff",
        password: str = DEFAULT_PASSWORD,
        two_factor: bool = False,
    ) -> int:
        with app.app_context():
            address = email or f"staff{next(counter)}@clinic.example"
            user = StaffUser(email=address, name=name, role=Role(role), password_hash=hash_password(password))
            db.session.add(user)
            db.session.commit()
            if two_factor:
                enable_two_factor(user.id)
            return user.id

    return make


@pytest.fixture
def login_as(app):
    def sign_in(
        client: ClinicClient, user_id: int, *, keep_alive: bool = True, two_factor: bool = True
    ) -> None:
        with app.app_context():
            user = db.session.get(StaffUser, user_id)
            if two_factor and not user.has_two_factor:
                enable_two_factor(user_id)
                user = db.session.get(StaffUser, user_id, populate_existing=True)
            session_id = user.get_id()
            now = utcnow().isoformat()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
            session["login_at"] = now
            session["seen_at"] = now
            session.permanent = True
        client.keep_alive_user = session_id if keep_alive else None

    return sign_in


@pytest.fixture
def login():
    def sign_in(
        client,
        email: str,
        password: str = DEFAULT_PASSWORD,
        next_url: str | None = None,
        *,
        verify: bool = True,
    ):
        page = client.get("/staff/login" + (f"?next={next_url}" if next_url else ""))
        token = csrf_token_from(page.get_data(as_text=True))
        response = client.post(
            "/staff/login" + (f"?next={next_url}" if next_url else ""),
            data={"csrf_token": token, "email": email, "password": password},
        )
        if not verify or response.headers.get("Location") != "/staff/login/verify":
            return response
        return verify_code(client)

    return sign_in


def verify_code(client, code: str | None = None):
    """Post the code step of a sign-in waiting for it (the current code of the account when not given)."""
    page = client.get("/staff/login/verify")
    token = csrf_token_from(page.get_data(as_text=True))
    if code is None:
        with client.session_transaction() as session:
            user_id = session["pending_sign_in"]["user"]
        with client.application.app_context():
            code = fresh_code(user_id)
    return client.post("/staff/login/verify", data={"csrf_token": token, "code": code})


@pytest.fixture
def totp_code(app):
    def code(user_id: int) -> str:
        with app.app_context():
            return fresh_code(user_id)

    return code


@pytest.fixture
def staff_client(app, client, make_staff, login_as):
    """A client signed in as an ordinary staff member."""
    login_as(client, make_staff(email="nurse@clinic.example", name="Nora Nurse"))
    return client


@pytest.fixture
def admin_client(app, client, make_staff, login_as):
    """A client signed in as an admin."""
    login_as(client, make_staff(email="admin@clinic.example", name="Ada Admin", role="admin"))
    return client
