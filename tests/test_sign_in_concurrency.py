"""The sign-in lockout cannot be raced (issue 15, finding 1): 40 wrong passwords for one address, all at
once, lead to at most five password checks, then 429, however the attempts arrive: threads calling the
service, threads posting the form, separate processes (each its own app and connections), and on
PostgreSQL gunicorn with four workers of eight threads over real HTTP. A code replayed in parallel is
accepted once. The per-client limit: one address gets 20 sign-in attempts per 15 minutes, whatever
accounts it tries, shared by every worker when the limit lives in Redis.
"""

import multiprocessing
import threading
import traceback
from datetime import UTC, datetime
from urllib.parse import urlencode

import pyotp
import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEvent, LoginFailure, StaffUser
from clinic.services.accounts import passwords, two_factor, users
from clinic.services.accounts.passwords import hash_password
from clinic.triage.enums import Role
from tests import servers
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_auth import DEFAULT_PASSWORD, TOTP_SECRET
from tests.servers import http_request
from tests.test_concurrency import run_threads

NOW = datetime(2026, 11, 23, 15, 0, 10, tzinfo=UTC)
EMAIL = "nurse@clinic.example"
WRONG = "wrong password entirely"
ATTEMPTS = 40
PROCESSES = 8
THREADS_PER_PROCESS = ATTEMPTS // PROCESSES


def app_config(database_url: str, **extra) -> dict:
    return {
        **base_config(database_url),
        "NOW_OVERRIDE": NOW,
        "RATELIMIT_ENABLED": False,  # the lockout itself is under test, not the per-client limit
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_size": ATTEMPTS + 2,
            "max_overflow": 0,
            "pool_timeout": 60,
            "hide_parameters": True,
        },
        **extra,
    }


@pytest.fixture
def shared_app(database_url):
    app = create_app(app_config(database_url))
    with app.app_context():
        db.session.add(
            StaffUser(
                email=EMAIL,
                name="Nora Nurse",
                role=Role.STAFF,
                password_hash=hash_password(DEFAULT_PASSWORD),
                totp_secret=TOTP_SECRET,
                two_factor_enabled_at=NOW,
            )
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def audited(app, action: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))
        db.session.remove()
        return count


def assert_at_most_five_checks(app) -> None:
    """Every password check ends in an audit event (login or failure); the lock is audited once."""
    assert audited(app, "auth.login_failed") == users.LOCKOUT_THRESHOLD
    assert audited(app, "auth.lockout") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == users.LOCKOUT_THRESHOLD


@pytest.fixture
def counted_checks(monkeypatch):
    calls: list[int] = []
    lock = threading.Lock()
    real = passwords.verify_password

    def counting(password_hash, password):
        with lock:
            calls.append(1)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


def test_threads_calling_the_service(shared_app, counted_checks):
    def attempt(i, barrier):
        with shared_app.app_context():
            barrier.wait()
            try:
                users.authenticate(EMAIL, WRONG, now=NOW)
            except users.LoginLocked:
                return "locked"
            except users.LoginFailed:
                return "failed"
            return "signed in"

    results = run_threads(ATTEMPTS, attempt)
    unexpected = [r for r in results if r not in {"locked", "failed"}]
    assert not unexpected, unexpected[0]
    assert len(counted_checks) == users.LOCKOUT_THRESHOLD
    assert results.count("failed") == users.LOCKOUT_THRESHOLD - 1
    assert results.count("locked") == ATTEMPTS - users.LOCKOUT_THRESHOLD + 1
    assert_at_most_five_checks(shared_app)


def test_threads_posting_the_form_then_the_right_password_is_paused_too(shared_app, counted_checks):
    def attempt(i, barrier):
        client = shared_app.test_client()
        address = {"REMOTE_ADDR": f"10.3.0.{i + 1}"}
        token = csrf_token_from(client.get("/staff/login", environ_base=address).get_data(as_text=True))
        barrier.wait()
        data = {"csrf_token": token, "email": EMAIL, "password": WRONG}
        return client.post("/staff/login", data=data, environ_base=address).status_code

    statuses = run_threads(ATTEMPTS, attempt)
    assert all(isinstance(s, int) for s in statuses), next(s for s in statuses if not isinstance(s, int))
    assert sorted(statuses) == [401] * 4 + [429] * (ATTEMPTS - 4)
    assert len(counted_checks) == users.LOCKOUT_THRESHOLD
    client = shared_app.test_client()
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    right = client.post(
        "/staff/login", data={"csrf_token": token, "email": EMAIL, "password": DEFAULT_PASSWORD}
    )
    assert right.status_code == 429
    assert len(counted_checks) == users.LOCKOUT_THRESHOLD  # refused before any check
    assert_at_most_five_checks(shared_app)


def test_one_code_sent_many_times_at_once_signs_in_once(shared_app):
    code = pyotp.TOTP(TOTP_SECRET).at(NOW)
    with shared_app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == EMAIL))
        user_id, version = user.id, user.session_version
        db.session.remove()
    racers = 12

    def attempt(i, barrier):
        with shared_app.app_context():
            barrier.wait()
            try:
                two_factor.verify_sign_in(user_id, version, code, now=NOW)
            except users.LoginLocked:
                return "locked"
            except users.LoginFailed:
                return "refused"
            return "signed in"

    results = run_threads(racers, attempt)
    assert results.count("signed in") == 1, results
    assert set(results) <= {"signed in", "refused", "locked"}, results
    assert audited(shared_app, "auth.login") == 1


def _process_attempts(database_url: str, worker: int, barrier, results) -> None:
    """One process, its own app and connections, several threads posting wrong passwords."""
    try:
        app = create_app(app_config(database_url))
        inner = threading.Barrier(THREADS_PER_PROCESS)
        statuses: list = [None] * THREADS_PER_PROCESS

        def post(i: int) -> None:
            client = app.test_client()
            address = {"REMOTE_ADDR": f"10.4.{worker}.{i + 1}"}
            token = csrf_token_from(client.get("/staff/login", environ_base=address).get_data(as_text=True))
            inner.wait()
            if i == 0:
                barrier.wait()
            inner.wait()
            data = {"csrf_token": token, "email": EMAIL, "password": WRONG}
            statuses[i] = client.post("/staff/login", data=data, environ_base=address).status_code

        threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS_PER_PROCESS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        results.put((worker, statuses))
        with app.app_context():
            db.engine.dispose()
    except BaseException:
        results.put((worker, traceback.format_exc()))


@pytest.mark.slow
def test_separate_processes_posting_the_form(shared_app, database_url):
    with shared_app.app_context():
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=240)
    results = context.Queue()
    processes = [
        context.Process(target=_process_attempts, args=(database_url, worker, barrier, results))
        for worker in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    failures = [o for o in outcomes.values() if not isinstance(o, list)]
    assert not failures, failures[0]
    statuses = sorted(s for batch in outcomes.values() for s in batch)
    assert statuses == [401] * 4 + [429] * (ATTEMPTS - 4)
    assert_at_most_five_checks(shared_app)


# gunicorn, four workers of eight threads, PostgreSQL, real HTTP ------------------------------------------


@pytest.fixture
def gunicorn_threads(database_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("the gunicorn run is on PostgreSQL only")
    with servers.gunicorn(database_url, tmp_path, GUNICORN_WORKERS="4", GUNICORN_THREADS="8") as server:
        yield server.port


@pytest.mark.slow
def test_gunicorn_four_workers_of_eight_threads(shared_app, gunicorn_threads):
    def attempt(i, barrier):
        status, page, cookies = http_request(gunicorn_threads, "GET", "/staff/login")
        assert status == 200, status
        body = urlencode({"csrf_token": csrf_token_from(page), "email": EMAIL, "password": WRONG})
        barrier.wait()
        status, page, _ = http_request(
            gunicorn_threads, "POST", "/staff/login", body, cookie="; ".join(cookies)
        )
        assert "Traceback" not in page
        return status

    statuses = run_threads(ATTEMPTS, attempt)
    assert all(isinstance(s, int) for s in statuses), next(s for s in statuses if not isinstance(s, int))
    assert sorted(statuses) == [401] * 4 + [429] * (ATTEMPTS - 4)
    assert_at_most_five_checks(shared_app)  # counted from the audit, as the pen test did
