"""Fixtures for signed-in staff. Contract used by every area's tests:

- `make_staff(email=..., name=..., role="staff"|"admin", password=...)` -> user id (committed)
- `login_as(client, user_id)`: the client is signed in as that user, as after a real login. The session
  stays fresh on every request the client makes, however far the test moves the clock (`clock.set`), so
  the idle and absolute timeouts never interfere with other areas' tests (tests/conftest.py's
  ClinicClient does it); `keep_alive=False` gives a plain session whose timeouts apply, for the tests of
  the timeouts themselves.
- `login(client, email, password)`: a real login through the form, returns the response
"""

import pytest

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.accounts.passwords import hash_password
from clinic.timeutil import utcnow
from clinic.triage.enums import Role
from tests.conftest import ClinicClient, csrf_token_from

DEFAULT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_staff(app):
    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        name: str = "Sam Rivera",
        role: str = "staff",
        password: str = DEFAULT_PASSWORD,
    ) -> int:
        with app.app_context():
            address = email or f"staff{next(counter)}@clinic.example"
            user = StaffUser(email=address, name=name, role=Role(role), password_hash=hash_password(password))
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login_as(app):
    def sign_in(client: ClinicClient, user_id: int, *, keep_alive: bool = True) -> None:
        with app.app_context():
            user = db.session.get(StaffUser, user_id)
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
    def sign_in(client, email: str, password: str = DEFAULT_PASSWORD, next_url: str | None = None):
        page = client.get("/staff/login" + (f"?next={next_url}" if next_url else ""))
        token = csrf_token_from(page.get_data(as_text=True))
        return client.post(
            "/staff/login" + (f"?next={next_url}" if next_url else ""),
            data={"csrf_token": token, "email": email, "password": password},
        )

    return sign_in


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
