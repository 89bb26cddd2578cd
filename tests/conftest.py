"""Fixtures shared by every test.

Each database test runs on SQLite and, when CLINIC_TEST_DATABASE_URL is set, on PostgreSQL too. The
migrations run once per backend into a template database, and each test gets a fresh copy of it.
"""

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from clinic import create_app
from clinic.extensions import db

pytest_plugins = ["tests.fixtures_auth", "tests.fixtures_intake"]

PG_URL = os.environ.get("CLINIC_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_counter = itertools.count()
# Fixed encryption keys for every test app (CLINIC_DATA_KEYS, newest first, and CLINIC_INDEX_KEY), so that
# any app of a test reads what another wrote. Tests of rotation add a newer key in front.
DATA_KEY = "nbj+ATXv8LcY5yt2w2a4Yh1acsI6x4x0NzlUvvq7nEw="
INDEX_KEY = "kAyDNHtDZzQE2DhZC6L7bB5ahWMjf6hkRb+p9E1JUj8="


def base_config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "testing-secret-key-not-for-production-0123456789",
        "DATA_KEYS": DATA_KEY,
        "INDEX_KEY": INDEX_KEY,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Flask-Limiter's switch is process-wide: set it for every app, or one test's "off" leaks on.
        "RATELIMIT_ENABLED": True,
        "SERVER_NAME": None,
    }


def _pg_admin_url() -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", PG_URL)


def _pg_url_for(name: str) -> str:
    return _pg_admin_url().rsplit("/", 1)[0] + f"/{name}"


def _pg_admin_engine() -> sa.Engine:
    return sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")


def _migrate(uri: str) -> None:
    app = create_app(base_config(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Hash test passwords with a tiny argon2id cost: hundreds of test accounts would otherwise take minutes.

    Production keeps argon2-cffi's strong defaults (tests/test_passwords.py checks them).
    """
    from argon2 import PasswordHasher

    from clinic.services.accounts import passwords

    strong, dummy = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password-used-for-timing-only")
    yield
    passwords._hasher, passwords._DUMMY_HASH = strong, dummy


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL tests: set CLINIC_TEST_DATABASE_URL")
        pytest.skip(
            "PostgreSQL runs need CLINIC_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    try:
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable under CI: {error}")
        pytest.skip(f"PostgreSQL unreachable: {type(error).__name__}")
    name = f"clinic_tmpl_{WORKER}_{os.getpid()}"
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    _migrate(_pg_url_for(name))
    yield name
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated database: a copy of the template for the backend under test."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "clinic.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"clinic_t_{WORKER}_{os.getpid()}_{next(_counter)}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url_for(name)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def app(database_url):
    app = create_app(base_config(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock(app):
    """Fix the app's clock: `clock.set(datetime(...))`."""

    class Clock:
        def set(self, when: datetime) -> datetime:
            assert when.tzinfo is not None
            app.config["NOW_OVERRIDE"] = when.astimezone(UTC)
            return when

    return Clock()


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def forget_process_caches(app) -> None:
    """Drop what a worker keeps between requests (the layout's clinic details, the queue's overview), so
    that a count of statements measures a cold request, the same after the data changed as before."""
    for key in ("clinic_display", "queue_overview"):
        app.extensions.pop(key, None)


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def csrf(client):
    """`csrf(path)`: GET a page and return the CSRF token of its form, as a browser would have it."""

    def token(path: str = "/staff/login") -> str:
        response = client.get(path)
        return csrf_token_from(response.get_data(as_text=True))

    return token


@contextmanager
def count_queries(app) -> Iterator[list[str]]:
    """Collect every SQL statement the app sends while the block runs."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def queries(app):
    """`with queries() as statements:` counts the SQL statements of the block."""
    return lambda: count_queries(app)
