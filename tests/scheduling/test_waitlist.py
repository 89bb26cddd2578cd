"""Who gets a freed seat, with no app and no database: worked examples, then properties."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.scheduling import Interval
from clinic.scheduling.waitlist import (
    WAITLIST_DAYS,
    PartOfDay,
    WaitingEntry,
    Wishes,
    choose_recipient,
    days_text,
    in_queue_order,
    inside_notice,
    is_eligible,
    offer_expiry,
    parse_days,
)
from clinic.triage.enums import Priority

NY = ZoneInfo("America/New_York")
TUESDAY = date(2026, 11, 24)
NOTICE = timedelta(hours=2)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def seat(day: date = TUESDAY, hour: int = 10, minute: int = 0) -> Interval:
    start = local(day, hour, minute).astimezone(UTC)
    return Interval(start, start + timedelta(minutes=30))


def entry(
    entry_id: int,
    priority: Priority = Priority.ROUTINE,
    joined: int = 0,
    booked: datetime | None = None,
    wishes: Wishes | None = None,
    open_offer: bool = False,
) -> WaitingEntry:
    return WaitingEntry(
        entry_id=entry_id,
        priority=priority,
        joined_at=NOW - timedelta(days=10) + timedelta(hours=joined),
        booked_at=booked or local(date(2026, 12, 7), 9),
        wishes=wishes or Wishes(earliest=date(2026, 11, 21)),
        has_open_offer=open_offer,
    )


def choose(slot, entries, **kwargs):
    return choose_recipient(slot, entries, now=NOW, notice=NOTICE, timezone="America/New_York", **kwargs)


def test_urgent_first_then_high_then_routine_then_earliest_to_join():
    routine_early = entry(1, Priority.ROUTINE, joined=0)
    high_late = entry(2, Priority.HIGH, joined=5)
    high_early = entry(3, Priority.HIGH, joined=1)
    urgent_latest = entry(4, Priority.URGENT, joined=9)
    everyone = [routine_early, high_late, high_early, urgent_latest]
    assert choose(seat(), everyone) == urgent_latest
    assert choose(seat(), everyone[:3]) == high_early
    assert choose(seat(), everyone[:1]) == routine_early
    assert [e.entry_id for e in in_queue_order(everyone)] == [4, 3, 2, 1]


def test_only_a_later_booking_gains_from_the_seat():
    earlier = entry(1, Priority.URGENT, booked=local(TUESDAY, 9))
    same = entry(2, Priority.URGENT, booked=local(TUESDAY, 10))
    later = entry(3, Priority.ROUTINE, booked=local(TUESDAY, 10, 30))
    assert choose(seat(), [earlier, same, later]) == later
    assert choose(seat(), [earlier, same]) is None


def test_a_patient_with_an_open_offer_or_who_passed_on_this_seat_is_skipped():
    busy = entry(1, Priority.URGENT, open_offer=True)
    declined = entry(2, Priority.HIGH)
    next_in_line = entry(3)
    assert choose(seat(), [busy, declined, next_in_line], passed={2}) == next_in_line
    assert choose(seat(), [busy, declined], passed=[2]) is None


def test_never_a_seat_inside_the_notice_window():
    waiting = [entry(1, Priority.URGENT, wishes=Wishes(NOW.date()))]
    soon = Interval(NOW + NOTICE - timedelta(minutes=1), NOW + NOTICE + timedelta(minutes=29))
    assert inside_notice(soon, now=NOW, notice=NOTICE)
    assert choose(soon, waiting) is None
    just_in_time = Interval(NOW + NOTICE, NOW + NOTICE + timedelta(minutes=30))
    assert choose(just_in_time, waiting) == waiting[0]
    past = Interval(NOW - timedelta(hours=1), NOW - timedelta(minutes=30))
    assert choose(past, waiting) is None


@pytest.mark.parametrize(
    ("wishes", "slot", "matches"),
    [
        (Wishes(TUESDAY), seat(TUESDAY), True),
        (Wishes(TUESDAY + timedelta(days=1)), seat(TUESDAY), False),
        (Wishes(TUESDAY, frozenset({"tue", "thu"})), seat(TUESDAY), True),
        (Wishes(TUESDAY, frozenset({"mon", "wed"})), seat(TUESDAY), False),
        (Wishes(TUESDAY, part_of_day=PartOfDay.MORNING), seat(TUESDAY, 11, 30), True),
        (Wishes(TUESDAY, part_of_day=PartOfDay.MORNING), seat(TUESDAY, 12), False),
        (Wishes(TUESDAY, part_of_day=PartOfDay.AFTERNOON), seat(TUESDAY, 12), True),
        (Wishes(TUESDAY, part_of_day=PartOfDay.AFTERNOON), seat(TUESDAY, 11, 30), False),
        (Wishes(TUESDAY, frozenset(WAITLIST_DAYS)), seat(date(2026, 11, 29)), False),  # a Sunday
    ],
)
def test_wishes_are_read_in_clinic_time(wishes, slot, matches):
    assert wishes.match(slot, NY) is matches


def test_wishes_use_the_clinic_day_not_the_utc_day():
    # 20:00 on Tuesday in New York is already Wednesday 01:00 in UTC.
    evening = seat(TUESDAY, 20)
    assert evening.starts_at.date() == TUESDAY + timedelta(days=1)
    assert Wishes(TUESDAY, frozenset({"tue"}), PartOfDay.AFTERNOON).match(evening, NY)
    assert not Wishes(TUESDAY + timedelta(days=1)).match(evening, NY)


def test_unknown_days_are_refused():
    with pytest.raises(ValueError):
        Wishes(TUESDAY, frozenset({"sun"}))


# Properties ----------------------------------------------------------------------------------------

TIMEZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "UTC"]
NOW_P = datetime(2027, 3, 1, 15, tzinfo=UTC)
# about a third of the slots fall inside the notice window
half_hours = (st.integers(-48, -1) | st.integers(0, 14 * 48) | st.integers(0, 14 * 48)).map(
    lambda n: timedelta(minutes=30 * n)
)


@st.composite
def entries(draw, slot_start: datetime):
    """Entries around the slot, so that many are eligible and ties in priority and joining come up."""
    count = draw(st.integers(0, 12))
    ids = draw(st.lists(st.integers(1, 1000), min_size=count, max_size=count, unique=True))
    result = []
    for i in ids:
        wishes = Wishes(
            earliest=slot_start.date() + timedelta(days=draw(st.integers(-10, 2))),
            days=frozenset(draw(st.lists(st.sampled_from(WAITLIST_DAYS), max_size=6) | st.just([]))),
            part_of_day=draw(st.sampled_from(PartOfDay) | st.just(PartOfDay.ANY)),
        )
        result.append(
            WaitingEntry(
                entry_id=i,
                priority=draw(st.sampled_from(Priority)),
                joined_at=NOW_P - timedelta(hours=draw(st.integers(0, 5))),
                booked_at=slot_start + draw(st.integers(-6, 40 * 2).map(lambda n: timedelta(minutes=30 * n))),
                wishes=wishes,
                has_open_offer=draw(st.integers(0, 4)) == 0,
            )
        )
    return result


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_the_chosen_entry_matches_and_no_eligible_entry_ranks_before_it(data):
    tz_name = data.draw(st.sampled_from(TIMEZONES))
    tz = ZoneInfo(tz_name)
    notice = timedelta(hours=data.draw(st.integers(0, 72)))
    start = NOW_P + notice + data.draw(half_hours)
    slot = Interval(start, start + timedelta(minutes=30))
    waiting = data.draw(entries(start))
    passed = (
        set(data.draw(st.lists(st.sampled_from([e.entry_id for e in waiting]), max_size=3)))
        if waiting
        else set()
    )
    now = NOW_P
    chosen = choose_recipient(slot, waiting, now=now, notice=notice, timezone=tz_name, passed=passed)

    def suits(e: WaitingEntry) -> bool:  # the rules, restated from the raw data
        local = slot.starts_at.astimezone(tz)
        return (
            e.entry_id not in passed
            and not e.has_open_offer
            and e.booked_at > slot.starts_at
            and local.date() >= e.wishes.earliest
            and (
                not e.wishes.days or (local.weekday() < 6 and WAITLIST_DAYS[local.weekday()] in e.wishes.days)
            )
            and (
                e.wishes.part_of_day is PartOfDay.ANY
                or (e.wishes.part_of_day is PartOfDay.MORNING) == (local.hour < 12)
            )
        )

    suitable = [e for e in waiting if suits(e)]
    assert [e for e in waiting if is_eligible(e, slot, tz, passed=passed)] == suitable
    if slot.starts_at < now + notice:
        assert chosen is None
        return
    if chosen is None:
        assert suitable == []
        return
    assert chosen in suitable
    assert chosen.booked_at > slot.starts_at and not chosen.has_open_offer
    for other in suitable:
        if other is chosen:
            continue
        assert (other.priority.rank, other.joined_at, other.entry_id) > (
            chosen.priority.rank,
            chosen.joined_at,
            chosen.entry_id,
        )
        # In words: nobody more urgent is eligible, and nobody as urgent joined earlier.
        assert other.priority.rank >= chosen.priority.rank
        assert other.priority.rank > chosen.priority.rank or other.joined_at >= chosen.joined_at


@settings(max_examples=100, deadline=None)
@given(waiting=entries(NOW_P))
def test_queue_order_is_a_total_order_by_priority_then_joining(waiting):
    ordered = in_queue_order(waiting)
    assert sorted(e.entry_id for e in ordered) == sorted(e.entry_id for e in waiting)
    for a, b in pairwise(ordered):
        assert (a.priority.rank, a.joined_at) <= (b.priority.rank, b.joined_at)
    assert in_queue_order(reversed(waiting)) == ordered


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_several_freed_seats_go_down_the_line_one_offer_each(data):
    """What run-jobs does with a span of freed seats: each seat in time order to the first eligible entry,
    who then holds an open offer. Nobody gets two; each chosen one matched, had a later booking, and
    nobody eligible at that moment ranked before them."""
    tz_name = data.draw(st.sampled_from(TIMEZONES))
    tz = ZoneInfo(tz_name)
    notice = timedelta(hours=data.draw(st.integers(0, 48)))
    first = NOW_P + notice + data.draw(half_hours)
    starts = sorted({first + timedelta(minutes=30 * data.draw(st.integers(0, 200))) for _ in range(6)})
    slots = [Interval(s, s + timedelta(minutes=30)) for s in starts]
    waiting = data.draw(entries(first))
    chosen_ids = []
    for slot in slots:
        chosen = choose_recipient(slot, waiting, now=NOW_P, notice=notice, timezone=tz_name)
        eligible = [e for e in waiting if is_eligible(e, slot, tz)]
        if inside_notice(slot, now=NOW_P, notice=notice) or not eligible:
            assert chosen is None
            continue
        assert chosen is not None and chosen in eligible
        assert chosen.booked_at > slot.starts_at and chosen.wishes.match(slot, tz)
        assert chosen == in_queue_order(eligible)[0]
        assert chosen.entry_id not in chosen_ids
        chosen_ids.append(chosen.entry_id)
        waiting = [replace(e, has_open_offer=True) if e is chosen else e for e in waiting]


@settings(max_examples=300, deadline=None)
@given(
    minutes_ahead=st.integers(-60, 7 * 24 * 60),
    hold=st.integers(5, 1440),
    notice_hours=st.integers(0, 168),
)
def test_an_offer_never_runs_into_the_notice_window(minutes_ahead, hold, notice_hours):
    start = NOW_P + timedelta(minutes=minutes_ahead)
    slot = Interval(start, start + timedelta(minutes=30))
    notice = timedelta(hours=notice_hours)
    expires = offer_expiry(slot, now=NOW_P, hold=timedelta(minutes=hold), notice=notice)
    assert expires <= NOW_P + timedelta(minutes=hold)
    assert expires <= slot.starts_at - notice
    assert expires in {NOW_P + timedelta(minutes=hold), slot.starts_at - notice}


@given(st.lists(st.sampled_from(WAITLIST_DAYS)))
def test_days_are_stored_in_week_order_and_read_back(days):
    text = days_text(days)
    assert parse_days(text) == frozenset(days)
    assert text == ",".join(d for d in WAITLIST_DAYS if d in days)
    assert parse_days("sun,mon,,xyz") == frozenset({"mon"})
