"""Fixtures shared by every test.

Each database test runs on SQLite and, when CLINIC_TEST_DATABASE_URL is set, on PostgreSQL too. The
migrations run once per backend into a template database, and each test gets a fresh copy of it.

- `now`: the app's clock fixed at the test module's `NOW` (DEFAULT_NOW when it has none); returns it.
- `ctx`: the whole test inside an app context, at `now`: for service tests.
- `add_request(**fields)` -> id: a request row inserted directly, the one way to build rows by hand.
  `make_request` (tests/fixtures_intake.py) goes through the real intake service instead.
- `add_booking(starts_at, minutes=30, *, flagged=False)` -> booking id: add_request's row with one active
  booking, for the admin rules that list bookings.
- `sent`: the emails the locmem backend received.
- `entered`: the paths of the requests that reached Flask (not answered before it by kept_responses).
"""

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context, request_started
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.routing import Rule

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, SlotClaim
from clinic.pipeline import App
from clinic.services.booking.slot_cache import MemoryStore
from clinic.services.rules import read
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact, Priority, RequestStatus
from clinic.triage.screening import band_for

pytest_plugins = ["tests.fixtures_auth", "tests.fixtures_intake", "tests.fixtures_courses"]

PG_URL = os.environ.get("CLINIC_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
DEFAULT_NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 23 November 2026, 08:00 in New York
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_counter = itertools.count()
# Fixed encryption keys for every test app (CLINIC_DATA_KEYS, newest first, and CLINIC_INDEX_KEY), so that
# any app of a test reads what another wrote. Tests of rotation add a newer key in front.
DATA_KEY = "nbj+ATXv8LcY5yt2w2a4Yh1acsI6x4x0NzlUvvq7nEw="
INDEX_KEY = "kAyDNHtDZzQE2DhZC6L7bB5ahWMjf6hkRb+p9E1JUj8="


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates shared by every app this test process creates: each test's app has a Jinja
    environment of its own, which would otherwise parse and compile every template it renders again (about
    three quarters of a short test's time). Jinja keys the code by template and checks it against the
    source, so an edited template is compiled afresh; every app is made by the same `create_app`."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


App.jinja_options = {**App.jinja_options, "bytecode_cache": SharedTemplateCode()}


def _shared_url_builders() -> None:
    """Werkzeug compiles two URL-building functions per route for every app (Python source built and
    compiled: a quarter of a short test's time, as each test makes its app). Such a function depends only
    on the rule's parsed parts and defaults, never on the app: one is compiled per rule for the whole test
    process (pinned Werkzeug; nothing is changed when its internals are not as expected)."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    built: dict[tuple, Callable] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Callable:
        defaults = tuple(
            sorted((str(k), type(v).__name__, repr(v)) for k, v in (self.defaults or {}).items())
        )
        converters = tuple(sorted((name, type(c).__name__) for name, c in self._converters.items()))
        key = (tuple(self._trace), defaults, converters, append_unknown)
        function = built.get(key)
        if function is None:
            function = built[key] = compile_builder(self, append_unknown)
        return function

    shared.shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


_shared_url_builders()


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


class PgDatabases:
    """This worker's PostgreSQL test databases, each a copy of the migrated template, reused between tests.

    Creating and dropping a database costs about half a second, more than most tests; a used one is put
    back as the template left it instead, in one transaction: every table emptied (triggers and foreign
    keys off), the template's own rows (settings, hours, tallies, chairs, treatment kinds, the schedule
    version) copied back from a `seed` schema the template carries, every sequence set back. A database
    whose schema a test changed (a migration down, a dropped trigger) is dropped instead.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.free: list[str] = []
        self.engine = _pg_admin_engine()
        template_engine = sa.create_engine(_pg_url_for(template), isolation_level="AUTOCOMMIT")
        with template_engine.connect() as conn:
            tables = (
                conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                )
                .scalars()
                .all()
            )
            conn.exec_driver_sql("CREATE SCHEMA seed")
            seeded = []
            for table in tables:
                if conn.exec_driver_sql(f'SELECT EXISTS (SELECT FROM public."{table}")').scalar():
                    conn.exec_driver_sql(f'CREATE TABLE seed."{table}" AS TABLE public."{table}"')
                    seeded.append(table)
            conn.exec_driver_sql(
                "CREATE TABLE seed.sequences AS SELECT schemaname || '.' || sequencename AS name, "
                "COALESCE(last_value, start_value) AS value, last_value IS NOT NULL AS called "
                "FROM pg_sequences WHERE schemaname = 'public'"
            )
            self.fingerprint = conn.exec_driver_sql(FINGERPRINT).one()
        template_engine.dispose()
        self.reset_sql = "; ".join(
            [
                "SET LOCAL session_replication_role = replica",
                *(f'DELETE FROM public."{table}"' for table in tables),
                *(f'INSERT INTO public."{table}" SELECT * FROM seed."{table}"' for table in seeded),
                "SELECT setval(name, value, called) FROM seed.sequences",
            ]
        )

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"clinic_t_{WORKER}_{os.getpid()}_{next(_counter)}"
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def give_back(self, name: str) -> None:
        with self.engine.connect() as conn:
            # Connections a test left behind (a killed server's, a child process's) would hold locks.
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %(name)s AND pid <> pg_backend_pid()",
                {"name": name},
            )
        engine = sa.create_engine(_pg_url_for(name))
        try:
            with engine.begin() as conn:
                if conn.exec_driver_sql(FINGERPRINT).one() != self.fingerprint:
                    raise LookupError("the schema changed")
                conn.exec_driver_sql(self.reset_sql)
        except (LookupError, sa.exc.SQLAlchemyError):
            self.drop(name)
        else:
            self.free.append(name)
        finally:
            engine.dispose()

    def drop(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in self.free:
            self.drop(name)
        self.engine.dispose()


# The schema as the template has it: its revision, and how many tables, columns, constraints, indexes and
# triggers it holds.
FINGERPRINT = """
SELECT (SELECT string_agg(version_num, ',') FROM public.alembic_version),
       (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'),
       (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = 'public'),
       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'),
       (SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal)
"""


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


@pytest.fixture(scope="session")
def pg_databases(pg_template) -> Iterator[PgDatabases]:
    databases = PgDatabases(pg_template)
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated database: a copy of the template for the backend under test (on PostgreSQL, one
    reset to the template's state: PgDatabases)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "clinic.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    databases = request.getfixturevalue("pg_databases")
    name = databases.take()
    yield _pg_url_for(name)
    databases.give_back(name)


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


class ClinicClient(FlaskClient):
    """The test client. After `login_as(client, user_id)` it keeps that sign-in fresh: before each request it
    stamps the session as just signed in and just seen, on the app's clock, so that moving the clock never
    ends it. A logout or another sign-in (the session no longer carries that user) stops it."""

    keep_alive_user: str | None = None

    def open(self, *args, **kwargs):
        if self.keep_alive_user is not None:
            with self.application.app_context():
                stamp = utcnow().isoformat()
            with self.session_transaction() as session:
                if session.get("_user_id") == self.keep_alive_user:
                    session["login_at"] = session["seen_at"] = stamp
        return super().open(*args, **kwargs)


@pytest.fixture
def entered(app) -> list[str]:
    """The paths of the requests that reached Flask (a request context, hooks, a view)."""
    paths: list[str] = []

    def started(sender, **extra):
        from flask import request

        paths.append(request.full_path.rstrip("?"))

    request_started.connect(started, app)
    yield paths
    request_started.disconnect(started, app)


@pytest.fixture
def app(database_url):
    app = create_app(base_config(database_url))
    app.test_client_class = ClinicClient
    yield app
    read.close_version_reader(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def signed_in(app, client, make_staff, login_as):
    """A colleague signed in as a browser is: the session cookie as the app last wrote it, stamps and all."""
    login_as(client, make_staff(name="Nora Nurse"), keep_alive=False)
    return client


@pytest.fixture
def clock(app):
    """Fix the app's clock: `clock.set(datetime(...))`."""

    class Clock:
        def set(self, when: datetime) -> datetime:
            assert when.tzinfo is not None
            app.config["NOW_OVERRIDE"] = when.astimezone(UTC)
            return when

    return Clock()


@pytest.fixture
def now(request, clock) -> datetime:
    """The app's clock fixed at the test module's `NOW` (DEFAULT_NOW when the module has none)."""
    return clock.set(getattr(request.module, "NOW", DEFAULT_NOW))


@pytest.fixture
def ctx(app, now):
    """The whole test inside an app context, at `now`: service calls and queries without a request."""
    with app.app_context():
        yield


@pytest.fixture
def sent(app) -> list:
    """The emails the locmem backend received (emptied first)."""
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman.outbox


def in_app(app):
    """The test's own app context when it is inside one (its session: a second one would wait on the first's
    SQLite write lock), else a new app context."""
    inside = has_app_context() and current_app._get_current_object() is app
    return nullcontext() if inside else app.app_context()


def reference_for(n: int) -> str:
    """A valid reference code (KT- and six characters of the codes' alphabet), different for each n."""
    chars = []
    for _ in range(6):
        n, r = divmod(n, len(REF_ALPHABET))
        chars.append(REF_ALPHABET[r])
    return "KT-" + "".join(reversed(chars))


@pytest.fixture
def add_request(app):
    """`add_request(**fields)` -> request id: one request row inserted directly, so that a test can set any
    time, status or text, including what intake never produces (requests made weeks ago, past slots).

    - any ConsultationRequest column as a keyword (first_name, created_at, assigned_to_id, ...);
    - `priority`, `status`: enum members or their values; `phq9`: the nine answers (score and band follow);
    - `slot`: an aware start, for a booking of `minutes` with its seat claim (`seat`, default unique);
      `cancelled=True` makes that booking cancelled and seatless; `flag_reason` flags it.

    Inside the test's own app context it uses that context's session; it always commits.
    """
    numbers = itertools.count(1)

    def add(
        *,
        priority: Priority | str = Priority.ROUTINE,
        status: RequestStatus | str = RequestStatus.NEW,
        created_at: datetime | None = None,
        phq9: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1, 1, 0),
        slot: datetime | None = None,
        minutes: int = 30,
        seat: int | None = None,
        cancelled: bool = False,
        flag_reason: str | None = None,
        **fields,
    ) -> int:
        n = next(numbers)
        priority = Priority(priority)
        score = sum(phq9)
        with in_app(app):
            created_at = created_at or utcnow()
            values = {
                "reference": reference_for(1000 + n),
                "public_id": f"pid{n:029d}",
                "status": RequestStatus(status),
                "priority": priority,
                "priority_rank": priority.rank,
                "first_name": "Robin",
                "last_name": f"Tester{n}",
                "email": f"robin{n}@example.com",
                "phone": f"+1212555{n % 10000:04d}",
                "date_of_birth": date(1980, 1, 1),
                "preferred_contact": PreferredContact.PHONE,
                "phq9_answers": list(phq9),
                "phq9_score": score,
                "phq9_band": band_for(score),
                "antidepressant_trials": 2,
                "treatment_resistant": True,
                "conditions": [],
                "modality": Modality.INFUSION,
                "medications": "",
                "notes": "",
                "consent_version": "test",
                "consented_at": created_at,
                "created_at": created_at,
                "appointment_at": slot if slot is not None and not cancelled else None,
                **fields,
            }
            request = ConsultationRequest(**values)
            db.session.add(request)
            db.session.flush()
            if slot is not None:
                booking = Booking(
                    request_id=request.id,
                    starts_at=slot,
                    ends_at=slot + timedelta(minutes=minutes),
                    created_at=created_at,
                    cancelled_at=created_at if cancelled else None,
                    flag_reason=flag_reason,
                    flagged_at=created_at if flag_reason else None,
                )
                db.session.add(booking)
                db.session.flush()
                if not cancelled:
                    db.session.add(SlotClaim(starts_at=slot, seat=seat or n, booking_id=booking.id))
            db.session.commit()
            return request.id

    return add


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def forget_process_caches(app) -> None:
    """Drop what a worker keeps between requests (the layout's clinic details, the queue's overview, kept
    pages and responses), so
    that a count of statements measures a cold request, the same after the data changed as before."""
    for key in ("clinic_display", "queue_overview", "public_pages", "staff_pages"):
        app.extensions.pop(key, None)
    if "slot_cache" in app.extensions:
        app.extensions["slot_cache"] = MemoryStore()
    if "kept_responses" in app.extensions:
        app.extensions["kept_responses"].clear()


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
        engines = [db.engine]
        if db.engine.dialect.name == "postgresql":  # statements outside any request have their own engine
            engines.append(read.outside_engine(app))  # (on SQLite, db.engine's listeners see them already)
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def queries(app):
    """`with queries() as statements:` counts the SQL statements of the block."""
    return lambda: count_queries(app)


@pytest.fixture
def add_booking(app, add_request):
    def add(starts_at: datetime, minutes: int = 30, *, seat: int | None = None, flagged: bool = False) -> int:
        request_id = add_request(
            slot=starts_at,
            minutes=minutes,
            seat=seat,
            flag_reason="earlier" if flagged else None,
            first_name="Canary",
            last_name="Patient",
            email="canary@example.com",
        )
        with in_app(app):
            return db.session.scalar(sa.select(Booking.id).where(Booking.request_id == request_id))

    return add
