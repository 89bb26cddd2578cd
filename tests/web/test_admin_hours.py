"""/admin/hours: the week grid, its validation, the confirmation before bookings fall outside, the picture."""

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, OpeningHours
from tests.conftest import csrf_token_from
from tests.services.helpers import at, booking_flag

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week_form(**changes) -> dict:
    """The default week as the form posts it, with `changes` (e.g. mon_opens="09:00", sun_closed="y")."""
    data = {}
    for day in DAYS:
        if day == "sun":
            data.update({"sun_opens": "", "sun_closes": "", "sun_closed": "y"})
        else:
            data.update({f"{day}_opens": "08:00", f"{day}_closes": "17:30"})
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def post_hours(admin):
    def post(**changes):
        token = csrf_token_from(admin.get("/admin/hours").get_data(as_text=True))
        return admin.post("/admin/hours", data={"csrf_token": token, **week_form(**changes)})

    return post


def stored_week(app) -> dict:
    with app.app_context():
        return {row.weekday: (row.opens, row.closes) for row in db.session.scalars(select(OpeningHours))}


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return match.group(1)


def test_get_shows_the_week_with_current_values_and_the_picture(admin):
    html = admin.get("/admin/hours").get_data(as_text=True)
    assert 'name="mon_opens"' in html and 'value="08:00"' in html
    assert re.search(r'name="sun_closed"[^>]*checked|checked[^>]*name="sun_closed"', html)
    assert "<svg" in html and 'role="img"' in html
    assert "Saturday November 21: open 08:00–17:30, 19 slots, 08:00 to 17:00." in html
    assert "Sunday November 22: closed." in html


def test_save_changes_the_week_audits_and_redirects(app, post_hours, admin):
    response = post_hours(
        mon_opens="09:00", mon_closes="12:00", sun_closed=None, sun_opens="10:00", sun_closes="14:00"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/hours"
    week = stored_week(app)
    assert week[0] == (time(9), time(12))
    assert week[6] == (time(10), time(14))
    assert week[1] == (time(8), time(17, 30))
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.action == "admin.hours"
        assert event.details["before"]["sun"] == "closed"
        assert event.details["after"]["sun"] == "10:00-14:00"
    assert "Opening hours saved." in admin.get("/admin/hours").get_data(as_text=True)


def test_closing_a_day_stores_it_closed(app, post_hours):
    assert post_hours(sat_closed="y").status_code == 303
    assert stored_week(app)[5] == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mon_opens": "9am"}, "mon_opens", "HH:MM"),
        ({"tue_closes": "25:00"}, "tue_closes", "HH:MM"),
        ({"wed_opens": "12:00", "wed_closes": "09:00"}, "wed_closes", "after opening"),
        ({"thu_opens": "10:00", "thu_closes": "10:00"}, "thu_closes", "after opening"),
        ({"fri_opens": ""}, "fri_opens", "tick Closed"),
        ({"sat_opens": "09:00", "sat_closes": "09:20"}, "sat_closes", "09:30"),
    ],
)
def test_bad_hours_show_the_error_beside_the_field_and_keep_values(app, post_hours, changes, field, message):
    response = post_hours(**changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_beside(html, field)
    for value in changes.values():
        assert f'value="{value}"' in html or not value
    assert 'value="17:30"' in html  # the untouched days are kept too
    assert stored_week(app)[0] == (time(8), time(17, 30))


def test_times_on_a_closed_day_are_ignored(app, post_hours):
    assert post_hours(sat_closed="y", sat_opens="nonsense").status_code == 303
    assert stored_week(app)[5] == (None, None)


def test_bookings_left_outside_are_listed_then_flagged_on_confirm(app, post_hours, admin, add_booking):
    late = add_booking(at(MONDAY, 15))
    kept = add_booking(at(MONDAY, 10))
    response = post_hours(mon_opens="09:00", mon_closes="12:00")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "1 booking would fall outside the offered times" in html
    with app.app_context():
        reference = db.session.get(Booking, late).request.reference
    assert reference in html and "Mon Nov 23, 2026 at 15:00" in html
    assert "Canary Patient" in html and "Routine" in html  # whose booking it is, to call them
    assert "canary@example.com" not in html
    assert re.search(r'name="confirm"[^>]*value="yes"|value="yes"[^>]*name="confirm"', html)
    assert 'value="09:00"' in html and 'value="12:00"' in html
    assert "Monday November 23: open 09:00–12:00" in html  # the picture previews the new hours
    assert stored_week(app)[0] == (time(8), time(17, 30))
    assert booking_flag(app, late) == (None, None)

    token = csrf_token_from(html)
    confirmed = admin.post(
        "/admin/hours",
        data={"csrf_token": token, "confirm": "yes", **week_form(mon_opens="09:00", mon_closes="12:00")},
    )
    assert confirmed.status_code == 303
    assert stored_week(app)[0] == (time(9), time(12))
    flagged_at, reason = booking_flag(app, late)
    assert flagged_at == NOW and reason.startswith("Outside opening hours after the change of 2026-11-21")
    assert booking_flag(app, kept) == (None, None)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent)).one().details["flagged_bookings"] == [late]
    page = admin.get("/admin/hours").get_data(as_text=True)
    assert "1 booking(s) outside the offered times were kept and flagged for staff." in page


def test_confirm_with_no_bookings_affected_just_saves(app, post_hours):
    assert post_hours(mon_opens="09:00", confirm="yes").status_code == 303
    assert stored_week(app)[0] == (time(9), time(17, 30))


def test_post_without_csrf_is_refused(app, admin):
    assert admin.post("/admin/hours", data=week_form(mon_opens="09:00")).status_code == 400
    assert stored_week(app)[0] == (time(8), time(17, 30))
