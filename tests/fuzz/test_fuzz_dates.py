"""Every date and time parameter and field, hit with the ends of the calendar (issue 15, finding 5).

`0001-01-01T00:00:00+14:00` is a valid ISO date-time whose UTC instant is before year 1: converting it raised
OverflowError, and every page that took a slot answered 500. Each parameter and field below gets each
extreme value (first and last day of the calendar with the largest offsets, huge years, the day after the
last one, hours beyond 24): the answer is a 4xx (or a page with a message), never a 5xx.
"""

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic import create_app
from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.booking.links import manage_token
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_intake import intake_form_data
from tests.fuzz.test_fuzz_forms import FUZZ

DATETIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T23:59:59+23:59",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T00:00:00+14:00",
    "9999-12-31T23:30:00+00:00",
    "9999-12-31T23:59:59.999999Z",
    "10000-01-01T00:00:00+00:00",
    "99999-12-31T00:00:00+00:00",
    "0000-01-01T00:00:00+00:00",
    "-0001-01-01T00:00:00+00:00",
    "2026-11-24T09:00:00+24:00",
    "2026-11-24T24:00:00-05:00",
    "2026-11-24T09:00:00+99:99",
    "2026-02-30T09:00:00-05:00",
    "1900-01-01T00:00:00+14:00",
]
DATES = ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "99999-12-31", "-0001-01-01", "9999-12-32"]
TIMES = ["00:00", "23:59", "24:00", "99:99", "-1:00", "23:59:59.999999"]
NUMBERS = ["0", "-1", "1", "365", "366", "9" * 30]
ALLOWED = {200, 303, 400, 404, 409, 413, 422, 429}


@pytest.fixture
def app(database_url):
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def check(response, what: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code in ALLOWED, f"{what} gave {response.status_code}"
    assert "Traceback" not in body, what


def first_slot(client) -> str:
    days = client.get("/api/v1/availability?days=14").get_json()["days"]
    return next(slot["start"] for day in days for slot in day["slots"])


def test_public_query_parameters(client):
    for value in DATETIMES + DATES:
        check(client.get("/consultation", query_string={"slot": value}), f"GET /consultation?slot={value}")
    for value in DATES + DATETIMES:
        check(client.get("/book", query_string={"week": value}), f"GET /book?week={value}")
    for start, days in product([*DATES, "2026-11-23"], NUMBERS):
        response = client.get("/api/v1/availability", query_string={"start": start, "days": days})
        check(response, f"GET /api/v1/availability?start={start}&days={days}")
        assert response.is_json


def test_intake_fields(client):
    slot = first_slot(client)
    token = csrf_token_from(client.get("/consultation", query_string={"slot": slot}).get_data(as_text=True))
    for value in DATETIMES:
        response = client.post("/consultation", data={**intake_form_data(slot, token), "slot": value})
        check(response, f"POST /consultation slot={value}")
        assert response.status_code != 303, value
    for value in DATES:
        response = client.post(
            "/consultation", data={**intake_form_data(slot, token), "date_of_birth": value}
        )
        check(response, f"POST /consultation date_of_birth={value}")
        assert response.status_code == 422, value


def test_patient_reschedule(app, client, make_request):
    request_id = make_request()
    with app.app_context():
        manage = manage_token(db.session.get(ConsultationRequest, request_id))
    path = f"/appointments/{manage}/reschedule"
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    for value in DATES + DATETIMES:
        check(client.get(path, query_string={"week": value}), f"GET reschedule?week={value}")
    for value in DATETIMES:
        check(client.post(path, data={"csrf_token": token, "slot": value}), f"POST reschedule slot={value}")


def test_staff_parameters_and_fields(app, client, make_staff, login_as, make_request):
    login_as(client, make_staff(email="dates@clinic.example"))
    request_id = make_request()
    for path, names in {
        "/staff/": ["from", "to"],
        "/staff/requests.csv": ["from", "to"],
        "/staff/schedule": ["date"],
    }.items():
        for name, value in product(names, DATES + DATETIMES):
            for view in ("day", "week"):
                check(
                    client.get(path, query_string={name: value, "view": view}), f"GET {path}?{name}={value}"
                )
    path = f"/staff/requests/{request_id}/reschedule"
    page = client.get(path)
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    for value in DATES + DATETIMES:
        check(client.get(path, query_string={"week": value}), f"GET {path}?week={value}")
    for value in DATETIMES:
        check(client.post(path, data={"csrf_token": token, "slot": value}), f"POST {path} slot={value}")


def test_admin_parameters_and_fields(app, client, make_staff, login_as):
    login_as(client, make_staff(email="dates.admin@clinic.example", role="admin"))
    token = csrf_token_from(client.get("/admin/closures").get_data(as_text=True))
    for start, end in [*((d, d) for d in DATES), ("2026-11-23", "9999-12-31"), ("0001-01-01", "2026-11-23")]:
        for times in ({}, {"start_time": "09:00", "end_time": "12:00"}):
            data = {"csrf_token": token, "start_date": start, "end_date": end, "reason": "Edge", **times}
            check(client.post("/admin/closures", data=data), f"POST /admin/closures {start}..{end} {times}")
            data["confirm"] = "yes"
            check(client.post("/admin/closures", data=data), f"POST /admin/closures {start}..{end} confirmed")
    for start_time, end_time in product(TIMES, TIMES):
        data = {
            "csrf_token": token,
            "start_date": "2026-12-01",
            "end_date": "2026-12-01",
            "start_time": start_time,
            "end_time": end_time,
            "reason": "Edge",
        }
        check(client.post("/admin/closures", data=data), f"POST /admin/closures {start_time}-{end_time}")
    for name, value in product(["from", "to"], DATES + DATETIMES):
        check(client.get("/admin/audit", query_string={name: value}), f"GET /admin/audit?{name}={value}")
    hours = client.get("/admin/hours")
    token = csrf_token_from(hours.get_data(as_text=True))
    for opens, closes in product(TIMES, TIMES):
        data = {"csrf_token": token, "mon_opens": opens, "mon_closes": closes}
        for key in ("tue", "wed", "thu", "fri", "sat"):
            data |= {f"{key}_opens": "08:00", f"{key}_closes": "17:30"}
        data["sun_closed"] = "y"
        check(client.post("/admin/hours", data=data), f"POST /admin/hours {opens}-{closes}")


def test_a_closure_on_the_last_day_of_the_calendar_is_refused_beside_the_field(
    app, client, make_staff, login_as
):
    login_as(client, make_staff(email="last.day@clinic.example", role="admin"))
    token = csrf_token_from(client.get("/admin/closures").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "start_date": "9999-12-31",
        "end_date": "9999-12-31",
        "reason": "End of time",
    }
    response = client.post("/admin/closures", data=data)
    assert response.status_code == 422
    assert 'id="start_date-error"' in response.get_data(as_text=True)


def test_random_offsets_and_years(client):
    """Beyond the listed extremes: any year, any offset within ±23:59."""

    @FUZZ
    @given(
        year=st.integers(1, 9999),
        hours=st.integers(-23, 23),
        minutes=st.integers(0, 59),
        day=st.sampled_from(["01-01", "12-31", "06-15"]),
    )
    def get(year, hours, minutes, day):
        sign = "-" if hours < 0 else "+"
        value = f"{year:04d}-{day}T00:00:00{sign}{abs(hours):02d}:{minutes:02d}"
        check(client.get("/consultation", query_string={"slot": value}), f"GET /consultation?slot={value}")
        check(client.get("/book", query_string={"week": f"{year:04d}-{day}"}), f"GET /book?week={year}")

    get()
