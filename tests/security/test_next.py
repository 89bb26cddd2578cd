"""No `next` leads off-site: after sign-in, only a local path is followed; anything else lands on /staff/."""

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.conftest import csrf_token_from
from tests.fixtures_auth import DEFAULT_PASSWORD

OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "https://evil.example/",
    "http://evil.example/staff/",
    "https:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/staff/@evil.example",
    "http://localhost@evil.example/",
    "/\x00//evil.example",
]


def is_local(location: str) -> bool:
    """What a browser would stay on-site for: a path starting with one slash, no scheme, no host."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return False
    cleaned = "".join(ch for ch in location if ch > " ")  # browsers drop tabs, newlines and controls
    return cleaned.startswith("/") and not cleaned.startswith(("//", "/\\")) and "\\" not in cleaned[:2]


def sign_in(client, email: str, next_url: str):
    page = client.get("/staff/login", query_string={"next": next_url})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    action = BeautifulSoup(html, "html.parser").find("form", attrs={"method": "post"})["action"]
    for kept in parse_qs(urlsplit(action).query).get("next", []):
        assert is_local(kept), f"the form keeps an off-site next: {kept!r}"
    token = csrf_token_from(html)
    return client.post(
        "/staff/login",
        query_string={"next": next_url},
        data={"csrf_token": token, "email": email, "password": DEFAULT_PASSWORD},
    )


@pytest.fixture
def staff_email(make_staff) -> str:
    make_staff(email="next.tester@clinic.example")
    return "next.tester@clinic.example"


def test_the_checker_itself():
    assert is_local("/staff/requests/3")
    assert not is_local("//evil.example/") and not is_local("/\\evil.example") and not is_local("https://x/")


def test_no_next_leads_off_site(app, staff_email):
    failures = []
    for i, next_url in enumerate(OFF_SITE):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.7.{i // 200}.{i % 200 + 1}"  # within the per-client limit
        response = sign_in(client, staff_email, next_url)
        location = response.headers.get("Location", "")
        if response.status_code not in {302, 303} or not is_local(location):
            failures.append(f"next={next_url!r} -> {response.status_code} {location!r}")
    assert not failures, "\n".join(failures)


def test_off_site_next_lands_on_the_queue(client, staff_email):
    response = sign_in(client, staff_email, "https://evil.example/")
    assert urlsplit(response.headers["Location"]).path == "/staff/"


def test_a_local_next_is_followed(client, staff_email):
    response = sign_in(client, staff_email, "/staff/schedule?view=week")
    assert response.status_code in {302, 303}
    location = urlsplit(response.headers["Location"])
    assert (location.path, location.query) == ("/staff/schedule", "view=week")


def test_the_login_redirect_carries_a_local_next(client):
    response = client.get("/staff/requests/1")
    assert response.status_code in {302, 303}
    assert is_local(response.headers["Location"])
