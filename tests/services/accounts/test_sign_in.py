"""Whatever is typed as the email on the sign-in form (a password by mistake, say) is kept only as a keyed
hash (issue 15, finding 9); client address and browser go with every sign-in audit event."""

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEvent, LoginFailure, LoginThrottle
from clinic.services.accounts import users
from clinic.services.accounts.sign_in import ClientInfo, address_key
from tests.conftest import base_config, csrf_token_from

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TYPED = "My Secret Passphrase 2026"


def every_value(app) -> str:
    with app.app_context():
        rows = [
            *db.session.execute(select(LoginFailure)).all(),
            *db.session.execute(select(LoginThrottle)).all(),
        ]
        return " ".join(str(vars(row[0])) for row in rows)


def test_the_typed_address_is_stored_only_as_a_keyed_hash(app):
    with app.app_context(), pytest.raises(users.LoginFailed):
        users.authenticate(TYPED, "anything", now=NOW)
    dumped = every_value(app).lower()
    assert "secret" not in dumped and "passphrase" not in dumped
    with app.app_context():
        assert db.session.scalar(select(LoginFailure.email_hash)) == address_key(TYPED)
        assert len(address_key(TYPED)) == 64


def test_the_hash_is_keyed_by_configuration(database_url):
    def key_for(**config) -> str:
        app = create_app({**base_config(database_url), **config})
        with app.test_request_context():
            return address_key("nurse@clinic.example")

    plain = key_for()
    assert plain == key_for()  # stable, so the lockout counts across workers and restarts
    assert key_for(SECRET_KEY="another-secret-key-for-this-test-0123456789abcdef") != plain
    assert key_for(SIGN_IN_HASH_KEY="a separate hash key for sign-in addresses") != plain
    assert key_for() == key_for(SIGN_IN_HASH_KEY=None)
    assert plain != hashlib.sha256(b"nurse@clinic.example").hexdigest()  # not a plain, guessable hash


def test_case_and_spaces_do_not_change_the_count(app):
    with app.app_context():
        assert address_key("  Nurse@Clinic.EXAMPLE ") == address_key("nurse@clinic.example")


def test_sign_in_events_carry_the_client_address_and_browser(app, make_staff):
    make_staff(email="nurse@clinic.example")
    client = ClientInfo(address="203.0.113.9", user_agent="Mozilla/5.0 (X11)\x00\n" + "x" * 500)
    with app.app_context():
        with pytest.raises(users.LoginFailed):
            users.authenticate("nurse@clinic.example", "wrong password entirely", now=NOW, client=client)
        users.authenticate("nurse@clinic.example", "correct horse battery staple", now=NOW, client=client)
        for event in db.session.scalars(select(AuditEvent)):
            assert event.details["ip"] == "203.0.113.9"
            assert event.details["user_agent"].startswith("Mozilla/5.0 (X11)")
            assert "\x00" not in event.details["user_agent"] and "\n" not in event.details["user_agent"]
            assert len(event.details["user_agent"]) <= 200


def test_sign_out_through_the_form_carries_the_client(app, staff_client):
    token = csrf_token_from(staff_client.get("/staff/").get_data(as_text=True))
    staff_client.post("/staff/logout", data={"csrf_token": token}, headers={"User-Agent": "TestBrowser/1.0"})
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.logout")).one()
        assert event.details == {"ip": "127.0.0.1", "user_agent": "TestBrowser/1.0"}
