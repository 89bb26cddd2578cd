"""/admin/audit: newest first, actors by email, filters kept in the URL, 50 a page, fixed queries a page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.triage.enums import Role
from tests.services.test_admin_services import NOW, at_fixed_time


@pytest.fixture
def admin(admin_client, clock):
    return at_fixed_time(admin_client, clock)


@pytest.fixture
def add_events(app):
    def add(*events: dict) -> None:
        with app.app_context():
            db.session.add_all(AuditEvent(**event) for event in events)
            db.session.commit()

    return add


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_events_newest_first_with_time_actor_action_record_and_details(app, admin, make_staff, add_events):
    nurse = make_staff(email="nurse@clinic.example")
    add_events(
        {
            "at": datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
            "action": "request.view",
            "actor_id": nurse,
            "record_type": "request",
            "record_id": 42,
        },
        {
            "at": datetime(2026, 11, 21, 13, 0, tzinfo=UTC),
            "action": "admin.settings",
            "actor_id": None,
            "record_type": "clinic_settings",
            "record_id": 1,
            "details": {"before": {"capacity": 1}, "after": {"capacity": 3}},
        },
        {
            "at": datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
            "action": "patient.cancel",
            "actor_id": None,
            "record_type": "request",
            "record_id": 7,
        },
    )
    html = admin.get("/admin/audit").get_data(as_text=True)
    first, second, third = rows(html)
    assert "2026-11-21 08:00:00" in first  # clinic time (New York)
    assert "system" in first and "admin.settings" in first and "clinic settings #1" in first
    assert "capacity: 1 → 3" in first
    assert "nurse@clinic.example" in second and '<a href="/staff/requests/42">Request #42</a>' in second
    assert "2026-11-20 10:00:00" in second
    assert "patient" in third and '<a href="/staff/requests/7">' in third
    assert "3 events" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=nurse@clinic.example", ["request.view"]),
        ("actor=NURSE@clinic.example", ["request.view"]),
        ("actor=system", ["admin.settings", "patient.cancel"]),
        ("action=admin.", ["admin.settings"]),
        ("action=request.view", ["request.view"]),
        ("action=100%", []),
        ("from=2026-11-20", ["admin.settings", "request.view"]),
        ("to=2026-11-20", ["request.view", "patient.cancel"]),
        ("from=2026-11-20&to=2026-11-20", ["request.view"]),
        ("actor=nobody@clinic.example", []),
    ],
)
def test_filters(app, admin, make_staff, add_events, query, expected):
    nurse = make_staff(email="nurse@clinic.example")
    add_events(
        {"at": datetime(2026, 11, 20, 15, 0, tzinfo=UTC), "action": "request.view", "actor_id": nurse},
        {"at": datetime(2026, 11, 21, 13, 0, tzinfo=UTC), "action": "admin.settings"},
        # 00:30 UTC on the 20th is still the 19th in New York
        {"at": datetime(2026, 11, 20, 0, 30, tzinfo=UTC), "action": "patient.cancel"},
    )
    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = re.findall(r"<code>([^<]+)</code>", html)
    assert found == expected
    value = query.split("&")[0].partition("=")[2]
    assert f'value="{value}"' in html  # the filter stays in the form


def test_filter_by_actor_id(app, admin, make_staff, add_events):
    nurse = make_staff(email="nurse@clinic.example")
    add_events({"action": "request.view", "actor_id": nurse}, {"action": "admin.hours"})
    html = admin.get(f"/admin/audit?actor={nurse}").get_data(as_text=True)
    assert re.findall(r"<code>([^<]+)</code>", html) == ["request.view"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=yesterday&actor=someone", "from", "Write the date as YYYY-MM-DD."),
        ("to=2026-13-01&actor=someone", "to", "Write the date as YYYY-MM-DD."),
        (
            "from=2026-11-20&to=2026-11-19&actor=someone",
            "to",
            "The end date must be on or after the start date.",
        ),
    ],
)
def test_bad_date_filter_shows_the_error_beside_the_field(admin, query, field, message):
    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">{message}</p>' in html
    assert 'value="someone"' in html
    for part in query.split("&"):
        assert f'value="{part.partition("=")[2]}"' in html


def test_pages_of_50_with_filters_kept_in_the_links(app, admin, add_events):
    add_events(
        *[
            {
                "at": NOW - timedelta(minutes=i),
                "action": "admin.hours" if i % 2 else "auth.login",
                "record_type": "opening_hours",
                "record_id": i,
            }
            for i in range(240)
        ]
    )
    first = admin.get("/admin/audit?action=admin.").get_data(as_text=True)
    assert len(rows(first)) == 50
    assert "120 events, page 1 of 3" in first
    assert re.search(
        r'href="/admin/audit\?page=2&amp;action=admin\.?"|href="/admin/audit\?action=admin\.&amp;page=2"',
        first,
    )
    last = admin.get("/admin/audit?action=admin.&page=3").get_data(as_text=True)
    assert len(rows(last)) == 20
    assert "#239" in last and "#1<" not in last
    beyond = admin.get("/admin/audit?action=admin.&page=9")
    assert beyond.status_code == 200 and "No events match" in beyond.get_data(as_text=True)


def test_a_page_costs_the_same_number_of_queries_however_many_actors(app, admin, add_events, queries):
    def actors(count: int) -> list[int]:
        with app.app_context():
            users = [
                StaffUser(
                    email=f"user{i}-{count}@clinic.example",
                    name="Staff",
                    role=Role.STAFF,
                    password_hash="unused",
                )
                for i in range(count)
            ]
            db.session.add_all(users)
            db.session.commit()
            return [user.id for user in users]

    add_events(*[{"action": "request.view", "actor_id": actor} for actor in actors(3)])
    with queries() as few:
        admin.get("/admin/audit")
    add_events(*[{"action": "request.view", "actor_id": actor} for actor in actors(60)])
    with queries() as many:
        html = admin.get("/admin/audit?page=1").get_data(as_text=True)
    assert len(rows(html)) == 50
    assert len({re.search(r"user\d+-\d+@clinic.example", row).group(0) for row in rows(html)}) == 50
    assert len(many) == len(few)
    assert len(many) <= 6


def test_no_route_edits_or_deletes_events(app, admin, add_events):
    add_events({"action": "admin.hours"})
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', admin.get("/admin/hours").get_data(as_text=True)
    )
    for method in ("post", "put", "patch", "delete"):
        assert getattr(admin, method)("/admin/audit", data={"csrf_token": token.group(1)}).status_code == 405
    assert admin.post("/admin/audit/1/delete", data={"csrf_token": token.group(1)}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_links_to_requests_follow_the_app_under_a_path_prefix(app, admin, add_events):
    """Behind a proxy that mounts the app at /clinic, the record links must carry the prefix too."""
    add_events({"action": "request.view", "record_type": "request", "record_id": 42})
    html = admin.get("/admin/audit", base_url="http://localhost/clinic").get_data(as_text=True)
    (row,) = rows(html)
    assert '<a href="/clinic/staff/requests/42">Request #42</a>' in row
    assert 'action="/clinic/admin/audit"' in html  # the page itself resolves under the prefix
