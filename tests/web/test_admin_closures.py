"""/admin/closures: add (validation, confirmation), list, delete; /book and the API see them at once."""

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Closure
from tests.conftest import csrf_token_from
from tests.services.helpers import at, booking_flag

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
FRIDAY = date(2026, 11, 27)


def closure_form(**changes) -> dict:
    data = {
        "start_date": "2026-11-27",
        "end_date": "2026-11-27",
        "start_time": "",
        "end_time": "",
        "reason": "Public holiday",
    }
    return data | changes


@pytest.fixture
def post_closure(admin):
    def post(**changes):
        token = csrf_token_from(admin.get("/admin/closures").get_data(as_text=True))
        return admin.post("/admin/closures", data={"csrf_token": token, **closure_form(**changes)})

    return post


def stored(app) -> list[tuple]:
    with app.app_context():
        return [
            (c.start_date, c.end_date, c.start_time, c.end_time, c.reason)
            for c in db.session.scalars(select(Closure).order_by(Closure.id))
        ]


def day_section(html: str, day: str) -> str:
    """One day's part of the /book page."""
    return html.split(f'id="day-{day}"', 1)[1].split("</section>", 1)[0]


def offers(html: str, day: str, hhmm: str) -> bool:
    """Whether the page links to the slot starting at `hhmm` on `day` (as the picker writes the link)."""
    hour, minute = hhmm.split(":")
    return re.search(rf"slot={day}T{hour}(:|%3A){minute}", html) is not None


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return match.group(1)


def test_whole_day_closure_is_stored_audited_and_shown_on_book_and_api(app, post_closure, admin):
    response = post_closure(reason="Thanksgiving", start_date="2026-11-26", end_date="2026-11-26")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/closures"
    assert stored(app) == [(date(2026, 11, 26), date(2026, 11, 26), None, None, "Thanksgiving")]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.record_type) == ("admin.closure_add", "closure")
        assert event.details["after"]["reason"] == "Thanksgiving"
    page = admin.get("/admin/closures").get_data(as_text=True)
    assert "Closure added." in page and "Thanksgiving" in page
    thursday = day_section(admin.get("/book?week=2026-11-23").get_data(as_text=True), "2026-11-26")
    assert "Thanksgiving" in thursday and "slot=" not in thursday
    api = admin.get("/api/v1/availability?start=2026-11-26&days=1").get_json()
    assert api["days"][0]["open"] is False
    assert api["days"][0]["closure"] == "Thanksgiving"
    assert api["days"][0]["slots"] == []


def test_part_day_closure_removes_those_slots_at_once(app, post_closure, admin):
    assert post_closure(start_time="12:00", end_time="14:00", reason="Staff training").status_code == 303
    api = admin.get("/api/v1/availability?start=2026-11-27&days=1").get_json()
    starts = [slot["start"][11:16] for slot in api["days"][0]["slots"]]
    assert "11:30" in starts and "14:00" in starts
    assert not {"12:00", "12:30", "13:00", "13:30"} & set(starts)
    friday = day_section(admin.get("/book?week=2026-11-23").get_data(as_text=True), "2026-11-27")
    assert "Staff training" in friday
    assert offers(friday, "2026-11-27", "11:30") and offers(friday, "2026-11-27", "14:00")
    assert not any(offers(friday, "2026-11-27", t) for t in ("12:00", "12:30", "13:00", "13:30"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_date": ""}, "start_date", "first closed day"),
        ({"end_date": "27/11/2026"}, "end_date", "YYYY-MM-DD"),
        ({"end_date": "2026-11-26"}, "end_date", "on or after the first day"),
        ({"start_date": "2026-11-01", "end_date": "2026-11-02"}, "end_date", "already over"),
        ({"end_date": "2027-12-31"}, "end_date", "at most a year"),
        ({"start_time": "12:00"}, "end_time", "both a start and an end"),
        ({"end_time": "12:00"}, "start_time", "both a start and an end"),
        ({"start_time": "14:00", "end_time": "12:00"}, "end_time", "after the start time"),
        ({"start_time": "noon", "end_time": "14:00"}, "start_time", "HH:MM"),
        ({"reason": ""}, "reason", "Give a reason"),
        ({"reason": "x" * 201}, "reason", "under 200"),
    ],
)
def test_bad_closures_show_the_error_beside_the_field_and_keep_values(
    app, post_closure, changes, field, message
):
    response = post_closure(**changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_beside(html, field)
    for value in changes.values():
        if value:
            assert f'value="{value}"' in html
    assert stored(app) == []


def test_bookings_inside_a_closure_are_listed_then_flagged_on_confirm(app, post_closure, admin, add_booking):
    inside = add_booking(at(FRIDAY, 12, 30))
    later = add_booking(at(FRIDAY, 15))
    response = post_closure(start_time="12:00", end_time="14:00", reason="Staff training")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "1 booking would fall outside the offered times" in html
    assert "Fri Nov 27, 2026 at 12:30" in html
    assert "Canary Patient" in html and "Routine" in html  # whose booking it is, to call them
    assert re.search(r'name="confirm"[^>]*value="yes"|value="yes"[^>]*name="confirm"', html)
    assert 'value="Staff training"' in html and 'value="12:00"' in html
    assert stored(app) == []

    confirmed = admin.post(
        "/admin/closures",
        data={
            "csrf_token": csrf_token_from(html),
            "confirm": "yes",
            **closure_form(start_time="12:00", end_time="14:00", reason="Staff training"),
        },
    )
    assert confirmed.status_code == 303
    assert stored(app) == [(FRIDAY, FRIDAY, time(12), time(14), "Staff training")]
    flagged_at, reason = booking_flag(app, inside)
    assert flagged_at == NOW and reason == "Inside the closure added on 2026-11-21: Staff training"
    assert booking_flag(app, later) == (None, None)


def test_delete_is_a_csrf_post_audited_and_reopens_the_day(app, post_closure, admin):
    post_closure(reason="Thanksgiving", start_date="2026-11-26", end_date="2026-11-26")
    with app.app_context():
        closure_id = db.session.scalars(select(Closure.id)).one()
    page = admin.get("/admin/closures").get_data(as_text=True)
    assert f'action="/admin/closures/{closure_id}/delete"' in page
    assert admin.get(f"/admin/closures/{closure_id}/delete").status_code == 405
    assert admin.post(f"/admin/closures/{closure_id}/delete").status_code == 400  # no CSRF token
    assert len(stored(app)) == 1
    response = admin.post(f"/admin/closures/{closure_id}/delete", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    assert stored(app) == []
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "admin.closure_delete")
        ).one()
        assert event.record_id == closure_id and event.details["before"]["reason"] == "Thanksgiving"
    api = admin.get("/api/v1/availability?start=2026-11-26&days=1").get_json()
    assert api["days"][0]["open"] is True and len(api["days"][0]["slots"]) == 19
    assert (
        admin.post("/admin/closures/999/delete", data={"csrf_token": csrf_token_from(page)}).status_code
        == 404
    )


def test_upcoming_and_past_closures_are_listed_apart(app, admin):
    with app.app_context():
        db.session.add_all(
            [
                Closure(start_date=date(2026, 10, 12), end_date=date(2026, 10, 12), reason="Old holiday"),
                Closure(start_date=date(2026, 12, 24), end_date=date(2026, 12, 26), reason="Winter break"),
            ]
        )
        db.session.commit()
    html = admin.get("/admin/closures").get_data(as_text=True)
    upcoming, past = html.split('id="past-heading"')
    assert "Winter break" in upcoming and "Old holiday" not in upcoming
    assert "Old holiday" in past
    assert "Thu Dec 24, 2026" in upcoming and "Sat Dec 26, 2026" in upcoming
