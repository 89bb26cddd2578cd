"""The agenda: a day slot by slot (free ones visible), a week day by day, closures and flags shown."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from clinic.extensions import db
from clinic.models import Closure

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def add_closure(app, start: date, end: date, reason: str, start_time=None, end_time=None) -> None:
    with app.app_context():
        db.session.add(
            Closure(start_date=start, end_date=end, reason=reason, start_time=start_time, end_time=end_time)
        )
        db.session.commit()


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_day_view_lays_out_every_slot_of_the_hours(app, staff_client, now, add_request):
    booked = add_request(
        created_at=NOW,
        slot=datetime(2026, 11, 19, 9, 30, tzinfo=NY),
        first_name="Greta",
        last_name="Holm",
    )
    response = staff_client.get("/staff/schedule?date=2026-11-19&view=day")
    assert response.status_code == 200
    rows = soup_of(response).select("table.agenda-day tbody tr")
    assert len(rows) == 19  # 08:00–17:30 at 30 minutes
    assert rows[0].th.get_text() == "08:00" and rows[-1].th.get_text() == "17:00"
    assert rows[3].th.get_text() == "09:30"
    link = rows[3].select_one("a")
    assert link["href"] == f"/staff/requests/{booked}"
    assert "Greta Holm" in link.get_text()
    assert sum(1 for r in rows if "Free" in r.get_text()) == 18


def test_day_defaults_to_today_in_clinic_time(app, staff_client, clock):
    clock.set(datetime(2026, 11, 19, 3, 0, tzinfo=UTC))  # still Wednesday evening in New York
    html = staff_client.get("/staff/schedule").get_data(as_text=True)
    assert "Wednesday November 18, 2026" in html


def test_sunday_is_closed(app, staff_client, now):
    html = staff_client.get("/staff/schedule?date=2026-11-22").get_data(as_text=True)
    assert "The clinic is closed on Sundays." in html
    assert "agenda-day" not in html


def test_whole_day_and_part_day_closures_are_shown(app, staff_client, now):
    add_closure(app, date(2026, 11, 26), date(2026, 11, 27), "Thanksgiving")
    add_closure(app, date(2026, 11, 24), date(2026, 11, 24), "Staff training", time(13, 0), time(15, 0))
    day = staff_client.get("/staff/schedule?date=2026-11-26").get_data(as_text=True)
    assert "Closed all day: Thanksgiving" in day
    soup = soup_of(staff_client.get("/staff/schedule?date=2026-11-24"))
    closed = [
        r.th.get_text()
        for r in soup.select("table.agenda-day tbody tr")
        if "Closed: Staff training" in r.text
    ]
    assert closed == ["13:00", "13:30", "14:00", "14:30"]
    week = soup_of(staff_client.get("/staff/schedule?date=2026-11-24&view=week")).get_text(" ", strip=True)
    assert "Closed all day: Thanksgiving" in week
    assert "closed 13:00–15:00: Staff training" in week


def test_week_view_lists_each_day_from_monday(app, staff_client, now, add_request):
    add_request(created_at=NOW, slot=datetime(2026, 11, 17, 11, 0, tzinfo=NY), last_name="Tuesday")
    add_request(created_at=NOW, slot=datetime(2026, 11, 21, 16, 30, tzinfo=NY), last_name="Saturday")
    add_request(created_at=NOW, slot=datetime(2026, 11, 24, 9, 0, tzinfo=NY), last_name="NextWeek")
    soup = soup_of(staff_client.get("/staff/schedule?date=2026-11-19&view=week"))
    days = soup.select("section.card h2")
    assert days[0].get_text() == "Monday November 16"
    assert len(days) == 7
    text = soup.get_text(" ", strip=True)
    assert "Tuesday" in text and "Saturday" in text and "NextWeek" not in text
    assert "11:00 · Robin Tuesday" in text


def test_cancelled_bookings_are_not_on_the_agenda(app, staff_client, now, make_request):
    request_id = make_request(cancelled=True)
    html = staff_client.get("/staff/schedule?view=week").get_data(as_text=True)
    assert f"/staff/requests/{request_id}" not in html


def test_flagged_and_off_grid_bookings_are_marked(app, staff_client, now, add_request):
    # Booked at 18:00 before the hours changed: no slot of today's hours holds it any more.
    add_request(
        created_at=NOW,
        slot=datetime(2026, 11, 19, 18, 0, tzinfo=NY),
        last_name="Evening",
        flag_reason="Outside the new hours",
    )
    add_request(
        created_at=NOW,
        slot=datetime(2026, 11, 19, 10, 0, tzinfo=NY),
        last_name="Morning",
        flag_reason="Inside a closure",
    )
    soup = soup_of(staff_client.get("/staff/schedule?date=2026-11-19"))
    off_grid = soup.select_one("section[aria-labelledby=off-grid-heading]")
    assert off_grid is not None and "Robin Evening" in off_grid.get_text()
    assert off_grid.select_one(".badge-flag") is not None
    morning = next(r for r in soup.select("table.agenda-day tbody tr") if r.th.get_text() == "10:00")
    assert morning.select_one(".badge-flag") is not None


def test_day_view_across_the_dst_change(app, staff_client, now, add_request):
    # Sunday Nov 1 2026 the clocks go back; Monday still opens at 08:00 local.
    add_request(created_at=NOW, slot=datetime(2026, 11, 2, 8, 0, tzinfo=NY), last_name="Early")
    rows = soup_of(staff_client.get("/staff/schedule?date=2026-11-02")).select("table.agenda-day tbody tr")
    assert rows[0].th.get_text() == "08:00" and "Robin Early" in rows[0].get_text()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=2026-02-30", "The date must be written YYYY-MM-DD"),
        ("date=tomorrow", "The date must be written YYYY-MM-DD"),
        ("view=month", "The view must be"),
        ("date=1900-01-01", "too far away"),
    ],
)
def test_bad_parameters_are_400_with_a_message(app, staff_client, now, query, message):
    response = staff_client.get("/staff/schedule?" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_agenda_makes_a_fixed_number_of_queries(app, staff_client, now, queries, add_request):
    staff_client.get("/staff/schedule?date=2026-11-19&view=week")
    with queries() as empty:
        staff_client.get("/staff/schedule?date=2026-11-19&view=week")
    for i in range(12):
        add_request(
            created_at=NOW,
            slot=datetime(2026, 11, 16 + i % 6, 8, 0, tzinfo=NY) + timedelta(minutes=30 * i),
        )
    with queries() as full:
        staff_client.get("/staff/schedule?date=2026-11-19&view=week")
    assert len(empty) == len(full)
