"""The full set of response headers, kept exactly as it was recorded (`headers_snapshot.json`): security
headers computed once per kind of response must not change a single header of any kind of response.

Recorded before the headers were precomputed, with Flask-Talisman setting them on every response. Values
that change from one response to the next (the session cookie's value, lengths, dates, validators) are
recorded by name only. Set CLINIC_RECORD_HEADERS=1 to record the snapshot again after a deliberate change.
"""

import json
import os
from pathlib import Path

import pytest

from clinic import create_app
from tests.conftest import base_config

SNAPSHOT = Path(__file__).with_name("headers_snapshot.json")
URLS = [
    "/",
    "/learn/",
    "/learn/what-is-ketamine-therapy",
    "/learn/no-such-article",
    "/contact",
    "/privacy",
    "/book",
    "/consultation",
    "/staff/login",
    "/staff/",
    "/admin/hours",
    "/api/v1/availability",
    "/api/v1/availability?days=bad",
    "/healthz",
    "/nowhere",
    "/static/css/app.css",
    "/static/img/favicon.svg",
    "/static/no-such-file.css",
]
# Over plain HTTP; over HTTPS; over HTTP claiming HTTPS in X-Forwarded-Proto (no proxy is trusted).
KINDS = {
    "http": {"base_url": "http://localhost"},
    "https": {"base_url": "https://localhost"},
    "forwarded": {"base_url": "http://localhost", "headers": {"X-Forwarded-Proto": "https"}},
}
BY_NAME_ONLY = {"content-length", "date", "etag", "last-modified", "expires"}


def header_set(response) -> list[str]:
    seen = []
    for name, value in response.headers.items():
        lowered = name.lower()
        if lowered in BY_NAME_ONLY:
            seen.append(lowered)
        elif lowered == "set-cookie":
            cookie, _, attributes = value.partition(";")
            name, _, content = cookie.partition("=")
            seen.append(f"set-cookie: {name}={'…' if content else ''};{attributes}")
        elif lowered == "location":
            seen.append(f"location: {value.split('?', 1)[0]}")
        else:
            seen.append(f"{lowered}: {value}")
    return sorted(seen)


def record(app) -> dict:
    found = {}
    for kind, options in KINDS.items():
        for url in URLS:
            client = app.test_client()
            response = client.get(url, **options)
            found[f"{kind} {url}"] = [f"status: {response.status_code}", *header_set(response)]
            response.close()
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_kind_of_response_keeps_its_full_header_set(database_url):
    """As in production: not in debug mode (which leaves HSTS out)."""
    found = record(create_app({**base_config(database_url), "DEBUG": False}))
    if os.environ.get("CLINIC_RECORD_HEADERS") == "1":
        SNAPSHOT.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert found.keys() == expected.keys()
    for what, headers in found.items():
        assert headers == expected[what], what
