"""Signed out, `/staff/?q=Name` redirects to `/staff/login?next=%2Fstaff%2F%3Fq%3DName`: the search went
into the access log through `next` (issue 15, finding 4). Neither the werkzeug request log nor gunicorn's
access log (turned on, as an operator might) may show it; nor the referer of the next page."""

import logging
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from clinic import create_app
from clinic.extensions import db
from clinic.log_privacy import redact
from tests import servers
from tests.conftest import base_config

SEARCH = "Canarysearchzq"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def signed_out_search(base: str) -> str:
    """Search while signed out, then open the sign-in page it sends us to (with the queue as referer)."""
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        opener.open(f"{base}/staff/?q={SEARCH}&status=all", timeout=10)
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
    assert SEARCH in location  # the page asked for is kept for after sign-in...
    login = urllib.request.Request(base + location, headers={"Referer": f"{base}/staff/?q={SEARCH}"})
    with opener.open(login, timeout=10) as page:
        assert page.status == 200
    return location


@pytest.mark.parametrize(
    "line",
    [
        f"GET /staff/login?next=%2Fstaff%2F%3Fq%3D{SEARCH}%26status%3Dall HTTP/1.1",
        f"GET /staff/login?next=/staff/?q={SEARCH} HTTP/1.1",
        f"POST /staff/login?status=x&next=%252Fstaff%252F%253Fq%253D{SEARCH} HTTP/1.1",
        f'"http://127.0.0.1/staff/?status=all&q={SEARCH}"',
        f"GET /staff/requests.csv?Q={SEARCH}",
    ],
)
def test_redact_removes_the_search_however_it_is_wrapped(line):
    assert SEARCH not in redact(line)


@pytest.mark.parametrize("prefix", ["appointments", "courses", "check-ins", "offers"])
def test_redact_removes_tokens_of_every_patient_link(prefix):
    assert redact(f"GET /{prefix}/s3cr3t.T0ken-x/cancel HTTP/1.1") == f"GET /{prefix}/[token]/cancel HTTP/1.1"


def test_the_werkzeug_request_log_keeps_no_search(database_url, caplog):
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False})
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        signed_out_search(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("/staff/login?next=[redacted]" in line for line in lines), lines
    assert not any(SEARCH.lower() in line.lower() for line in lines), lines


def test_gunicorns_access_log_keeps_no_search(database_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("one gunicorn run is enough: the logs do not depend on the database")
    setup = create_app(base_config(database_url))
    with setup.app_context():
        db.engine.dispose()
    access_log = tmp_path / "access.log"
    with servers.gunicorn(
        database_url, tmp_path, production=True, GUNICORN_ACCESS_LOG=str(access_log)
    ) as server:
        signed_out_search(server.url)
    output = server.output()
    logged = access_log.read_text(encoding="utf-8")
    assert "/staff/login?next=[redacted]" in logged, logged
    assert SEARCH.lower() not in (logged + output).lower()
