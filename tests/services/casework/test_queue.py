"""The queue service: counts, ordering and the 12-week overview's local-week bucketing."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.services.casework import queue
from clinic.services.casework.queue import QueueFilters
from clinic.triage.enums import Phq9Band, Priority, RequestStatus

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def test_filter_names_never_carry_values():
    filters = QueueFilters(
        status=RequestStatus.NEW, q="Secret Name", date_from=date(2026, 11, 1), assigned_to_id=4
    )
    assert filters.names() == ["status", "q", "from", "assigned"]
    assert QueueFilters().names() == []


def test_counts_apply_other_filters_but_not_status(app, add_request):
    add_request(priority="high", status="new", created_at=NOW)
    add_request(priority="high", status="completed", created_at=NOW)
    add_request(priority="routine", status="new", created_at=NOW)
    add_request(priority="urgent", status="contacted", created_at=NOW)
    add_request(priority="urgent", status="declined", created_at=NOW)
    with app.test_request_context():
        counts = queue.counts(QueueFilters(status=RequestStatus.NEW, priority=Priority.HIGH), tz=NY)
        assert counts.by_status[RequestStatus.NEW] == 1
        assert counts.by_status[RequestStatus.COMPLETED] == 1
        assert counts.total == 2 and counts.open == 1
        assert counts.urgent_open == 1  # whatever the filters: only the contacted one is open
        assert counts.urgent_new == 0


def test_page_orders_urgent_high_routine_then_slot_none_last(app, add_request):
    """Requests already contacted sort by slot time, none last (to-contact ones: test_queue_order.py)."""
    base = NOW + timedelta(days=1)
    ids = {
        "routine": add_request(priority="routine", slot=base, created_at=NOW, status="contacted"),
        "high_none": add_request(priority="high", created_at=NOW, status="contacted"),
        "high_late": add_request(
            priority="high", slot=base + timedelta(hours=2), created_at=NOW, status="contacted"
        ),
        "high_soon": add_request(
            priority="high", slot=base + timedelta(hours=1), created_at=NOW, status="contacted"
        ),
        "urgent_none": add_request(priority="urgent", created_at=NOW, status="contacted"),
        "urgent": add_request(
            priority="urgent", slot=base + timedelta(days=9), created_at=NOW, status="contacted"
        ),
    }
    with app.test_request_context():
        page = queue.page(QueueFilters(), 1, tz=NY)
        order = [r.id for r in page.items]
    expected = ["urgent", "urgent_none", "high_soon", "high_late", "high_none", "routine"]
    assert order == [ids[name] for name in expected]


def test_overview_buckets_by_local_monday(app, add_request):
    # Sunday Nov 15, 23:30 in New York is Monday 04:30 UTC: it belongs to the week of Nov 9.
    add_request(
        priority="urgent",
        created_at=datetime(2026, 11, 15, 23, 30, tzinfo=NY),
        phq9=(3, 3, 3, 3, 3, 3, 3, 3, 1),
    )
    add_request(priority="high", created_at=datetime(2026, 11, 16, 0, 10, tzinfo=NY))
    add_request(priority="routine", created_at=datetime(2026, 11, 18, 9, 0, tzinfo=NY))
    # The week after the DST change (Nov 1) starts at local midnight too.
    add_request(priority="routine", created_at=datetime(2026, 11, 1, 23, 59, tzinfo=NY))
    add_request(priority="routine", created_at=datetime(2026, 11, 2, 0, 1, tzinfo=NY))
    add_request(priority="routine", created_at=datetime(2026, 8, 1, 12, 0, tzinfo=NY))  # too old
    add_request(priority="routine", created_at=NOW + timedelta(hours=1))  # after now
    with app.test_request_context():
        overview = queue.overview(now=NOW, tz=NY)
    weeks = {w.starts_on: w for w in overview.weeks}
    assert len(overview.weeks) == 12
    assert overview.weeks[0].starts_on == date(2026, 8, 31)
    assert overview.weeks[-1].starts_on == date(2026, 11, 16)
    assert weeks[date(2026, 11, 9)].by_priority == {Priority.URGENT: 1, Priority.HIGH: 0, Priority.ROUTINE: 0}
    assert weeks[date(2026, 11, 16)].by_priority == {
        Priority.URGENT: 0,
        Priority.HIGH: 1,
        Priority.ROUTINE: 1,
    }
    assert weeks[date(2026, 10, 26)].total == 1
    assert weeks[date(2026, 11, 2)].total == 1
    assert sum(w.total for w in overview.weeks) == 5
    assert overview.bands[Phq9Band.SEVERE] == 1 and overview.bands[Phq9Band.MILD] == 4
    assert overview.total == 5


def test_overview_is_one_query_whatever_the_data(app, queries, add_request):
    with app.test_request_context():
        with queries() as empty:
            queue.overview(now=NOW, tz=NY)
    for i in range(30):
        add_request(priority=["urgent", "high", "routine"][i % 3], created_at=NOW - timedelta(days=i * 2))
    with app.test_request_context():
        with queries() as full:
            overview = queue.overview(now=NOW, tz=NY)
    assert len(empty) == len(full) == 1
    assert sum(w.total for w in overview.weeks) == 30  # at most 58 days back: all inside 12 weeks
    assert "GROUP BY" in full[0]


def test_rows_mark_overdue_and_due_times(app, add_request):
    late = add_request(priority="high", created_at=datetime(2026, 11, 16, 9, 0, tzinfo=NY))
    with app.test_request_context():
        page = queue.page(QueueFilters(), 1, tz=NY)
        [row] = queue.rows(list(page.items), now=NOW, tz=NY, business_days=frozenset(range(6)))
    assert row.request.id == late
    assert row.overdue and row.due_at == datetime(2026, 11, 17, 9, 0, tzinfo=NY)
    assert row.age == "2 d"


def test_open_weekdays_from_hours():
    assert queue.open_weekdays({0: object(), 1: None, 6: object()}) == frozenset({0, 6})
    assert queue.open_weekdays(dict.fromkeys(range(7))) == frozenset(range(6))


def test_overview_is_kept_until_the_tallies_change_or_a_week_starts(app, queries, add_request):
    """The queue passes the tallies it read; the same tallies in the same week reuse the overview, with
    no query. A new request (or any move between statuses) changes them, and so does a new week."""
    add_request(priority="high", created_at=NOW - timedelta(days=2))

    def drawn(now):
        with app.test_request_context():
            revision = queue.counts(QueueFilters(open_only=True), tz=NY).revision
            with queries() as sent:
                result = queue.overview(now=now, tz=NY, revision=revision)
            return result, len(sent)

    first, sent = drawn(NOW)
    assert sent == 1 and first.total == 1
    again, sent = drawn(NOW + timedelta(hours=1))
    assert sent == 0 and again is first
    add_request(priority="urgent", created_at=NOW - timedelta(hours=1))
    changed, sent = drawn(NOW + timedelta(hours=1))
    assert sent == 1 and changed.total == 2
    assert changed.weeks[-1].by_priority[Priority.URGENT] == 1
    next_week, sent = drawn(NOW + timedelta(days=7))
    assert sent == 1 and next_week.weeks[-1].starts_on == changed.weeks[-1].starts_on + timedelta(days=7)
    with app.test_request_context():
        assert queue.overview(now=NOW + timedelta(days=7), tz=NY).as_dict() == next_week.as_dict()


def test_the_open_queue_index_covers_exactly_the_open_statuses():
    from clinic.models.requests import OPEN_PREDICATE
    from clinic.triage.workflow import OPEN_STATUSES

    listed = OPEN_PREDICATE.removeprefix("status IN (").removesuffix(")")
    assert [value.strip(" '") for value in listed.split(",")] == [s.value for s in OPEN_STATUSES]


def test_a_page_reads_only_what_the_queue_shows_in_one_statement(app, queries, add_request, make_staff):
    """Columns, not ORM objects: no contact details beyond the phone, no answers, no notes read or
    decrypted; the assignee's name and an unresolved flag come in the same statement."""
    nurse = make_staff(email="nurse.queue@clinic.example", name="Nia Nurse")
    add_request(priority="high", created_at=NOW, status="contacted", assigned_to_id=nurse)
    add_request(priority="routine", created_at=NOW, slot=datetime(2026, 11, 24, 9, 0, tzinfo=NY))
    with app.test_request_context():
        with queries() as sent:
            page = queue.page(QueueFilters(), 1, tz=NY, total=2)
    assert len(sent) == 1
    for unshown in ("email", "date_of_birth", "phq9_answers", "conditions", "medications", "notes"):
        assert f"consultation_requests.{unshown}" not in sent[0]
    assert all(isinstance(item, queue.QueueItem) for item in page.items)
    assert [item.assignee for item in page.items] == ["Nia Nurse", None]
    assert (page.total, page.pages, page.has_next, page.has_prev) == (2, 1, False, False)


def test_pages_past_the_last_are_empty(app, add_request):
    for _ in range(3):
        add_request(priority="routine", created_at=NOW)
    with app.test_request_context():
        second = queue.page(QueueFilters(), 2, tz=NY, per_page=2)
        beyond = queue.page(QueueFilters(), 9, tz=NY, per_page=2)
    assert (len(second.items), second.pages, second.prev_num, second.next_num) == (1, 2, 1, None)
    assert beyond.items == [] and beyond.total == 3


def test_a_row_carries_its_latest_check_in_score_and_change(app, add_request, make_staff):
    from clinic.services.casework import checkins

    request_id = add_request(priority="high", created_at=NOW, phq9=(3, 3, 3, 3, 3, 3, 3, 3, 0))  # 24
    other = add_request(priority="routine", created_at=NOW)
    staff = make_staff(email="checkin.sender@clinic.example")
    with app.test_request_context():
        for answers in ((2,) * 8 + (0,), (1,) * 8 + (0,)):  # 16, then 8
            check_in = checkins.send(request_id, actor_id=staff, now=NOW)
            checkins.answer(check_in.id, answers, None, now=NOW + timedelta(minutes=5))
        checkins.send(other, actor_id=staff, now=NOW)  # sent, not answered
        items = {item.id: item for item in queue.page(QueueFilters(), 1, tz=NY).items}
    assert (items[request_id].latest_score, items[request_id].latest_change) == (8, -16)
    assert (items[other].latest_score, items[other].latest_change) == (None, None)
