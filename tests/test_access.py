"""Every /staff and /admin endpoint, discovered from app.url_map, refuses anonymous users and every /admin
endpoint refuses staff. A route added tomorrow is covered without touching this file.

CSRF is off in this module: it tests access, not CSRF (tests/web/test_auth.py covers CSRF on sign-in).
"""

from urllib.parse import urlsplit

import pytest
from flask import Blueprint
from werkzeug.routing import Rule

from clinic import create_app
from clinic.extensions import db
from clinic.models import StaffUser
from tests.conftest import base_config

OPEN_ENDPOINTS = {"auth.login", "auth.verify"}  # the sign-in steps must stay reachable
SAMPLES = {
    "IntegerConverter": 1,
    "FloatConverter": 1.0,
    "UUIDConverter": "00000000-0000-0000-0000-000000000000",
}
METHODS_SKIPPED = {"HEAD", "OPTIONS"}  # answered by Flask for every rule from GET


@pytest.fixture
def app(database_url):
    app = create_app({**base_config(database_url), "WTF_CSRF_ENABLED": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def sample_url(rule: Rule) -> str:
    """The rule's path with each converter filled with a sample value (int -> 1, any(...) -> one of them)."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = SAMPLES.get(kind, "x")
    return rule.build(values, append_unknown=False)[1]


def guarded_routes(app, prefixes: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule under the prefixes, every method it accepts."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        if not any(rule.rule == prefix or rule.rule.startswith(prefix + "/") for prefix in prefixes):
            continue
        for method in sorted(rule.methods - METHODS_SKIPPED):
            routes.append((rule.endpoint, method, sample_url(rule)))
    return routes


def test_the_walk_finds_the_known_routes(app):
    found = {(endpoint, method) for endpoint, method, _ in guarded_routes(app, ("/staff", "/admin"))}
    assert {
        ("auth.logout", "POST"),
        ("admin.staff", "GET"),
        ("admin.staff", "POST"),
        ("admin.staff_deactivate", "POST"),
    } <= found
    assert not any(endpoint == "auth.login" for endpoint, _ in found)
    assert len(found) >= 8


def anonymous_leaks(app) -> list[tuple]:
    """The /staff and /admin routes that do not send an anonymous user to the sign-in page."""
    client = app.test_client()
    leaks = []
    for endpoint, method, url in guarded_routes(app, ("/staff", "/admin")):
        response = client.open(url, method=method)
        location = urlsplit(response.headers.get("Location", ""))
        redirected = response.status_code in (301, 302, 303, 307, 308) and location.path == "/staff/login"
        wants_next = method == "GET"  # a posted form cannot be replayed after sign-in: no next for it
        if not redirected or wants_next != ("next=" in location.query):
            leaks.append((endpoint, method, url, response.status_code, response.headers.get("Location")))
    return leaks


def test_every_staff_and_admin_endpoint_sends_anonymous_users_to_login(app):
    assert anonymous_leaks(app) == []


def test_the_walk_catches_a_route_added_without_the_guard(database_url):
    """The walk is only worth something if it fails: a blueprint under /staff without the guard is caught."""
    app = create_app({**base_config(database_url), "WTF_CSRF_ENABLED": False})
    leaky = Blueprint("leaky", __name__, url_prefix="/staff/leaky")
    leaky.add_url_rule("/<int:item>", "peek", lambda item: "open to anyone", methods=["GET", "POST"])
    app.register_blueprint(leaky)
    leaks = {(endpoint, method) for endpoint, method, *_ in anonymous_leaks(app)}
    assert leaks == {("leaky.peek", "GET"), ("leaky.peek", "POST")}
    with app.app_context():
        db.engine.dispose()


def test_every_admin_endpoint_refuses_staff_with_403(app, make_staff, login_as):
    client = app.test_client()
    login_as(client, make_staff(email="nurse@clinic.example"))
    wrong = []
    for endpoint, method, url in guarded_routes(app, ("/admin",)):
        response = client.open(url, method=method)
        if response.status_code != 403:
            wrong.append((endpoint, method, url, response.status_code))
    assert wrong == []


def test_staff_can_open_the_staff_area_but_not_admin(app, make_staff, login_as):
    client = app.test_client()
    login_as(client, make_staff(email="nurse@clinic.example"))
    assert urlsplit(client.get("/staff/login").headers["Location"]).path == "/staff/"
    assert client.get("/admin/staff").status_code == 403


def test_a_deactivated_user_is_treated_as_anonymous_everywhere(app, make_staff, login_as):
    client = app.test_client()
    user_id = make_staff(email="gone@clinic.example", role="admin")
    login_as(client, user_id)
    with app.app_context():
        db.session.get(StaffUser, user_id).is_active = False
        db.session.commit()
    for endpoint, method, url in guarded_routes(app, ("/admin",)):
        response = client.open(url, method=method)
        assert urlsplit(response.headers.get("Location", "")).path == "/staff/login", (endpoint, method)
