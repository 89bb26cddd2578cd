"""One client address gets at most 20 sign-in attempts per 15 minutes, whatever accounts it tries
(issue 15, finding 2): the 21st is a 429 before any password is checked. The code step and the password
change draw on the same budget. With Redis configured, every worker shares the count."""

import uuid

import pytest
import redis

from clinic import create_app
from clinic.extensions import db
from clinic.services.accounts import passwords
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_auth import verify_code

LIMIT = 20


def attempt(client, email: str, password: str = "wrong password entirely", address: str = "10.9.0.1"):
    env = {"REMOTE_ADDR": address}
    token = csrf_token_from(client.get("/staff/login", environ_base=env).get_data(as_text=True))
    return client.post(
        "/staff/login", data={"csrf_token": token, "email": email, "password": password}, environ_base=env
    )


def test_the_twenty_first_attempt_from_one_client_is_refused_whatever_the_account(
    app, make_staff, monkeypatch
):
    for i in range(3):
        make_staff(email=f"real{i}@clinic.example")
    checks = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: checks.append(1) or real(h, p))
    client = app.test_client()
    emails = [f"real{i % 3}@clinic.example" if i % 2 else f"nobody{i}@clinic.example" for i in range(25)]
    statuses = [attempt(client, email).status_code for email in emails]
    assert statuses == [401] * LIMIT + [429] * 5
    assert len(checks) == LIMIT  # the refused ones cost no password check
    refused = attempt(client, "real0@clinic.example")
    assert refused.headers["Retry-After"]
    html = refused.get_data(as_text=True)
    assert "Too many attempts" in html and "Traceback" not in html
    assert attempt(app.test_client(), "real0@clinic.example", address="10.9.0.2").status_code == 401


def test_reading_the_sign_in_page_is_not_limited(app, client):
    for _ in range(LIMIT + 5):
        assert client.get("/staff/login").status_code == 200


def test_the_code_step_draws_on_the_same_budget(app, make_staff):
    make_staff(email="nurse@clinic.example", two_factor=True)
    client = app.test_client()
    for i in range(LIMIT - 2):
        attempt(client, f"nobody{i}@clinic.example", address="127.0.0.1")
    assert (
        attempt(client, "nurse@clinic.example", "correct horse battery staple", "127.0.0.1").status_code
        == 303
    )
    assert verify_code(client).status_code == 303  # the 20th
    other = app.test_client()
    assert (
        attempt(other, "nurse@clinic.example", "correct horse battery staple", "127.0.0.1").status_code == 429
    )


@pytest.fixture
def redis_prefix():
    try:
        connection = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2)
        connection.ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"clinic-test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def test_workers_share_the_budget_through_redis(database_url, redis_prefix):
    config = {
        **base_config(database_url),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
    }
    workers = [create_app(config), create_app(config)]  # two processes' apps, one Redis
    try:
        statuses = [
            attempt(workers[i % 2].test_client(), f"nobody{i}@clinic.example").status_code
            for i in range(LIMIT + 2)
        ]
    finally:
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
    assert statuses == [401] * LIMIT + [429] * 2
