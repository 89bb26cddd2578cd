"""The staff queue: order, filters, pagination, counts, targets, flags, overview and a fixed query count."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from tests.conftest import forget_process_caches

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def refs_in_order(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [a.get_text() for a in soup.select("table.queue-table tbody th[scope=row] a")]


def reference_of(app, request_id: int) -> str:
    from clinic.extensions import db
    from clinic.models import ConsultationRequest

    with app.app_context():
        return db.session.get(ConsultationRequest, request_id).reference


def test_anonymous_is_sent_to_login(client):
    response = client.get("/staff/")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/staff/login")


def test_urgent_first_then_high_then_routine_each_by_slot_time(app, staff_client, now, add_request):
    """Contacted requests by slot time, none last (to-contact ones come first: test_queue_order.py)."""
    slot = NOW + timedelta(days=1)
    routine_soon = add_request(priority="routine", slot=slot, created_at=NOW, status="contacted")
    high_late = add_request(
        priority="high", slot=slot + timedelta(hours=3), created_at=NOW, status="contacted"
    )
    high_none = add_request(priority="high", created_at=NOW, status="contacted")
    high_soon = add_request(
        priority="high", slot=slot + timedelta(hours=1), created_at=NOW, status="contacted"
    )
    urgent_late = add_request(
        priority="urgent", slot=slot + timedelta(days=3), created_at=NOW, status="contacted"
    )
    urgent_soon = add_request(
        priority="urgent", slot=slot + timedelta(days=2), created_at=NOW, status="contacted"
    )
    html = staff_client.get("/staff/").get_data(as_text=True)
    expected = [urgent_soon, urgent_late, high_soon, high_late, high_none, routine_soon]
    assert refs_in_order(html) == [reference_of(app, i) for i in expected]


def test_urgent_is_impossible_to_miss(app, staff_client, now, add_request):
    add_request(priority="urgent", created_at=NOW - timedelta(hours=1), phq9=(2, 2, 2, 2, 2, 2, 2, 2, 1))
    add_request(priority="urgent", status="completed", created_at=NOW - timedelta(days=20))
    add_request(priority="routine", created_at=NOW)
    soup = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    banner = soup.select_one("#urgent-banner")
    assert banner is not None and "notice-crisis" in banner["class"]
    assert "1 urgent request open, 1 not contacted yet" in banner.get_text(" ", strip=True)
    first_row = soup.select("table.queue-table tbody tr")[0]
    assert first_row.select_one(".badge.badge-urgent").get_text(strip=True) == "Urgent"


def test_no_banner_without_open_urgent_requests(app, staff_client, now, add_request):
    add_request(priority="high", created_at=NOW)
    assert 'id="urgent-banner"' not in staff_client.get("/staff/").get_data(as_text=True)


def test_default_view_is_open_requests_and_all_shows_closed(app, staff_client, now, add_request):
    open_id = add_request(status="contacted", created_at=NOW)
    done_id = add_request(status="completed", created_at=NOW - timedelta(days=3))
    default = refs_in_order(staff_client.get("/staff/").get_data(as_text=True))
    assert default == [reference_of(app, open_id)]
    everything = refs_in_order(staff_client.get("/staff/?status=all").get_data(as_text=True))
    assert set(everything) == {reference_of(app, open_id), reference_of(app, done_id)}
    # a search finds a request whatever its status
    found = refs_in_order(staff_client.get(f"/staff/?q={reference_of(app, done_id)}").get_data(as_text=True))
    assert found == [reference_of(app, done_id)]


def test_filters_combine(app, staff_client, now, make_staff, add_request):
    other = make_staff(email="other@clinic.example", name="Olive Other")
    me = None
    from clinic.extensions import db
    from clinic.models import StaffUser

    with app.app_context():
        me = db.session.query(StaffUser).filter_by(email="nurse@clinic.example").one().id
    slot = datetime(2026, 11, 20, 14, 0, tzinfo=NY)
    target = add_request(
        priority="high",
        status="contacted",
        slot=slot,
        created_at=NOW,
        last_name="Okafor",
        assigned_to_id=me,
    )
    add_request(
        priority="routine",
        status="contacted",
        slot=slot,
        created_at=NOW,
        last_name="Okafor",
        assigned_to_id=me,
    )  # wrong priority
    add_request(
        priority="high", status="new", slot=slot, created_at=NOW, last_name="Okafor", assigned_to_id=me
    )  # wrong status
    add_request(
        priority="high",
        status="contacted",
        slot=slot + timedelta(days=5),
        created_at=NOW,
        last_name="Okafor",
        assigned_to_id=me,
    )  # outside the dates
    add_request(
        priority="high",
        status="contacted",
        slot=slot,
        created_at=NOW,
        last_name="Okafor",
        assigned_to_id=other,
    )  # someone else's
    add_request(
        priority="high",
        status="contacted",
        slot=slot,
        created_at=NOW,
        last_name="Smith",
        assigned_to_id=me,
    )  # another name
    url = "/staff/?status=contacted&priority=high&q=okafor&from=2026-11-19&to=2026-11-21&assigned=me"
    assert refs_in_order(staff_client.get(url).get_data(as_text=True)) == [reference_of(app, target)]


@pytest.mark.parametrize(
    ("field", "value", "query"),
    [
        ("first_name", "Zebedee", "ZEBEDEE"),
        ("last_name", "Zebedee", "zebedee"),
        ("email", "zebedee@example.org", "  ZEBEDEE@Example.ORG "),
    ],
)
def test_search_matches_whole_names_and_email_case_insensitively(
    app, staff_client, now, field, value, query, add_request
):
    wanted = add_request(created_at=NOW, **{field: value})
    add_request(created_at=NOW)
    response = staff_client.get("/staff/", query_string={"q": query})
    assert refs_in_order(response.get_data(as_text=True)) == [reference_of(app, wanted)]


def test_search_by_full_name_and_reference(app, staff_client, now, add_request):
    wanted = add_request(created_at=NOW, first_name="Marta", last_name="Quill")
    add_request(created_at=NOW, first_name="Marta", last_name="Other")
    add_request(created_at=NOW, first_name="Quill", last_name="Marta")
    assert refs_in_order(staff_client.get("/staff/?q=marta+quill").get_data(as_text=True)) == [
        reference_of(app, wanted)
    ]
    ref = reference_of(app, wanted)
    assert refs_in_order(staff_client.get(f"/staff/?q={ref.lower()}").get_data(as_text=True)) == [ref]
    without_dash = ref.replace("-", "").lower()
    assert refs_in_order(staff_client.get(f"/staff/?q={without_dash}").get_data(as_text=True)) == [ref]


def test_search_ignores_accents_case_and_punctuation_in_names(app, staff_client, now, add_request):
    wanted = add_request(created_at=NOW, first_name="Zoë", last_name="O'Brien-Núñez")
    add_request(created_at=NOW, first_name="Zoe", last_name="Brien")
    for query in ("o'brien-núñez", "OBRIEN NUNEZ", "Zoe O'Brien-Nunez", "zoë obriennunez"):
        found = refs_in_order(staff_client.get("/staff/", query_string={"q": query}).get_data(as_text=True))
        assert found == [reference_of(app, wanted)], query


@pytest.mark.parametrize(
    "query",
    ["2125550140", "(212) 555-0140", "212-555-0140", "+1 212 555 0140", "1 212 555 0140", "212.555.0140"],
)
def test_search_finds_a_phone_number_in_any_common_format(app, staff_client, now, query, add_request):
    wanted = add_request(created_at=NOW, phone="+12125550140")
    add_request(created_at=NOW, phone="+13125550140")  # same last 7 digits, another area code
    found = refs_in_order(staff_client.get("/staff/", query_string={"q": query}).get_data(as_text=True))
    assert found == [reference_of(app, wanted)]


@pytest.mark.parametrize(("query", "matches"), [("555-0140", 2), ("0140", 3), ("555 0140", 2)])
def test_search_by_the_last_seven_or_four_digits_of_a_phone(
    app, staff_client, now, query, matches, add_request
):
    add_request(created_at=NOW, phone="+12125550140")
    add_request(created_at=NOW, phone="+13125550140")
    add_request(created_at=NOW, phone="+12124440140")
    add_request(created_at=NOW, phone="+12125550199")
    found = refs_in_order(staff_client.get("/staff/", query_string={"q": query}).get_data(as_text=True))
    assert len(found) == matches


@pytest.mark.parametrize("query", ["Zeb", "bedee", "zebedee@", "example.org", "5550", "Zebedee Q"])
def test_search_finds_no_part_of_a_name_email_or_number(app, staff_client, now, query, add_request):
    """Names, emails and phones are encrypted: only whole values are indexed (README: Search)."""
    add_request(created_at=NOW, first_name="Zebedee", email="zebedee@example.org", phone="+12125550140")
    found = refs_in_order(staff_client.get("/staff/", query_string={"q": query}).get_data(as_text=True))
    assert found == []


@pytest.mark.parametrize("needle", ["%", "_", "'", '"', "\\", "%_"])
def test_search_metacharacters_are_never_wildcards(app, staff_client, now, needle, add_request):
    wanted = add_request(created_at=NOW, last_name=f"Lee{needle}Park")
    add_request(created_at=NOW, last_name="Leeson")
    add_request(created_at=NOW, last_name="LeexPark")
    response = staff_client.get("/staff/", query_string={"q": f"lee{needle}park"})
    assert response.status_code == 200
    assert refs_in_order(response.get_data(as_text=True)) == [reference_of(app, wanted)]
    alone = staff_client.get("/staff/", query_string={"q": needle, "status": "all"})
    assert alone.status_code == 200 and refs_in_order(alone.get_data(as_text=True)) == []


def test_dates_filter_by_slot_day_in_clinic_time(app, staff_client, now, add_request):
    # 20:30 in New York on Nov 20 is already Nov 21 in UTC: it still belongs to Nov 20.
    late_evening = add_request(slot=datetime(2026, 11, 20, 20, 30, tzinfo=NY), created_at=NOW)
    next_morning = add_request(slot=datetime(2026, 11, 21, 8, 0, tzinfo=NY), created_at=NOW)
    add_request(created_at=NOW)  # no slot: excluded by a date filter
    page = staff_client.get("/staff/?from=2026-11-20&to=2026-11-20").get_data(as_text=True)
    assert refs_in_order(page) == [reference_of(app, late_evening)]
    page = staff_client.get("/staff/?from=2026-11-21").get_data(as_text=True)
    assert refs_in_order(page) == [reference_of(app, next_morning)]
    # Typed month first, as the date field shows it where the browser has no date picker; the hint agrees.
    page = staff_client.get("/staff/?from=11/21/2026").get_data(as_text=True)
    assert refs_in_order(page) == [reference_of(app, next_morning)]
    hint = BeautifulSoup(page, "html.parser").find(id="from").find_parent(class_="field").get_text(" ")
    assert "month, day and year" in hint and "YYYY-MM-DD" not in hint


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bogus", "Choose one of the statuses in the list."),
        ("priority=extreme", "Choose urgent, high or routine."),
        ("from=2026-13-01", "Enter a date as month, day and year"),
        ("to=yesterday", "Enter a date as month, day and year"),
        ("from=2026-11-20&to=2026-11-19", "The end date must be on or after the start date."),
        ("assigned=everyone", "Choose anyone or"),
        ("to=9999-12-31", "between the years 1900 and 2200"),
        ("q=" + "x" * 101, "Search for at most 100 characters."),
    ],
)
def test_invalid_filters_get_a_clear_message_not_a_500(app, staff_client, now, query, message, add_request):
    add_request(created_at=NOW, slot=datetime(2026, 11, 20, 12, 0, tzinfo=NY))
    response = staff_client.get("/staff/?" + query)
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = " ".join(p.get_text() for p in soup.select(".field-error .error"))
    assert message in errors
    assert len(refs_in_order(str(soup))) == 1  # the list still shows, without the bad filter


def test_bad_page_numbers_fall_back(app, staff_client, now, add_request):
    add_request(created_at=NOW)
    assert staff_client.get("/staff/?page=abc").status_code == 200
    assert staff_client.get("/staff/?page=-3").status_code == 200
    assert refs_in_order(staff_client.get("/staff/?page=99").get_data(as_text=True)) == []
    assert staff_client.get(f"/staff/?page={10**30}").status_code == 200


def test_pagination_25_per_page_keeps_filters(app, staff_client, now, add_request):
    for i in range(30):
        add_request(priority="high", created_at=NOW, slot=NOW + timedelta(days=1, minutes=30 * i))
    add_request(priority="routine", created_at=NOW)
    first = staff_client.get("/staff/?priority=high&q=robin").get_data(as_text=True)
    assert len(refs_in_order(first)) == 25
    soup = BeautifulSoup(first, "html.parser")
    next_link = soup.select_one("nav.pagination a[rel=next]")["href"]
    assert "priority=high" in next_link and "q=robin" in next_link and "page=2" in next_link
    second = staff_client.get(next_link).get_data(as_text=True)
    assert len(refs_in_order(second)) == 5
    assert not set(refs_in_order(first)) & set(refs_in_order(second))
    prev_link = BeautifulSoup(second, "html.parser").select_one("nav.pagination a[rel=prev]")["href"]
    assert "priority=high" in prev_link and "page=1" in prev_link
    export = BeautifulSoup(second, "html.parser").select_one("a[href^='/staff/requests.csv']")["href"]
    assert "priority=high" in export and "q=robin" in export


def test_counts_per_status(app, staff_client, now, add_request):
    for status, number in (("new", 3), ("contacted", 2), ("completed", 1), ("no_show", 1)):
        for _ in range(number):
            add_request(status=status, created_at=NOW)
    soup = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    counts = {
        a.get_text(" ", strip=True).rsplit(" ", 1)[0]: int(a.select_one(".badge").get_text())
        for a in soup.select("nav.status-counts a")
    }
    assert counts["Open"] == 6 and counts["All"] == 7
    assert counts["New"] == 3 and counts["Contacted"] == 2 and counts["Completed"] == 1
    assert counts["No show"] == 1 and counts["Declined"] == 0


def test_age_against_response_target_and_overdue(app, staff_client, now, add_request):
    late_urgent = add_request(priority="urgent", created_at=NOW - timedelta(hours=5))
    fresh_urgent = add_request(priority="urgent", created_at=NOW - timedelta(hours=3))
    # Routine made Monday 09:00 NY: due two open days later, Wednesday 09:00 — an hour ago.
    late_routine = add_request(created_at=datetime(2026, 11, 16, 9, 0, tzinfo=NY))
    answered = add_request(status="contacted", created_at=NOW - timedelta(days=10))
    soup = BeautifulSoup(staff_client.get("/staff/?status=all").get_data(as_text=True), "html.parser")
    overdue = {row.select_one("th a").get_text() for row in soup.select("tbody tr.overdue")}
    assert overdue == {reference_of(app, late_urgent), reference_of(app, late_routine)}
    assert reference_of(app, fresh_urgent) not in overdue and reference_of(app, answered) not in overdue
    late_row = next(r for r in soup.select("tbody tr") if reference_of(app, late_urgent) in r.get_text())
    assert late_row.select_one(".overdue").get_text() == "Overdue"
    assert "5 h" in late_row.get_text()


def test_flagged_booking_shown(app, staff_client, now, add_request):
    add_request(created_at=NOW, slot=NOW + timedelta(days=2), flag_reason="Outside the new hours")
    soup = BeautifulSoup(staff_client.get("/staff/").get_data(as_text=True), "html.parser")
    flag = soup.select_one("tbody .badge.badge-flag")
    assert flag is not None and "Outside the new hours" in flag.get_text()


def test_slot_time_in_clinic_time(app, staff_client, now, add_request):
    add_request(created_at=NOW, slot=datetime(2026, 11, 20, 14, 30, tzinfo=NY))
    html = staff_client.get("/staff/").get_data(as_text=True)
    assert "Fri Nov 20, 14:30" in html


def test_overview_draws_svg_with_table_alternative(app, staff_client, now, add_request):
    add_request(priority="urgent", created_at=NOW - timedelta(days=1), phq9=(3, 3, 3, 3, 3, 3, 3, 3, 1))
    add_request(priority="high", created_at=NOW - timedelta(days=8))
    add_request(created_at=NOW - timedelta(days=200))  # older than 12 weeks
    response = staff_client.get("/staff/")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    svgs = soup.select("svg[role=img]")
    assert len(svgs) == 2
    for svg in svgs:
        assert svg.find("title") is not None and svg.find("desc") is not None
    assert len(soup.select("svg.chart-weeks rect.bar-urgent")) == 1
    assert len(soup.select("svg.chart-weeks rect.bar-high")) == 1
    assert not soup.select("svg.chart-weeks rect.bar-routine")
    tables = soup.select("section.overview table")
    assert len(tables) == 2
    week_rows = tables[0].select("tbody tr")
    assert len(week_rows) == 12
    assert [td.get_text() for td in week_rows[-1].select("td")] == ["1", "0", "0", "1"]
    assert [td.get_text() for td in week_rows[-2].select("td")] == ["0", "1", "0", "1"]
    bands = {r.th.get_text(): r.td.get_text() for r in tables[1].select("tbody tr")}
    assert bands["Severe"] == "1" and bands["Minimal"] == "0"
    assert "<script" not in response.get_data(as_text=True)


def test_queue_makes_a_fixed_number_of_queries(app, staff_client, now, queries, make_staff, add_request):
    helper = make_staff(email="helper@clinic.example", name="Hal Helper")

    def fill(count: int, start: int) -> None:
        for i in range(start, start + count):
            add_request(
                priority=["urgent", "high", "routine"][i % 3],
                created_at=NOW - timedelta(days=i % 60),
                slot=NOW + timedelta(days=1, minutes=30 * i),
                assigned_to_id=helper if i % 2 else None,
                flag_reason="moved" if i % 7 == 0 else None,
            )

    searched = "/staff/?status=all&q=robin&from=2026-11-19"
    fill(5, 0)
    staff_client.get("/staff/")
    forget_process_caches(app)  # the overview is drawn cold here and after the data grows
    with queries() as small:
        assert staff_client.get("/staff/").status_code == 200
    with queries() as filtered_small:
        assert staff_client.get(searched).status_code == 200
    fill(55, 5)
    forget_process_caches(app)
    with queries() as large:
        assert staff_client.get("/staff/").status_code == 200
    with queries() as filtered_large:
        assert staff_client.get(searched).status_code == 200
    # Fixed whatever the data size, per kind of view: the plain queue counts from the tallies; a search
    # or date filter groups and counts the requests it selects (two statements more).
    assert len(small) == len(large) <= 12
    assert len(filtered_small) == len(filtered_large) == len(large) + 2


def test_staff_queue_endpoint_name(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("staff.queue") == "/staff/"


def test_no_health_data_in_filter_urls(app, staff_client, now, add_request):
    """Pagination and count links carry only the filters the user typed, never data from the rows."""
    add_request(created_at=NOW, last_name="Secretname")
    html = staff_client.get("/staff/").get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert not [h for h in hrefs if "Secretname" in h or "robin" in h]
