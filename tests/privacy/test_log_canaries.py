"""Whole journeys with canary values in every patient field, a staff password, the session cookie and the
manage token: none of them may appear in any log line, whether through the test client, a real werkzeug
server thread or gunicorn (access log on), on success, on validation errors (422), a database error and a 500.
"""

import http.cookiejar
import json
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pyotp
import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from clinic import create_app
from clinic.extensions import db
from tests import servers
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_auth import TOTP_SECRET

PASSWORD = "canary-Password-zq81-correct"
WRONG_PASSWORD = "canary-Password-zq81-wrong"
STAFF_EMAIL = "canary.staff.zq81@clinic.example"
PATIENT = {
    "first_name": "Canaryfirstzq",
    "last_name": "Canarylastzq",
    "email": "canary.patient.zq81@example.com",
    "phone": "+1 202 555 0187",
    "date_of_birth": "1971-07-19",
    "preferred_contact": "email",
    "antidepressant_trials": "3",
    "modality": "infusion",
    "conditions": "hypertension",
    "medications": "CANARY-MEDICATION-zq81",
    "notes": "CANARY-NOTES-zq81",
    "consent_privacy": "y",
    "consent_contact": "y",
    **{f"phq9_{i}": "2" for i in range(1, 10)},
}
NOTE = "CANARY-STAFF-NOTE-zq81"
CONTACT_NOTE = "CANARY-CALL-NOTE-zq81"
# What must never be logged (matched case-insensitively), beyond the tokens and cookies of the run.
CANARIES = [
    "Canaryfirstzq",
    "Canarylastzq",
    "canary.patient.zq81",
    "2025550187",
    "202 555 0187",
    "1971-07-19",
    "CANARY-MEDICATION-zq81",
    "CANARY-NOTES-zq81",
    NOTE,
    CONTACT_NOTE,
    PASSWORD,
    WRONG_PASSWORD,
]


@dataclass
class Reply:
    status: int
    text: str
    location: str = ""


@dataclass
class Secrets:
    """Values seen during the journey that must stay out of logs too."""

    tokens: set[str] = field(default_factory=set)
    cookies: set[str] = field(default_factory=set)


class FlaskClientAdapter:
    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, params: dict | None = None) -> Reply:
        return self._reply(self.client.get(path, query_string=params or {}))

    def post(self, path: str, data: dict) -> Reply:
        return self._reply(self.client.post(path, data=data))

    def cookies(self) -> set[str]:
        cookie = self.client.get_cookie("clinic_session")
        return {cookie.value} if cookie else set()

    @staticmethod
    def _reply(response) -> Reply:
        return Reply(
            response.status_code, response.get_data(as_text=True), response.headers.get("Location", "")
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpAdapter:
    """The same journey over real HTTP (werkzeug thread or gunicorn)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, path: str, params: dict | None = None) -> Reply:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._open(urllib.request.Request(self.base + path + query))

    def post(self, path: str, data: dict) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def cookies(self) -> set[str]:
        return {c.value for c in self.jar}

    def _open(self, request) -> Reply:
        try:
            with self.opener.open(request, timeout=20) as response:
                return Reply(response.status, response.read().decode(), response.headers.get("Location", ""))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(errors="replace"), error.headers.get("Location", ""))


def first_slots(c, count: int = 2) -> list[str]:
    days = json.loads(c.get("/api/v1/availability", {"days": "21"}).text)["days"]
    return [slot["start"] for day in days for slot in day["slots"]][:count]


def patient_journey(c, secrets: Secrets) -> str:
    """Read, fail validation twice, book, look, reschedule, get the calendar, cancel. Returns the token."""
    assert c.get("/").status == 200
    assert c.get("/learn/faq").status == 200
    assert c.get("/book").status == 200
    slot, other = first_slots(c)
    form = c.get("/consultation", {"slot": slot})
    token = csrf_token_from(form.text)
    too_young = c.post(
        "/consultation", {**PATIENT, "slot": slot, "csrf_token": token, "date_of_birth": "2020-07-19"}
    )
    assert too_young.status == 422, too_young.status
    bad_email = c.post(
        "/consultation", {**PATIENT, "slot": slot, "csrf_token": token, "email": "canary zq81@"}
    )
    assert bad_email.status == 422, bad_email.status
    created = c.post("/consultation", {**PATIENT, "slot": slot, "csrf_token": token})
    assert created.status == 303, created.status
    manage_path = urllib.parse.urlsplit(created.location).path
    manage = manage_path.rsplit("/", 1)[1]
    secrets.tokens.add(manage)
    secrets.cookies |= c.cookies()
    page = c.get(manage_path)
    assert page.status == 200
    move = c.get(f"{manage_path}/reschedule")
    moved = c.post(f"{manage_path}/reschedule", {"csrf_token": csrf_token_from(move.text), "slot": other})
    assert moved.status == 303, moved.status
    assert c.get(f"{manage_path}/calendar.ics").status == 200
    page = c.get(f"{manage_path}/cancel")
    cancelled = c.post(f"{manage_path}/cancel", {"csrf_token": csrf_token_from(page.text)})
    assert cancelled.status in {200, 303}, cancelled.status
    assert c.get(f"{manage_path}x").status == 404  # a mangled link is logged too
    secrets.cookies |= c.cookies()
    return manage


def staff_journey(c, secrets: Secrets) -> None:
    """Sign in (a failure first), search the patient by name, open, note, log a call, export, sign out."""
    login = c.get("/staff/login")
    token = csrf_token_from(login.text)
    failed = c.post("/staff/login", {"csrf_token": token, "email": STAFF_EMAIL, "password": WRONG_PASSWORD})
    assert failed.status == 401, failed.status
    password_ok = c.post("/staff/login", {"csrf_token": token, "email": STAFF_EMAIL, "password": PASSWORD})
    assert password_ok.status == 303 and password_ok.location.endswith("/staff/login/verify"), password_ok
    code = pyotp.TOTP(TOTP_SECRET).now()
    verify = c.get("/staff/login/verify")
    signed_in = c.post("/staff/login/verify", {"csrf_token": csrf_token_from(verify.text), "code": code})
    assert signed_in.status == 303, signed_in.status
    secrets.cookies |= c.cookies()
    queue = c.get("/staff/", {"q": PATIENT["last_name"], "status": "all"})
    assert queue.status == 200 and PATIENT["last_name"] in queue.text
    request_path = re.search(r'href="(/staff/requests/\d+)"', queue.text)[1]
    detail = c.get(request_path)
    assert detail.status == 200
    noted = c.post(f"{request_path}/notes", {"csrf_token": csrf_token_from(detail.text), "body": NOTE})
    assert noted.status in {200, 303}, noted.status
    token = csrf_token_from(c.get(request_path).text)
    called = c.post(
        f"{request_path}/contacts",
        {"csrf_token": token, "outcome": "reached", "note": CONTACT_NOTE, "status": "contacted"},
    )
    assert called.status in {200, 303}, called.status
    assert c.get("/staff/requests.csv", {"q": PATIENT["email"]}).status == 200
    secrets.cookies |= c.cookies()
    out = c.post("/staff/logout", {"csrf_token": csrf_token_from(c.get("/staff/").text)})
    assert out.status in {200, 302, 303}, out.status


def assert_clean(text_logged: str, secrets: Secrets, where: str) -> None:
    assert text_logged.strip(), f"{where}: nothing was logged at all, so nothing was tested"
    lowered = text_logged.lower()
    leaks = [c for c in CANARIES if c.lower() in lowered]
    leaks += [f"manage token {t[:8]}…" for t in secrets.tokens if t in text_logged]
    leaks += [f"session cookie {v[:8]}…" for v in secrets.cookies if v and v in text_logged]
    assert not leaks, f"{where}: found in the logs: {leaks}"


def all_records(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info and not record.exc_text:
            lines.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            lines.append(record.exc_text)
        if record.stack_info:
            lines.append(record.stack_info)
    return "\n".join(lines) + "\n" + caplog.text


@pytest.fixture
def app(database_url):
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def staff(make_staff):
    return make_staff(email=STAFF_EMAIL, name="Canary Staff", password=PASSWORD, two_factor=True)


@pytest.fixture
def everything_logged(caplog):
    """Every logger at DEBUG, SQLAlchemy's engine included (its statements, with parameters hidden)."""
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "werkzeug", "clinic", "flask.app", "flask_limiter", "flask_wtf"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_test_client_journeys_log_no_canary(app, client, staff, everything_logged, capfd):
    secrets = Secrets()
    c = FlaskClientAdapter(client)
    patient_journey(c, secrets)
    staff_journey(c, secrets)
    out, err = capfd.readouterr()
    assert_clean(all_records(everything_logged) + out + err, secrets, "test client")


def test_a_database_error_and_a_500_log_no_canary(app, client, staff, everything_logged, capfd, monkeypatch):
    from clinic.services.booking import intake

    secrets = Secrets()
    c = FlaskClientAdapter(client)
    slot = first_slots(c, 1)[0]
    token = csrf_token_from(c.get("/consultation", {"slot": slot}).text)

    def failing_query(*args, **kwargs):  # a database error whose statement carries patient data
        db.session.execute(
            text("SELECT missing_column FROM consultation_requests WHERE email = :e"), {"e": PATIENT["email"]}
        )

    monkeypatch.setattr(intake, "record", failing_query)
    database_error = c.post("/consultation", {**PATIENT, "slot": slot, "csrf_token": token})
    assert database_error.status in {500, 503}, database_error.status

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while booking")

    monkeypatch.setattr(intake, "record", crash)
    crashed = c.post("/consultation", {**PATIENT, "slot": slot, "csrf_token": token})
    assert crashed.status == 500, crashed.status
    assert "simulated crash" not in crashed.text and "Traceback" not in crashed.text
    secrets.cookies |= c.cookies()
    logged = all_records(everything_logged)
    assert "simulated crash" in logged, "the 500 was not logged at all"
    out, err = capfd.readouterr()
    assert_clean(logged + out + err, secrets, "errors")


def test_live_server_access_log_has_no_canary(app, staff, everything_logged, capfd):
    """werkzeug's own request log, as `flask run` writes it, for the same journeys over real HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secrets = Secrets()
    try:
        c = HttpAdapter(f"http://127.0.0.1:{server.server_port}")
        patient_journey(c, secrets)
        staff_journey(c, secrets)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    logged = all_records(everything_logged)
    access = [r for r in everything_logged.records if r.name == "werkzeug"]
    assert len(access) >= 20, "the werkzeug request log was not captured"
    assert any("/appointments/[token]" in r.getMessage() for r in access), "manage paths are not redacted"
    out, err = capfd.readouterr()
    assert_clean(logged + out + err, secrets, "werkzeug server")


def test_gunicorn_logs_have_no_canary(database_url, backend, tmp_path):
    """gunicorn with its access log on (as an operator might turn it on): stderr and the access log."""
    if backend != "sqlite":
        pytest.skip("one gunicorn run is enough: the logs do not depend on the database")
    setup = create_app(base_config(database_url))
    with setup.app_context():
        from clinic.models import StaffUser
        from clinic.services.accounts.passwords import hash_password
        from clinic.timeutil import utcnow
        from clinic.triage.enums import Role

        db.session.add(
            StaffUser(
                email=STAFF_EMAIL,
                name="Canary Staff",
                role=Role.STAFF,
                password_hash=hash_password(PASSWORD),
                totp_secret=TOTP_SECRET,
                two_factor_enabled_at=utcnow(),
            )
        )
        db.session.commit()
        db.engine.dispose()
    access_log = tmp_path / "access.log"
    secrets = Secrets()
    with servers.gunicorn(
        database_url,
        tmp_path,
        production=True,
        GUNICORN_ACCESS_LOG=str(access_log),
        GUNICORN_LOG_LEVEL="debug",
    ) as server:
        c = HttpAdapter(server.url)
        patient_journey(c, secrets)
        staff_journey(c, secrets)
    output = server.output()
    access = access_log.read_text(encoding="utf-8") if access_log.exists() else ""
    assert access.count("\n") >= 20, "gunicorn wrote no access log"
    assert "/appointments/[token]" in access, "manage paths are not redacted in gunicorn's access log"
    assert_clean(output + "\n" + access, secrets, "gunicorn")


def test_saving_and_resuming_a_draft_logs_no_canary_nor_its_link(app, everything_logged, capfd):
    """Save and finish later, then the emailed link, then the request sent from it, over real HTTP."""
    app.extensions["mailman"].outbox = []
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secrets = Secrets()
    try:
        c = HttpAdapter(f"http://127.0.0.1:{server.server_port}")
        slot = first_slots(c, 1)[0]
        token = csrf_token_from(c.get("/consultation", {"slot": slot}).text)
        typed = {**PATIENT, "slot": slot, "csrf_token": token}
        saved = c.post("/consultation/save", {**typed, "phq9_9": "0"})
        assert saved.status == 303, saved.status
        (email,) = app.extensions["mailman"].outbox
        link = re.search(r"/consultation/resume/([^\s?\"<>]+)", email.body).group(1)
        secrets.tokens.add(link)
        resumed = c.get(f"/consultation/resume/{link}")
        assert resumed.status == 200 and PATIENT["last_name"] in resumed.text
        sent = c.post("/consultation", {**typed, "draft": link, "csrf_token": csrf_token_from(resumed.text)})
        assert sent.status == 303, sent.status
        assert c.get(f"/consultation/resume/{link}").status == 404  # a used link, logged too
        secrets.cookies |= c.cookies()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    access = [r.getMessage() for r in everything_logged.records if r.name == "werkzeug"]
    assert any("/consultation/resume/[token]" in line for line in access), "resume paths are not redacted"
    out, err = capfd.readouterr()
    assert_clean(all_records(everything_logged) + out + err, secrets, "draft journey")
