"""GET /api/v1/availability: the JSON shape of docs/openapi.yaml, its parameters, its fixed query count."""

from datetime import UTC, date, datetime, timedelta

import pytest

from clinic.extensions import db
from clinic.models import Closure

FRIDAY_MORNING = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 09:00 in New York
DAY_KEYS = {"date", "weekday", "open", "opens", "closes", "slots"}


@pytest.fixture
def friday(clock):
    return clock.set(FRIDAY_MORNING)


def get(client, query: str = ""):
    return client.get("/api/v1/availability" + (f"?{query}" if query else ""))


def test_shape_matches_the_spec(client, friday):
    response = get(client, "start=2026-12-07&days=7")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert set(body) == {"timezone", "slot_minutes", "days"}
    assert body["timezone"] == "America/New_York" and body["slot_minutes"] == 30
    assert [day["date"] for day in body["days"]] == [f"2026-12-{d:02d}" for d in range(7, 14)]
    monday = body["days"][0]
    assert set(monday) == DAY_KEYS
    assert monday["weekday"] == "Monday" and monday["open"] is True
    assert monday["opens"] == "08:00" and monday["closes"] == "17:30"
    assert len(monday["slots"]) == 19
    first = monday["slots"][0]
    assert first == {"start": "2026-12-07T08:00:00-05:00", "end": "2026-12-07T08:30:00-05:00", "remaining": 1}
    for day in body["days"][:6]:
        for slot in day["slots"]:
            assert set(slot) == {"start", "end", "remaining"}
            start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
            assert start.utcoffset() == timedelta(hours=-5) and end - start == timedelta(minutes=30)
            assert type(slot["remaining"]) is int and slot["remaining"] >= 1
    sunday = body["days"][6]
    assert sunday == {
        "date": "2026-12-13",
        "weekday": "Sunday",
        "open": False,
        "opens": None,
        "closes": None,
        "slots": [],
    }


def test_defaults_to_today_for_seven_days(client, friday):
    body = get(client).get_json()
    assert [day["date"] for day in body["days"]] == [
        (date(2026, 11, 20) + timedelta(d)).isoformat() for d in range(7)
    ]
    today = body["days"][0]
    assert today["slots"][0]["start"] == "2026-11-20T11:00:00-05:00"  # two hours' notice from 09:00
    assert body["days"][2]["weekday"] == "Sunday" and body["days"][2]["open"] is False


def test_summer_times_carry_the_summer_offset(client, clock):
    clock.set(datetime(2027, 6, 1, 12, 0, tzinfo=UTC))
    slot = get(client, "start=2027-06-07&days=1").get_json()["days"][0]["slots"][0]
    assert slot["start"] == "2027-06-07T08:00:00-04:00"


@pytest.mark.parametrize(
    "query",
    [
        "start=abc",
        "start=2026-13-01",
        "start=2026-02-30",
        "start=tomorrow",
        "start=" + "9" * 100,
        "start=0001-01-01",
        "start=9999-12-31",
        "days=0",
        "days=-1",
        "days=61",
        "days=abc",
        "days=1e3",
        "days=99999999999999999999999",
        "days=",
        "days=7.5",
        "days= 7",
        "days=%EF%BC%97",
    ],
)
def test_bad_parameters_are_a_json_400(client, friday, query):
    response = get(client, query)
    assert response.status_code == 400
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("days", [1, 60])
def test_days_range_limits_are_accepted(client, friday, days):
    body = get(client, f"start=2026-11-20&days={days}").get_json()
    assert len(body["days"]) == days


def test_whole_day_closure_gives_its_reason(app, client, friday):
    with app.app_context():
        db.session.add(
            Closure(start_date=date(2026, 12, 8), end_date=date(2026, 12, 8), reason="Staff training")
        )
        db.session.commit()
    days = get(client, "start=2026-12-07&days=3").get_json()["days"]
    assert days[1]["open"] is False and days[1]["closure"] == "Staff training" and days[1]["slots"] == []
    assert "closure" not in days[0] and "closure" not in days[2]


def test_booked_slot_is_no_longer_listed(app, client, friday, add_request):
    add_request(slot=datetime(2026, 12, 7, 13, 0, tzinfo=UTC))  # 08:00 in New York
    slots = get(client, "start=2026-12-07&days=1").get_json()["days"][0]["slots"]
    assert len(slots) == 18 and slots[0]["start"] == "2026-12-07T08:30:00-05:00"


def test_query_count_is_fixed_whatever_the_window_or_bookings(app, client, friday, queries, add_request):
    counts = {}
    for label in ("empty", "busy"):
        if label == "busy":
            first = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
            for day in range(10):
                for slot in range(5):
                    add_request(slot=first + timedelta(days=day, minutes=30 * slot))
        for days in (1, 60):
            with queries() as statements:
                assert get(client, f"start=2026-11-20&days={days}").status_code == 200
            counts[label, days] = len(statements)
    assert len(set(counts.values())) == 1, counts
    # Each answer computed afresh: the schedule version, then settings with hours, closures and bookings.
    assert counts["busy", 60] <= 4
    with queries() as statements:
        assert get(client, "start=2026-11-20&days=60").status_code == 200
    assert len(statements) == 1  # the same answer again: the version alone
    body = get(client, "start=2026-11-23&days=1").get_json()
    assert len(body["days"][0]["slots"]) == 19 - 5
