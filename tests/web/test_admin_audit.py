"""/admin/audit: newest first, actors by email, filters kept in the URL, 50 a page, fixed queries a page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.triage.enums import Role

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York


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
    assert "system" in first and "admin.settings" in first and "Changed the settings" in first
    assert '<a href="/admin/settings">Clinic settings #1</a>' in first  # the record, linked
    assert "capacity: 1 → 3" in first
    assert "nurse@clinic.example" in second and '<a href="/staff/requests/42">Request #42</a>' in second
    assert "Sam Rivera" in second and "Viewed the request" in second  # the actor by name, the action in words
    assert "2026-11-20 10:00:00" in second
    assert "patient" in third and '<a href="/staff/requests/7">' in third
    assert "3 events" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=nurse@clinic.example", ["request.view"]),
        ("actor=NURSE@clinic.example", ["request.view"]),
        ("actor=system", ["admin.settings"]),
        ("actor=patient", ["patient.cancel"]),
        ("action=admin.", ["admin.settings"]),
        ("action=request.view", ["request.view"]),
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
    assert '<a href="/clinic/staff/requests/42">Request #42</a>' in row  # no such request here: its id
    assert 'action="/clinic/admin/audit"' in html  # the page itself resolves under the prefix


def test_actions_are_chosen_from_the_known_ones(admin):
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert re.search(r'<select[^>]* name="action"', html) and 'name="action" type="text"' not in html
    for value in ("request.view", "booking.new_time_requested", "admin.closure_add", "auth.", "admin."):
        assert f'value="{value}"' in html
    assert '<optgroup label="Admin changes">' in html
    response = admin.get("/admin/audit?action=drop.table")
    assert response.status_code == 422 and 'id="action-error"' in response.get_data(as_text=True)


def test_records_are_linked_and_requests_named_by_reference(app, admin, add_events, add_request, make_staff):
    request_id = add_request()
    nurse = make_staff(email="linked@clinic.example")
    with app.app_context():
        from clinic.models import ConsultationRequest

        reference = db.session.get(ConsultationRequest, request_id).reference
    add_events(
        {"action": "request.status", "actor_id": nurse, "record_type": "request", "record_id": request_id},
        {"action": "admin.staff_role", "record_type": "staff_user", "record_id": nurse},
        {"action": "admin.closure_add", "record_type": "closure", "record_id": 3},
        {
            "action": "request.assign",
            "actor_id": nurse,
            "record_type": "request",
            "record_id": request_id,
            "details": {"from": None, "to": nurse},
        },
    )
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert f'<a href="/staff/requests/{request_id}">Request {reference}</a>' in html
    assert f'<a href="/admin/staff/{nurse}">Staff user #{nurse}</a>' in html
    assert '<a href="/admin/closures">Closure #3</a>' in html
    assert "Assigned to Sam Rivera" in html  # assignments name the staff member


def test_views_are_folded_into_one_line_per_visit(app, admin, add_request, make_staff, login_as, clock):
    """A nurse opens a request, changes it (each change reloads the page, another view), and comes back an
    hour later: two visits, two view lines, and every view still in the log."""
    request_id = add_request()
    staff_client = app.test_client()
    login_as(staff_client, make_staff(email="viewer@clinic.example"))
    for minutes in (0, 2, 5, 65, 66):
        clock.set(NOW + timedelta(minutes=minutes))
        staff_client.get(f"/staff/requests/{request_id}")
    with app.app_context():
        views = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request.view").order_by(AuditEvent.at)
        ).all()
        assert [v.is_repeat_view for v in views] == [False, True, True, False, True]
    html = admin.get("/admin/audit?action=request.view").get_data(as_text=True)
    lines = rows(html)
    assert len(lines) == 2
    assert "Viewed the request (2 views until 10:06)" in lines[0]  # New York time
    assert "Viewed the request (3 views until 09:05)" in lines[1]
    assert "2 events" in html
    every = admin.get("/admin/audit?action=request.view&views=y").get_data(as_text=True)
    assert len(rows(every)) == 5
    detail = staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    history = detail.split('id="history-heading"', 1)[1]
    assert history.count("Viewed the request") == 2  # the request's history folds them the same way
