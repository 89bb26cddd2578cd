"""One slot picker for /book and both reschedule pages: the same week grid, 12-hour times, week links."""

import re
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.booking import links
from tests.conftest import csrf_token_from

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
TWELVE_HOUR = re.compile(r"(1[0-2]|[1-9]):[0-5]\d (AM|PM)")


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def picker_of(page: BeautifulSoup):
    picker = page.find(attrs={"data-slot-picker": True})
    assert picker is not None, "no slot picker on the page"
    return picker


def shape(picker) -> dict:
    """What every slot picker shows, whatever the page: the week's days, their times, the week links."""
    days = picker.select("section.slot-day")
    return {
        "days": [section.h3.get_text(" ", strip=True) for section in days],
        "times": [
            [slot.get_text(" ", strip=True).split(" at ")[-1] for slot in section.select(".slot")]
            for section in days
        ],
        "title": picker.select_one(".week-title").get_text(strip=True),
        "links": sorted(a["rel"][0] for a in picker.select(".week-nav a")),
    }


@pytest.fixture
def pages(app, staff_client, make_request):
    request_id = make_request(slot="2026-12-01T09:00:00-05:00")
    with app.app_context():
        token = links.manage_token(db.session.get(ConsultationRequest, request_id))
    return {
        "book": "/book?week=2026-11-30",
        "patient": f"/appointments/{token}/reschedule?week=2026-11-30",
        "staff": f"/staff/requests/{request_id}/reschedule?week=2026-11-30",
    }


def test_the_three_pages_show_the_same_week_with_twelve_hour_times(staff_client, pages):
    shapes = {name: shape(picker_of(soup(staff_client.get(path)))) for name, path in pages.items()}
    assert shapes["book"] == shapes["patient"] == shapes["staff"]
    book = shapes["book"]
    assert book["title"] == "Week of November 30, 2026"
    assert book["days"][0].startswith("Monday November 30")
    assert book["links"] == ["next", "prev"]
    times = [t for day in book["times"] for t in day]
    assert times and all(TWELVE_HOUR.fullmatch(t) for t in times), times[:3]
    assert "8:00 AM" in book["times"][0] and "5:00 PM" in book["times"][0]


def test_reschedule_times_are_radio_buttons_named_slot_and_week_links_stay_on_the_page(staff_client, pages):
    for name in ("patient", "staff"):
        picker = picker_of(soup(staff_client.get(pages[name])))
        radios = picker.select("input[type=radio]")
        assert radios and {r["name"] for r in radios} == {"slot"}
        assert all(r.find_parent("label", class_="slot") for r in radios)
        assert picker.find("fieldset").legend.get_text(strip=True) == "New time"
        path = pages[name].split("?")[0]
        for link in picker.select(".week-nav a"):
            assert link["href"].startswith(path + "?week=")


def test_the_week_links_page_through_the_bookable_weeks(staff_client, pages):
    first = picker_of(soup(staff_client.get(pages["staff"].replace("2026-11-30", "2026-11-23"))))
    assert [a["rel"][0] for a in first.select(".week-nav a")] == ["next"]  # no week before this one
    far = picker_of(soup(staff_client.get(pages["staff"].replace("2026-11-30", "2027-06-01"))))
    assert [a["rel"][0] for a in far.select(".week-nav a")] == ["prev"]  # clamped to the horizon's week


def test_a_refused_staff_choice_keeps_the_week_and_the_choice(staff_client, pages):
    page = soup(staff_client.get(pages["staff"]))
    response = staff_client.post(
        pages["staff"].split("?")[0],
        data={"csrf_token": csrf_token_from(str(page)), "slot": "2026-12-01T09:00:00-05:00"},
    )
    assert response.status_code == 303  # the same time: nothing to move, back to the request
    response = staff_client.post(
        pages["staff"].split("?")[0],
        data={"csrf_token": csrf_token_from(str(page)), "slot": "2026-12-06T09:00:00-05:00"},  # a Sunday
    )
    assert response.status_code == 409
    picker = picker_of(BeautifulSoup(response.get_data(as_text=True), "html.parser"))
    assert picker.select_one(".week-title").get_text(strip=True) == "Week of November 30, 2026"
    assert picker.find(id="slot-error") is not None


def test_every_picker_offers_the_earliest_time_and_the_reschedule_pages_a_confirm_bar(staff_client, pages):
    for name, path in pages.items():
        picker = picker_of(soup(staff_client.get(path)))
        jump = picker.find("a", attrs={"data-first-free": True})
        assert jump.get_text(strip=True) == "Monday, November 23 at 10:00 AM", name  # 2 hours' notice
        bar = picker.find(attrs={"data-confirm-bar": True})
        if name == "book":
            assert bar is None and jump["href"].startswith("/consultation?slot=2026-11-23T10:00")
            continue
        assert jump["href"].startswith(path.split("?")[0] + "?week=2026-11-23&slot=2026-11-23T10:00")
        assert bar["class"] == ["confirm-bar"] and bar.find("button", type="submit")
        note = bar.find(class_="confirm-note").get_text()
        assert ("patient is emailed" if name == "staff" else "We email you") in note


def test_the_keyboard_hint_and_the_arrow_keys_come_with_the_script_only(staff_client, pages):
    """Without JavaScript every time is its own Tab stop and no arrow-key hint is promised."""
    for path in pages.values():
        page = soup(staff_client.get(path))
        assert page.find(attrs={"data-slot-keys": True}).has_attr("hidden")
        assert [s["src"].split("?")[0] for s in page.find_all("script")] == ["/static/js/slot-picker.js"]
        assert not page.select("[data-slot][tabindex]")
