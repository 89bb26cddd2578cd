"""Every page a patient can see, rendered through the test client, as (name, visible text).

Shared by the content checks (originality, wording). The list is built from the app's own URL map where
it can be, so a new public page is checked without anyone remembering to add it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from clinic.errors import MESSAGES, render_error
from clinic.public import articles
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
SLOT = "2026-11-24T09:00:00-05:00"  # Tuesday 09:00, offered
# Public areas that are not pages for patients, or that need a signed-in user.
NOT_PATIENT_PAGES = ("/staff", "/admin", "/api/", "/static/", "/healthz")
INVISIBLE = ("script", "style", "template", "noscript")


def visible_text(html: str) -> str:
    """What a reader sees: the title and the body's text, without scripts, styles or hidden inputs."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(INVISIBLE):
        tag.decompose()
    title = soup.title.get_text(" ") if soup.title else ""
    body = soup.body or soup
    return " ".join(f"{title} {body.get_text(' ')}".split())


def simple_public_paths(app: Flask) -> list[str]:
    """Every argument-free GET page outside the staff, admin and API areas."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.rule.startswith(NOT_PATIENT_PAGES):
            continue
        paths.append(rule.rule)
    return sorted(paths)


def token_paths(app: Flask, token: str) -> list[str]:
    """The patient's own pages under /appointments/<token>, except the calendar file."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/appointments/<token>") and "GET" in rule.methods:
            if not rule.rule.endswith(".ics") and set(rule.arguments) == {"token"}:
                paths.append(rule.rule.replace("<token>", token))
    return sorted(paths)


def submit_intake(client: FlaskClient, **overrides) -> str:
    """Go through the intake form as a patient; return the manage page path."""
    page = client.get(f"/consultation?slot={SLOT}")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/consultation", data=intake_form_data(SLOT, token, **overrides))
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def rendered_pages(app: Flask, client: FlaskClient) -> Iterator[tuple[str, str]]:
    """(name, visible text) for every page a patient can reach, in each state that changes its words."""
    app.config["NOW_OVERRIDE"] = NOW
    for path in simple_public_paths(app):
        query = f"?slot={SLOT}" if path == "/consultation" else ""
        response = client.get(path + query)
        if response.status_code in (301, 302, 303, 308):
            continue
        assert response.status_code == 200, f"{path}: {response.status_code}"
        yield path + query, visible_text(response.get_data(as_text=True))
    for item in articles.all_articles():
        path = f"/learn/{item.slug}"
        response = client.get(path)
        assert response.status_code == 200, path
        yield path, visible_text(response.get_data(as_text=True))

    # The form sent back with every error shown.
    page = client.get(f"/consultation?slot={SLOT}")
    token = csrf_token_from(page.get_data(as_text=True))
    invalid = client.post("/consultation", data={"csrf_token": token, "slot": SLOT})
    assert invalid.status_code == 422
    yield "/consultation (every field missing)", visible_text(invalid.get_data(as_text=True))

    # The first page after submitting with item 9 above 0 (the crisis panel), then a later visit.
    manage = submit_intake(client, phq9_9="1")
    yield f"{manage} (just submitted, item 9 = 1)", visible_text(client.get(manage).get_data(as_text=True))
    token = manage.rsplit("/", 1)[-1]
    for path in token_paths(app, token):
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        yield path, visible_text(response.get_data(as_text=True))

    # Every error page, as the handler renders it.
    for code in sorted(MESSAGES):
        with app.test_request_context("/some/page"):
            body, status, _ = render_error(code)
        assert status == code
        yield f"error page {code}", visible_text(body)
    response = client.get("/learn/no-such-article")
    assert response.status_code == 404
    yield "/learn/no-such-article", visible_text(response.get_data(as_text=True))
