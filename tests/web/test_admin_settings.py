"""/admin/settings, and the acceptance scenario of issue 5 through the admin pages, /book and the API."""

import re
from datetime import UTC, date, datetime
from html import unescape as html_unescape

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ClinicSettings
from tests.conftest import csrf_token_from
from tests.services.helpers import at, booking_flag
from tests.web.test_admin_closures import closure_form, day_section, offers
from tests.web.test_admin_hours import week_form

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)

DEFAULTS = {
    "slot_minutes": "30",
    "capacity": "1",
    "min_notice_hours": "2",
    "horizon_days": "60",
    "timezone": "America/New_York",
    "name": "Northfield Clinic",
    "phone": "(212) 555-0142",
    "email": "care@northfield-clinic.example",
    "address": "120 Harbor Street, Suite 300, New York, NY 10001",
}


def post(client, path: str, data: dict):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def post_settings(admin):
    # The form as shown: the two-factor requirement is ticked, as it is by default.
    return lambda **changes: post(admin, "/admin/settings", DEFAULTS | {"require_two_factor": "y"} | changes)


def stored(app) -> dict:
    with app.app_context():
        row = db.session.get(ClinicSettings, 1)
        return {name: str(getattr(row, name)) for name in DEFAULTS}


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return html_unescape(match.group(1))


def monday_slots(client, day: str = "2026-11-23") -> list[dict]:
    body = client.get(f"/api/v1/availability?start={day}&days=1").get_json()
    return body["days"][0]["slots"]


def test_get_shows_current_values_and_timezone_suggestions(admin):
    html = admin.get("/admin/settings").get_data(as_text=True)
    for name, value in DEFAULTS.items():
        assert f'name="{name}"' in html
        assert value in html
    assert re.search(r'<select[^>]* name="timezone"', html)  # a select of IANA zones, not free text
    assert '<optgroup label="Europe">' in html and '<option value="Europe/London">London</option>' in html
    assert '<option selected value="America/New_York">New York</option>' in html


def test_save_updates_audits_and_every_page_reads_it(app, post_settings, admin):
    response = post_settings(capacity="3", name="Harbor Clinic", timezone=" America/New_York ")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/settings"
    assert stored(app) == DEFAULTS | {"capacity": "3", "name": "Harbor Clinic"}
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.record_type, event.record_id) == ("admin.settings", "clinic_settings", 1)
        assert event.details["before"] == {"name": "Northfield Clinic", "capacity": 1}
        assert event.details["after"] == {"name": "Harbor Clinic", "capacity": 3}
    assert {slot["remaining"] for slot in monday_slots(admin)} == {3}
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Settings saved." in page and "<title>Settings · Harbor Clinic</title>" in page


def test_unchanged_settings_are_not_audited(app, post_settings):
    assert post_settings().status_code == 303
    with app.app_context():
        assert db.session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slot_minutes", "9", "10 to 240"),
        ("slot_minutes", "241", "10 to 240"),
        ("slot_minutes", "half an hour", "integer"),
        ("slot_minutes", "", "slot length"),
        ("capacity", "0", "1 to 20"),
        ("capacity", "21", "1 to 20"),
        ("min_notice_hours", "-1", "0 to 168"),
        ("min_notice_hours", "169", "0 to 168"),
        ("horizon_days", "0", "1 to 365"),
        ("horizon_days", "366", "1 to 365"),
        ("timezone", "Mars/Olympus", "Choose a timezone"),
        ("timezone", "", "timezone"),
        ("name", "", "clinic's name"),
        ("phone", "", "phone"),
        ("email", "not-an-email", "valid email"),
        ("address", "", "address"),
    ],
)
def test_bad_settings_show_the_error_beside_the_field_and_keep_values(
    app, post_settings, field, value, message
):
    response = post_settings(**{field: value, "name": "Typed Name" if field != "name" else ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_beside(html, field)
    if value and field != "timezone":  # a select offers known zones only: a forged one is not echoed
        assert f'value="{value}"' in html or f">{value}<" in html
    if field != "name":
        assert 'value="Typed Name"' in html
    assert stored(app) == DEFAULTS


def test_every_bad_field_is_reported_at_once(app, post_settings):
    response = post_settings(slot_minutes="5", timezone="Mars/Olympus", email="nope")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "10 to 240" in error_beside(html, "slot_minutes")
    assert "Choose a timezone" in error_beside(html, "timezone")
    assert "valid email" in error_beside(html, "email")
    assert 'value="nope"' in html and "Mars/Olympus" not in html


def test_slot_length_must_fit_in_every_open_day(app, admin, post_settings):
    assert post(admin, "/admin/hours", week_form(wed_opens="09:00", wed_closes="10:00")).status_code == 303
    response = post_settings(slot_minutes="90")
    assert response.status_code == 422
    assert "Wednesday" in error_beside(response.get_data(as_text=True), "slot_minutes")
    assert stored(app)["slot_minutes"] == "30"


def test_slot_change_lists_off_grid_bookings_then_flags_them_keeping_their_instant(
    app, post_settings, admin, add_booking
):
    off_grid = add_booking(at(MONDAY, 8, 30))
    on_grid = add_booking(at(MONDAY, 8, 45))
    response = post_settings(slot_minutes="45")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "1 booking would fall outside the offered times" in html and "Mon Nov 23, 2026 at 08:30" in html
    assert re.search(r'name="confirm"[^>]*value="yes"|value="yes"[^>]*name="confirm"', html)
    assert 'value="45"' in html
    assert stored(app)["slot_minutes"] == "30"

    confirmed = admin.post(
        "/admin/settings",
        data={"csrf_token": csrf_token_from(html), "confirm": "yes", **DEFAULTS, "slot_minutes": "45"},
    )
    assert confirmed.status_code == 303
    assert stored(app)["slot_minutes"] == "45"
    flagged_at, reason = booking_flag(app, off_grid)
    assert flagged_at == NOW and reason == "Off the slot grid after the settings change of 2026-11-21"
    assert booking_flag(app, on_grid) == (None, None)
    with app.app_context():
        kept = db.session.get(Booking, off_grid)
        assert (kept.starts_at, kept.ends_at, kept.cancelled_at) == (
            at(MONDAY, 8, 30),
            at(MONDAY, 9),
            None,
        )


def test_timezone_change_keeps_each_booking_at_its_instant(app, post_settings, admin, add_booking):
    booking = add_booking(at(MONDAY, 10))  # 10:00 New York is 15:00 in London: still on the grid
    assert post_settings(timezone="Europe/London").status_code == 303  # nothing to confirm
    with app.app_context():
        assert db.session.get(Booking, booking).starts_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert booking_flag(app, booking) == (None, None)
    body = admin.get("/api/v1/availability?start=2026-11-23&days=1").get_json()
    assert body["timezone"] == "Europe/London"
    starts = [slot["start"] for slot in body["days"][0]["slots"]]
    assert starts[0] == "2026-11-23T08:00:00+00:00"
    assert "2026-11-23T15:00:00+00:00" not in starts  # the booking still holds its seat


def test_timezone_change_flags_bookings_that_leave_the_hours(app, post_settings, add_booking):
    early = add_booking(at(MONDAY, 8))  # 08:00 New York is 05:00 in Los Angeles: before opening
    response = post_settings(timezone="America/Los_Angeles")
    assert response.status_code == 409
    assert "Mon Nov 23, 2026 at 08:00" in response.get_data(as_text=True)  # listed in the current clinic time
    assert stored(app)["timezone"] == "America/New_York"
    assert post_settings(timezone="America/Los_Angeles", confirm="yes").status_code == 303
    assert booking_flag(app, early)[0] == NOW


def test_45_minute_slots_on_the_default_day_give_12_slots_the_last_at_16_15(app, post_settings, admin):
    assert post_settings(slot_minutes="45").status_code == 303
    slots = monday_slots(admin)
    assert len(slots) == 12
    assert slots[0]["start"] == "2026-11-23T08:00:00-05:00"
    assert slots[-1]["start"] == "2026-11-23T16:15:00-05:00"
    assert slots[-1]["end"] == "2026-11-23T17:00:00-05:00"
    body = admin.get("/api/v1/availability?start=2026-11-23&days=1").get_json()
    assert body["slot_minutes"] == 45


def test_acceptance_admin_changes_show_at_once_on_book_and_the_api(app, admin):
    """Issue 5, as a new admin would try it: Monday 09:00–12:00, Friday 12:00–14:00 closed, capacity 3."""
    assert post(admin, "/admin/hours", week_form(mon_opens="09:00", mon_closes="12:00")).status_code == 303
    closure = closure_form(start_time="12:00", end_time="14:00", reason="Staff training")
    assert post(admin, "/admin/closures", closure).status_code == 303
    assert post(admin, "/admin/settings", DEFAULTS | {"capacity": "3"}).status_code == 303

    body = admin.get("/api/v1/availability?start=2026-11-23&days=7").get_json()
    monday, friday = body["days"][0], body["days"][4]
    assert (monday["weekday"], monday["opens"], monday["closes"]) == ("Monday", "09:00", "12:00")
    assert [s["start"][11:16] for s in monday["slots"]] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert {s["remaining"] for s in monday["slots"]} == {3}
    friday_starts = [s["start"][11:16] for s in friday["slots"]]
    assert friday["date"] == "2026-11-27" and len(friday_starts) == 15
    assert friday_starts[:8] == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert friday_starts[8] == "14:00"
    assert {s["remaining"] for s in friday["slots"]} == {3}

    page = admin.get("/book?week=2026-11-23").get_data(as_text=True)
    monday_html, friday_html = day_section(page, "2026-11-23"), day_section(page, "2026-11-27")
    assert [t for t in ("08:30", "09:00", "11:30", "12:00") if offers(monday_html, "2026-11-23", t)] == [
        "09:00",
        "11:30",
    ]
    assert "Staff training" in friday_html
    assert offers(friday_html, "2026-11-27", "11:30") and offers(friday_html, "2026-11-27", "14:00")
    assert not any(offers(friday_html, "2026-11-27", t) for t in ("12:00", "12:30", "13:00", "13:30"))


ADMIN_PAGES = ["/admin/hours", "/admin/closures", "/admin/settings", "/admin/audit"]
ADMIN_POSTS = ["/admin/hours", "/admin/closures", "/admin/settings", "/admin/closures/1/delete"]


def test_staff_get_403_on_every_admin_page(app, staff_client, clock):
    staff = staff_client
    token = csrf_token_from(staff.get("/staff/").get_data(as_text=True))
    for path in ADMIN_PAGES:
        assert staff.get(path).status_code == 403, path
    for path in ADMIN_POSTS:
        data = {"csrf_token": token, **week_form(), **DEFAULTS, **closure_form(), "confirm": "yes"}
        assert staff.post(path, data=data).status_code == 403, path
    assert stored(app) == DEFAULTS
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("admin.%"))).all() == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_users_are_sent_to_login(client, path):
    assert client.get(path).headers["Location"].startswith("/staff/login")


def test_the_waitlist_offer_hold_is_a_setting(app, post_settings, admin):
    assert 'name="offer_minutes"' in admin.get("/admin/settings").get_data(as_text=True)
    assert post_settings(offer_minutes="45").status_code == 303
    with app.app_context():
        assert db.session.get(ClinicSettings, 1).offer_minutes == 45
    assert post_settings().status_code == 303  # a form without the field keeps the value
    with app.app_context():
        assert db.session.get(ClinicSettings, 1).offer_minutes == 45
    response = post_settings(offer_minutes="2")
    assert response.status_code == 422
    assert "5 to 1440" in error_beside(response.get_data(as_text=True), "offer_minutes")
