"""Every /staff and /admin endpoint in `app.url_map` sends anonymous users to the login page.

Roles (staff refused on /admin) are tested in tests/test_access.py; this file guards against a route
that forgets its area's login check, GET or POST, with a valid CSRF token so the guard itself is tested.
"""

from urllib.parse import urlsplit

from tests.conftest import csrf_token_from
from tests.security.routes import routes

OPEN = {"auth.login", "auth.logout"}  # the login page itself; logging out while anonymous is harmless


def guarded(app):
    found = [r for r in routes(app) if r.area in {"staff", "admin"} and r.endpoint not in OPEN]
    return sorted(found, key=lambda r: r.rule)


def assert_sent_to_login(response, what: str) -> None:
    assert response.status_code in {302, 303}, (
        f"{what}: {response.status_code}, not a redirect to the login page"
    )
    assert urlsplit(response.headers["Location"]).path == "/staff/login", (
        f"{what}: {response.headers['Location']}"
    )


def test_guarded_routes_exist(app):
    assert guarded(app), "no /staff or /admin route found"


def test_anonymous_get_is_sent_to_login(app, client):
    for route in guarded(app):
        if "GET" in route.methods:
            assert_sent_to_login(client.get(route.url), f"GET {route.url}")


def test_anonymous_post_with_valid_token_is_sent_to_login(app, client):
    token = csrf_token_from(client.get("/staff/login").get_data(as_text=True))
    for route in guarded(app):
        if "POST" in route.methods:
            response = client.post(route.url, data={"csrf_token": token, "body": "x", "status": "contacted"})
            assert_sent_to_login(response, f"POST {route.url}")
