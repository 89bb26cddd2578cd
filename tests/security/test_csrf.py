"""Every POST endpoint in `app.url_map` refuses a request without a valid CSRF token (400), signed in too."""

import pytest

from tests.conftest import csrf_token_from
from tests.security.routes import post_routes

# Read-only JSON lives under /api and takes no POST; nothing else may be exempt.
EXEMPT: set[str] = set()
CSRF_MESSAGE = "security token"


def assert_refused(response, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code}, not 400"
    assert CSRF_MESSAGE in response.get_data(as_text=True), f"{what}: refused, but not for its CSRF token"


def checked_routes(app, prefix: str | None = None):
    found = [r for r in post_routes(app) if r.endpoint not in EXEMPT]
    if prefix is not None:
        found = [r for r in found if r.rule.startswith(prefix)]
    return found


def test_there_are_post_endpoints_to_check(app):
    assert checked_routes(app), "no POST endpoint found in app.url_map"


def test_anonymous_post_without_token_is_refused(app, client):
    for route in checked_routes(app):
        assert_refused(client.post(route.url, data={"x": "1"}), f"anonymous POST {route.url}")


def test_anonymous_post_with_a_forged_token_is_refused(app, client):
    client.get("/staff/login")  # a session exists, so the token is checked against something
    for route in checked_routes(app):
        response = client.post(route.url, data={"csrf_token": "forged.token.value"})
        assert_refused(response, f"forged token POST {route.url}")


def test_token_from_another_session_is_refused(app, client):
    other = app.test_client()
    token = csrf_token_from(other.get("/staff/login").get_data(as_text=True))
    client.get("/staff/login")
    for route in checked_routes(app):
        assert_refused(client.post(route.url, data={"csrf_token": token}), f"foreign token POST {route.url}")


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_signed_in_post_without_token_is_refused(app, client, make_staff, login_as, role):
    login_as(client, make_staff(email=f"{role}-csrf@clinic.example", role=role))
    for route in checked_routes(app):
        assert_refused(
            client.post(route.url, data={"body": "hello", "status": "contacted"}), f"{role} POST {route.url}"
        )
