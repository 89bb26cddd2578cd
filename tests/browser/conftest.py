"""A real server thread and Debian's Chromium, driven by Playwright.

The app runs under werkzeug's threaded server on 127.0.0.1 (a free port), on a migrated SQLite file with the
demo data plus a staff member and an admin created here. Its clock is the real one, so tests read the free
slots from the live API rather than assuming a date. Chromium is never downloaded: where /usr/bin/chromium is
missing the browser tests are skipped, and under CI they fail instead.
"""

import json
import logging
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from clinic import create_app
from clinic.extensions import db
from tests.conftest import IN_CI, base_config
from tests.fixtures_auth import TOTP_SECRET

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

STAFF_EMAIL = "browser.staff@clinic.example"
STAFF_NAME = "Bea Browser"
ADMIN_EMAIL = "browser.admin@clinic.example"
ADMIN_NAME = "Abe Admin"
PASSWORD = "a long browser test passphrase"
_LIVE: dict = {}  # the live server's app, for the code step of `sign_in`


def missing(reason: str) -> None:
    """Skip where a tool is missing; under CI the browser tests are required, so fail."""
    if IN_CI:
        pytest.fail(f"CI requires the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass
class LiveServer:
    url: str
    app: object
    log: list[str] = field(default_factory=list)

    def api(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def free_slots(self, days: int = 21) -> list[str]:
        """Every offered slot start (ISO, clinic time) in the next `days` days, from the live API."""
        body = self.api(f"/api/v1/availability?days={days}")
        return [slot["start"] for day in body["days"] for slot in day["slots"]]


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


def _create_people(app) -> None:
    """A staff member and an admin, each with an authenticator already set up (the tests' shared key)."""
    from clinic.models import StaffUser
    from clinic.services.accounts.passwords import hash_password
    from clinic.timeutil import utcnow
    from clinic.triage.enums import Role

    with app.app_context():
        for email, name, role in (
            (STAFF_EMAIL, STAFF_NAME, Role.STAFF),
            (ADMIN_EMAIL, ADMIN_NAME, Role.ADMIN),
        ):
            db.session.add(
                StaffUser(
                    email=email,
                    name=name,
                    role=role,
                    password_hash=hash_password(PASSWORD),
                    totp_secret=TOTP_SECRET,
                    two_factor_enabled_at=utcnow(),
                )
            )
        db.session.commit()


def _seed_demo(app) -> None:
    try:
        from clinic.cli import demo
    except ImportError:
        return
    with app.app_context():
        demo.seed_demo()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, sqlite_template) -> Iterator[LiveServer]:
    """The app behind a real HTTP server thread, with demo data, a staff member and an admin."""
    path = tmp_path_factory.mktemp("live") / "live.db"
    shutil.copyfile(sqlite_template, path)
    config = {
        **base_config(f"sqlite:///{path}"),
        "TESTING": False,  # behave as deployed: errors are handled by the app's pages, not re-raised
        "DEBUG": False,
        "RATELIMIT_ENABLED": False,  # many bookings come from 127.0.0.1 here
    }
    app = create_app(config)
    _seed_demo(app)
    _create_people(app)
    _LIVE["app"] = app
    sink: list[str] = []
    handler = _ListHandler(sink)
    watched = [logging.getLogger(name) for name in ("werkzeug", "clinic", "flask.app", "sqlalchemy")]
    for logger in watched:
        logger.addHandler(handler)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, log=sink)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        for logger in watched:
            logger.removeHandler(handler)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """pytest-playwright hands this to every context, so `page.goto("/book")` works."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """US English and the clinic's timezone, so dates and times read the same on every machine."""
    return {**browser_context_args, "locale": "en-US", "timezone_id": "America/New_York"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_PATH.is_file():
        missing(f"axe-core not installed at {AXE_PATH} (npm install)")
    return AXE_PATH.read_text(encoding="utf-8")


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{url}: {len(violations)} serious or critical accessibility violation(s)"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(
                f"    at {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
            lines.append(f"       {node['html'][:160]}")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_source):
    """`axe(page)`: fail the test on any serious or critical WCAG 2.0/2.1 A/AA violation of the page."""

    def check(page) -> None:
        page.evaluate(axe_source)
        result = page.evaluate("opts => axe.run(document, opts)", WCAG)
        bad = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
        assert not bad, format_violations(page.url, bad)

    return check


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """A real login through both steps of the form, with the keyboard-free Playwright helpers: the code is
    the one the account's authenticator shows now (see `current_code`)."""
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/login/verify")
    page.get_by_label("Code").fill(current_code(email))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(lambda url: "/staff/login" not in url)


def current_code(email: str) -> str:
    """The code the account's authenticator shows now, made acceptable as after waiting for the next one
    (each code is accepted once; the tests sign one account in several times a minute)."""
    from sqlalchemy import select

    from clinic.models import StaffUser
    from tests.fixtures_auth import fresh_code

    with _LIVE["app"].app_context():
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == email))
        return fresh_code(user_id)


@pytest.fixture
def context(new_context):
    """A fresh browser context per test that fails in seconds, not Playwright's default 30 s."""
    context = new_context()
    context.set_default_timeout(10_000)
    return context
