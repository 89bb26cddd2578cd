"""Friendly error pages: the right code, the crisis line, no stack trace, and a 503 (never a 500) when
the database is down."""

import socket

import pytest
from bs4 import BeautifulSoup

from clinic import create_app
from tests.conftest import base_config


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_friendly(response, code: int, heading: str) -> BeautifulSoup:
    assert response.status_code == code
    assert response.mimetype == "text/html"
    page = soup(response)
    assert heading in page.find("h1").get_text()
    assert f"Error {code}" in page.find(class_="error-code").get_text()
    crisis = page.find("footer").find(class_="crisis-line").get_text(" ")
    assert "911" in crisis and "988" in crisis
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body and "Werkzeug" not in body
    assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    return page


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/learn/no-such-article", "/static/nope.css", "/learn/a/b"]
)
def test_unknown_path_is_a_friendly_404(client, path):
    page = assert_friendly(client.get(path), 404, "We couldn't find that page")
    assert page.find("main").find("a", href="/")
    assert page.find("main").find("a", href="/learn/")


def test_404_page_offers_the_clinic_phone(client):
    page = assert_friendly(client.get("/nowhere"), 404, "We couldn't find that page")
    assert page.find("main").find("a", href="tel:2125550142")


def test_bad_week_is_a_friendly_400_that_says_what_to_fix(client):
    page = assert_friendly(
        client.get("/book?week=next-tuesday"), 400, "Something in that request was not right"
    )
    assert "YYYY-MM-DD" in page.find("main").get_text()


def test_wrong_method_is_a_friendly_405(client):
    response = client.post("/contact")
    # CSRF runs first on a POST without a token: either way the visitor gets a friendly page, not a trace.
    assert response.status_code in {400, 405}
    assert_friendly(response, response.status_code, "")


def test_unexpected_exception_is_a_friendly_500(app, client):
    def explode():
        raise RuntimeError("secret internals: patient 42")

    app.add_url_rule("/boom-for-test", "boom_for_test", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    page = assert_friendly(response, 500, "Something went wrong on our side")
    assert "secret internals" not in response.get_data(as_text=True)
    assert page.find("main").find("a", href="/")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free now, and nothing listens on it once the probe closes


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_app(request, tmp_path):
    """An app whose database cannot be reached: a PostgreSQL port with no server, or a SQLite file in a
    directory that does not exist."""
    if request.param == "postgresql":
        uri = f"postgresql://postgres@127.0.0.1:{_closed_port()}/clinic?connect_timeout=2"
    else:
        uri = f"sqlite:///{tmp_path / 'missing-dir' / 'clinic.db'}"
    return create_app(base_config(uri))


def test_healthz_says_database_unavailable(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json()["database"] == "unavailable"
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("path", ["/", "/contact", "/book", "/learn/faq"])
def test_pages_need_the_database_give_a_friendly_503(unreachable_app, path):
    response = unreachable_app.test_client().get(path)
    if path == "/learn/faq":
        # The articles ship with the code: they stay readable while the database is down.
        assert response.status_code == 200
        assert "Frequently asked questions" in soup(response).find("h1").get_text()
        return
    page = assert_friendly(response, 503, "We are briefly unavailable")
    assert response.headers["Retry-After"]
    assert page.find("a", class_="skip-link")


def test_api_gives_json_503_when_the_database_is_down(unreachable_app):
    response = unreachable_app.test_client().get("/api/v1/availability")
    assert response.status_code == 503
    assert response.is_json and "error" in response.get_json()
