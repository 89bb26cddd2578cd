"""The slot picker at /book: a week of days, free slots as links to the intake form, closures, week links."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from clinic.extensions import db
from clinic.models import Closure

FRIDAY_MORNING = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 09:00 in New York
FAR_WEEK = "2026-12-07"  # a Monday 17 days ahead: nothing there is too soon or beyond the horizon


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def days_of(page: BeautifulSoup) -> dict[str, BeautifulSoup]:
    return {
        section.h3["id"].removeprefix("day-"): section
        for section in page.find_all("section", class_="slot-day")
    }


def slot_starts(section: BeautifulSoup) -> list[str]:
    """The `slot` values of a day's links, as the intake form will receive them."""
    starts = []
    for link in section.find_all("a", class_="slot"):
        parts = urlsplit(link["href"])
        assert parts.path == "/consultation"
        starts.append(parse_qs(parts.query)["slot"][0])
    return starts


def add_closure(app, start: date, end: date, reason: str, start_time=None, end_time=None) -> None:
    with app.app_context():
        db.session.add(
            Closure(start_date=start, end_date=end, reason=reason, start_time=start_time, end_time=end_time)
        )
        db.session.commit()


@pytest.fixture
def friday(clock):
    return clock.set(FRIDAY_MORNING)


def test_default_week_has_six_open_days_of_19_slots_and_a_closed_sunday(client, friday):
    response = client.get(f"/book?week={FAR_WEEK}")
    assert response.status_code == 200
    page = soup(response)
    days = days_of(page)
    assert list(days) == [f"2026-12-{day:02d}" for day in range(7, 14)]
    for iso, section in days.items():
        if iso == "2026-12-13":
            assert "is-closed" in section["class"]
            assert section.find(class_="day-status").get_text(strip=True) == "Closed"
            assert section.find("a") is None
        else:
            starts = slot_starts(section)
            assert len(starts) == 19, iso
            assert starts[0] == f"{iso}T08:00:00-05:00"
            assert starts[-1] == f"{iso}T17:00:00-05:00"
    assert "Week of December 7, 2026" in page.find("h2", class_="week-title").get_text()


def test_slot_links_name_the_day_and_time_for_screen_readers(client, friday):
    page = soup(client.get(f"/book?week={FAR_WEEK}"))
    first = page.find("a", class_="slot")
    assert first.get_text(strip=True) == "8:00 AM"
    assert first["aria-label"] == "Monday, December 7 at 8:00 AM"


def test_mid_week_date_shows_its_whole_week(client, friday):
    page = soup(client.get("/book?week=2026-12-10"))
    assert next(iter(days_of(page))) == "2026-12-07"


def test_whole_day_closure_shows_closed_with_its_reason(app, client, friday):
    add_closure(app, date(2026, 12, 9), date(2026, 12, 10), "Staff training")
    days = days_of(soup(client.get(f"/book?week={FAR_WEEK}")))
    for iso in ("2026-12-09", "2026-12-10"):
        assert days[iso].find(class_="day-status").get_text(strip=True) == "Closed: Staff training"
        assert slot_starts(days[iso]) == []
    assert len(slot_starts(days["2026-12-08"])) == 19
    assert len(slot_starts(days["2026-12-11"])) == 19


def test_part_day_closure_hides_its_slots_and_says_why(app, client, friday):
    add_closure(app, date(2026, 12, 8), date(2026, 12, 8), "Team meeting", time(12, 0), time(14, 0))
    day = days_of(soup(client.get(f"/book?week={FAR_WEEK}")))["2026-12-08"]
    starts = slot_starts(day)
    assert len(starts) == 15
    assert not any(f"T{hour}:" in start for start in starts for hour in ("12", "13"))
    assert "2026-12-08T14:00:00-05:00" in starts
    assert day.find(class_="day-note").get_text(" ", strip=True) == "Closed 12:00 PM to 2:00 PM: Team meeting"


def test_this_week_starts_at_today_hides_too_soon_slots_and_marks_today(client, friday):
    page = soup(client.get("/book"))
    days = days_of(page)
    assert list(days) == ["2026-11-20", "2026-11-21", "2026-11-22"], "days gone are not listed first"
    assert page.find(class_="past-days").get_text(strip=True) == "Monday to Thursday have passed."
    today = days["2026-11-20"]
    assert "is-today" in today["class"]
    starts = slot_starts(today)
    assert starts[0] == "2026-11-20T11:00:00-05:00"  # two hours' notice from 09:00
    assert len(starts) == 13
    assert len(slot_starts(days["2026-11-21"])) == 19


@pytest.mark.parametrize("week", ["", "2026-11-16", "2026-11-20"])
def test_previous_week_link_is_hidden_on_this_week(client, friday, week):
    page = soup(client.get(f"/book?week={week}" if week else "/book"))
    nav = page.find("nav", class_="week-nav")
    assert nav.find("a", rel="prev") is None
    assert nav.find("a", rel="next")["href"] == "/book?week=2026-11-23"


def test_later_weeks_link_both_ways_and_the_horizon_ends_the_next_links(client, friday):
    nav = soup(client.get(f"/book?week={FAR_WEEK}")).find("nav", class_="week-nav")
    assert nav.find("a", rel="prev")["href"] == "/book?week=2026-11-30"
    assert nav.find("a", rel="next")["href"] == "/book?week=2026-12-14"
    # The horizon is 60 days: 2027-01-19 falls in the week of January 18, the last one offered.
    last = soup(client.get("/book?week=2027-01-18"))
    assert last.find("nav", class_="week-nav").find("a", rel="next") is None
    days = days_of(last)
    starts = [datetime.fromisoformat(start) for start in slot_starts(days["2027-01-19"])]
    assert starts and max(starts) <= FRIDAY_MORNING + timedelta(days=60)
    assert all(slot_starts(days[iso]) == [] for iso in ("2027-01-20", "2027-01-21", "2027-01-22"))


@pytest.mark.parametrize(
    "week", ["abc", "2026-13-01", "2026-02-30", "12/07/2026", "2026-12-07T08:00", "9" * 300, "2026-12-07%00"]
)
def test_bad_week_is_a_400_page(client, friday, week):
    response = client.get(f"/book?week={week}")
    assert response.status_code == 400
    page = soup(response)
    assert "YYYY-MM-DD" in page.find("main").get_text()
    assert "988" in page.find("footer").get_text()


@pytest.mark.parametrize("week", ["1999-01-04", "2099-01-05", "0001-01-01", "9999-12-27"])
def test_week_far_in_the_past_or_future_is_refused(client, friday, week):
    response = client.get(f"/book?week={week}")
    assert response.status_code == 400
    assert "too far" in soup(response).find("main").get_text()


def test_week_beyond_the_horizon_shows_no_slots(client, friday):
    page = soup(client.get("/book?week=2027-03-01"))
    assert all(slot_starts(section) == [] for section in days_of(page).values())


def test_spring_forward_week_keeps_local_opening_times(client, clock):
    clock.set(datetime(2027, 3, 1, 14, 0, tzinfo=UTC))
    days = days_of(soup(client.get("/book?week=2027-03-15")))  # the Monday after the change on March 14
    starts = slot_starts(days["2027-03-15"])
    assert starts[0] == "2027-03-15T08:00:00-04:00" and len(starts) == 19


def test_picker_works_without_javascript_and_enhances_with_it(client, friday):
    page = soup(client.get(f"/book?week={FAR_WEEK}"))
    scripts = page.find_all("script")
    assert [script["src"].split("?")[0] for script in scripts] == ["/static/js/slot-picker.js"]
    assert scripts[0].has_attr("defer")
    picker = page.find(attrs={"data-slot-picker": True})
    assert picker.find_all("a", attrs={"data-week-link": True})
    assert page.find(attrs={"data-picker-status": True})["role"] == "status"
    assert "988" in page.find("footer").get_text()


def test_the_earliest_free_time_is_one_link_away_from_any_week(app, client, friday):
    """From a later week too: the jump names the earliest free time and opens the form with it."""
    for query in ("", f"?week={FAR_WEEK}"):
        link = soup(client.get(f"/book{query}")).find("a", attrs={"data-first-free": True})
        assert link.get_text(strip=True) == "Friday, November 20 at 11:00 AM"
        assert link["href"] == "/consultation?slot=2026-11-20T11:00:00-05:00"
    add_closure(app, date(2026, 11, 20), date(2026, 11, 21), "Heating repairs")
    link = soup(client.get(f"/book?week={FAR_WEEK}")).find("a", attrs={"data-first-free": True})
    assert link.get_text(strip=True) == "Monday, November 23 at 8:00 AM"


def test_times_are_12_hour_and_the_zone_is_said_in_plain_words(client, friday):
    page = soup(client.get(f"/book?week={FAR_WEEK}"))
    times = [a.get_text(strip=True) for a in page.find_all("a", class_="slot")]
    assert times[12:14] == ["2:00 PM", "2:30 PM"]
    text = page.find("main").get_text(" ")
    assert "Eastern Time" in text
    assert "America/New_York" not in text and "America/New York" not in text


@pytest.mark.parametrize("query", ["", "?week=2026-11-23", f"?week={FAR_WEEK}", "?week=2027-03-01"])
def test_every_booking_page_carries_the_crisis_line(client, friday, query):
    response = client.get(f"/book{query}")
    assert response.status_code == 200
    crisis = soup(response).find("footer").find(class_="crisis-line").get_text(" ")
    assert "911" in crisis and "988" in crisis and "not monitored around the clock" in crisis
