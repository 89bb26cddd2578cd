"""Security headers on every response: every GET route of `app.url_map`, errors, static files and JSON."""

from pathlib import Path

import pytest

from tests.security.routes import get_routes, post_routes

STATIC = Path(__file__).resolve().parents[2] / "static"
REQUIRED_CSP = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def parse_csp(value: str) -> dict[str, list[str]]:
    policy = {}
    for directive in filter(None, (part.strip() for part in value.split(";"))):
        name, *sources = directive.split()
        policy[name.lower()] = sources
    return policy


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    policy = parse_csp(csp)
    for directive, source in REQUIRED_CSP.items():
        assert policy.get(directive) == [source], (
            f"{what}: CSP {directive} is {policy.get(directive)}, not {source}"
        )
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (
        f"{what}: inline script allowed"
    )
    assert not any(s.startswith(("http:", "https:", "*")) or s == "*" for s in scripts), (
        f"{what}: remote script"
    )
    assert headers.get("X-Content-Type-Options") == "nosniff", f"{what}: no X-Content-Type-Options: nosniff"
    assert headers.get("Referrer-Policy") in {
        "same-origin",
        "no-referrer",
        "strict-origin-when-cross-origin",
        "strict-origin",
    }, f"{what}: Referrer-Policy {headers.get('Referrer-Policy')}"
    assert headers.get("X-Frame-Options") == "DENY", f"{what}: X-Frame-Options"


def test_every_get_route_carries_the_headers(app, client):
    checked = 0
    for route in get_routes(app):
        response = client.get(route.url)
        assert response.status_code != 500, f"{route.rule} ({route.url}) gave 500"
        assert_security_headers(response, f"GET {route.url} ({response.status_code})")
        checked += 1
    assert checked >= 5


def test_every_post_route_carries_the_headers_when_refused(app, client):
    for route in post_routes(app):
        response = client.post(route.url, data={})
        assert_security_headers(response, f"POST {route.url} ({response.status_code})")


def test_pages_that_may_show_data_are_not_cached(client):
    for url in ("/", "/book", "/staff/login", "/nowhere"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url


@pytest.mark.parametrize("url", ["/no-such-page", "/learn/no-such-article", "/static/no-such-file.css"])
def test_not_found_pages_carry_the_headers(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert_security_headers(response, f"404 {url}")
    assert "Traceback" not in response.get_data(as_text=True)


def test_method_not_allowed_carries_the_headers(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert_security_headers(response, "405")


def test_server_error_carries_the_headers_and_no_trace(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/__boom")
    assert response.status_code == 500
    assert_security_headers(response, "500")
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_static_files_carry_the_headers(client):
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert files, "no static files to check"
    for path in files[:10]:
        url = "/static/" + path.relative_to(STATIC).as_posix()
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
        response.close()


def test_json_api_and_health_carry_the_headers(client):
    for url in ("/api/v1/availability", "/api/v1/availability?days=bad", "/healthz"):
        response = client.get(url)
        assert response.is_json, url
        assert_security_headers(response, url)


def test_oversized_request_is_refused_with_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 1024 * 1024
    response = client.post("/consultation", data={"notes": "x" * (limit + 1)})
    assert response.status_code == 413
    assert_security_headers(response, "413")


def test_session_cookie_is_httponly_and_lax(client):
    response = client.get("/staff/login")
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("clinic_session=")]
    assert cookies, "the login page sets no session cookie (CSRF token)"
    for cookie in cookies:
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered, cookie
