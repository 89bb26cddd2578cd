"""The lean request pipeline: an anonymous page or a static file opens no database connection, loads no
user and writes no cookie; forms keep their CSRF token; static files asked for by hash are kept a year."""

import hashlib
import re
from pathlib import Path

import pytest

from clinic.pipeline import LONG_CACHE

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = "/learn/what-is-ketamine-therapy"
STATIC_REF = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]+)"')


def cookies_set(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


@pytest.mark.parametrize("path", [ARTICLE, "/learn/", "/static/css/app.css"])
def test_an_anonymous_page_sends_no_sql_and_sets_no_cookie(client, queries, path):
    client.get(path).close()  # the layout's clinic details are kept by the worker for a few seconds
    with queries() as statements:
        response = client.get(path)
        response.get_data()
    assert response.status_code == 200
    assert statements == []
    assert cookies_set(response) == []
    response.close()


def test_a_signed_in_user_reading_an_article_is_not_loaded(client, queries, make_staff, login):
    make_staff(email="nurse@clinic.example", name="Nora Nurse", two_factor=True)
    assert login(client, "nurse@clinic.example").status_code in (302, 303)
    assert client.get("/staff/").status_code == 200  # signed in, through the forms and their CSRF tokens
    client.get(ARTICLE)
    with queries() as statements:
        response = client.get(ARTICLE)
    assert response.status_code == 200
    assert statements == []
    with queries() as statements:
        response = client.get("/static/css/app.css")
    assert statements == [] and cookies_set(response) == []
    response.close()
    assert client.get("/staff/").status_code == 200  # the session is still whole


def test_a_form_page_still_gives_a_working_csrf_token(client):
    page = client.get("/staff/login")
    assert any(c.startswith("clinic_session=") for c in cookies_set(page))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    refused = client.post("/staff/login", data={"email": "a@b.example", "password": "wrong password here"})
    assert refused.status_code == 400  # no token: the CSRF check
    answered = client.post(
        "/staff/login",
        data={"csrf_token": token.group(1), "email": "a@b.example", "password": "wrong password here"},
    )
    assert answered.status_code != 400
    assert "did not match" in answered.get_data(as_text=True) or answered.status_code in (200, 401, 422)


def test_pages_name_static_files_by_their_content_hash(client):
    html = client.get(ARTICLE).get_data(as_text=True)
    found = STATIC_REF.findall(html)
    assert {path for path, _ in found} >= {"/static/css/app.css", "/static/img/favicon.svg"}
    assert "url_for('static'" not in "".join(p.read_text() for p in (ROOT / "templates").rglob("*.html"))
    for path, digest in found:
        content = (ROOT / path.lstrip("/")).read_bytes()
        assert hashlib.sha256(content).hexdigest().startswith(digest)
        response = client.get(f"{path}?v={digest}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == LONG_CACHE
        response.close()


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_a_static_file_not_asked_for_by_its_hash_is_revalidated(client, query):
    response = client.get(f"/static/css/app.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    response.close()


def test_pages_are_still_never_cached(client):
    assert client.get(ARTICLE).headers["Cache-Control"] == "no-store"
