"""The scheduling core, with no app and no database: worked examples, then properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.scheduling import (
    BookingRules,
    ClosureRule,
    DayHours,
    Interval,
    OutsideOpeningHours,
    Schedule,
    SlotUnavailable,
    parse_slot,
)

NY = ZoneInfo("America/New_York")
DEFAULT_HOURS = {day: DayHours(time(8), time(17, 30)) for day in range(6)} | {6: None}
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def default_schedule(closures=(), **rules) -> Schedule:
    return Schedule(DEFAULT_HOURS, list(closures), BookingRules(**rules))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def test_default_weekday_has_19_slots_last_at_1700():
    monday = date(2026, 11, 23)
    (plan,) = default_schedule().availability(monday, 1, [], now=local(monday, 0) - timedelta(days=1))
    starts = [s.starts_at.astimezone(NY).time() for s in plan.slots]
    assert len(starts) == 19
    assert starts[0] == time(8) and starts[-1] == time(17)
    assert all(s.ends_at.astimezone(NY).time() <= time(17, 30) for s in plan.slots)


def test_sunday_is_closed():
    sunday = date(2026, 11, 29)
    (plan,) = default_schedule().availability(sunday, 1, [], now=local(sunday, 0) - timedelta(days=1))
    assert not plan.is_open and plan.slots == () and plan.opens is None


def test_monday_after_spring_dst_change_opens_at_0800_local():
    monday = date(2027, 3, 15)  # the clocks went forward on Sunday 14 March 2027
    (plan,) = default_schedule().availability(monday, 1, [], now=datetime(2027, 3, 10, tzinfo=UTC))
    first = plan.slots[0].starts_at.astimezone(NY)
    assert (first.hour, first.minute) == (8, 0)
    assert first.utcoffset() == timedelta(hours=-4)
    assert len(plan.slots) == 19


def test_monday_after_autumn_dst_change_opens_at_0800_local():
    monday = date(2026, 11, 2)
    (plan,) = default_schedule().availability(monday, 1, [], now=datetime(2026, 10, 28, tzinfo=UTC))
    assert plan.slots[0].starts_at.astimezone(NY).time() == time(8)
    assert plan.slots[0].starts_at.astimezone(NY).utcoffset() == timedelta(hours=-5)


def test_dst_day_itself_keeps_every_slot_the_same_length():
    sunday = date(2027, 3, 14)
    hours = {6: DayHours(time(0), time(6))}
    (plan,) = Schedule(hours, [], BookingRules()).availability(
        sunday, 1, [], now=datetime(2027, 3, 10, tzinfo=UTC)
    )
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in plan.slots)
    assert len(plan.slots) == 10  # 00:00–06:00 local is only five hours that night


def test_45_minute_slots_give_12_the_last_at_1615():
    monday = date(2026, 11, 23)
    (plan,) = default_schedule(slot_minutes=45).availability(monday, 1, [], now=local(monday, 0))
    assert len(plan.slots) == 12
    assert plan.slots[-1].starts_at.astimezone(NY).time() == time(16, 15)
    assert plan.slots[-1].ends_at.astimezone(NY).time() == time(17, 0)


def test_whole_day_closure_closes_the_day_with_its_reason():
    friday = date(2026, 11, 27)
    closure = ClosureRule(friday, friday, "Thanksgiving")
    (plan,) = default_schedule([closure]).availability(friday, 1, [], now=local(friday, 0))
    assert not plan.is_open and plan.closure_reason == "Thanksgiving"


def test_part_day_closure_removes_only_overlapping_slots():
    friday = date(2026, 11, 27)
    closure = ClosureRule(friday, friday, "Staff training", time(12), time(14))
    (plan,) = default_schedule([closure]).availability(friday, 1, [], now=local(friday, 0))
    times = [s.starts_at.astimezone(NY).time() for s in plan.slots]
    assert time(11, 30) in times and time(14) in times
    assert not any(time(12) <= t < time(14) for t in times)
    assert len(times) == 15 and plan.part_closures == (closure,)


def test_notice_and_horizon_limit_the_offer():
    monday = date(2026, 11, 23)
    now = local(monday, 9, 10)
    (plan,) = default_schedule().availability(monday, 1, [], now=now)
    assert plan.slots[0].starts_at.astimezone(NY).time() == time(11, 30)
    far = monday + timedelta(days=61)
    (late,) = default_schedule().availability(far, 1, [], now=now)
    assert late.slots == ()


def test_capacity_counts_remaining_seats():
    monday = date(2026, 11, 23)
    start = local(monday, 8).astimezone(UTC)
    booked = [Interval(start, start + timedelta(minutes=30))] * 2
    (plan,) = default_schedule(capacity=3).availability(monday, 1, booked, now=local(monday, 0))
    assert plan.slots[0].remaining == 1
    (full,) = default_schedule(capacity=2).availability(monday, 1, booked, now=local(monday, 0))
    assert full.slots[0].starts_at != start


def test_offered_explains_why_not():
    monday = date(2026, 11, 23)
    schedule = default_schedule()
    now = local(monday, 0)
    assert schedule.offered(local(monday, 9), [], now=now).remaining == 1
    with pytest.raises(OutsideOpeningHours):
        schedule.offered(local(monday, 9, 10), [], now=now)
    with pytest.raises(OutsideOpeningHours):
        schedule.offered(local(date(2026, 11, 29), 9), [], now=now)
    taken = local(monday, 9).astimezone(UTC)
    with pytest.raises(SlotUnavailable):
        schedule.offered(local(monday, 9), [Interval(taken, taken + timedelta(minutes=30))], now=now)


def test_nearest_offers_free_slots_around_the_target():
    monday = date(2026, 11, 23)
    now = local(monday, 0)
    taken = local(monday, 10).astimezone(UTC)
    nearest = default_schedule().nearest(
        taken, [Interval(taken, taken + timedelta(minutes=30))], now=now, limit=2
    )
    assert [s.starts_at.astimezone(NY).time() for s in nearest] == [time(9, 30), time(10, 30)]


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2026-11-23T08:00:00", "2026-13-01T08:00:00-05:00", "x" * 500]
)
def test_parse_slot_refuses_anything_but_an_aware_iso_time(text):
    with pytest.raises(ValueError):
        parse_slot(text)


def test_parse_slot_reads_offsets():
    assert parse_slot("2026-11-23T08:00:00-05:00") == datetime(2026, 11, 23, 13, tzinfo=UTC)


# Properties ------------------------------------------------------------------------------------

times = st.integers(min_value=0, max_value=47).map(
    lambda half_hours: time(half_hours // 2, 30 * (half_hours % 2))
)


@st.composite
def weekly_hours(draw):
    hours = {}
    for day in range(7):
        if draw(st.booleans()):
            opens = draw(times)
            closes = draw(times.filter(lambda t, o=opens: t > o))
            hours[day] = DayHours(opens, closes)
        else:
            hours[day] = None
    return hours


@st.composite
def closures(draw, start: date):
    result = []
    for _ in range(draw(st.integers(0, 4))):
        first = start + timedelta(days=draw(st.integers(0, 20)))
        last = first + timedelta(days=draw(st.integers(0, 3)))
        if draw(st.booleans()):
            result.append(ClosureRule(first, last, "closed"))
        else:
            begin = draw(times)
            end = draw(times.filter(lambda t, b=begin: t > b))
            result.append(ClosureRule(first, last, "part", begin, end))
    return result


timezones = st.sampled_from(
    ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "UTC"]
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_offered_slots_obey_every_rule(data):
    tz_name = data.draw(timezones)
    tz = ZoneInfo(tz_name)
    rules = BookingRules(
        timezone=tz_name,
        slot_minutes=data.draw(st.sampled_from([10, 15, 20, 30, 45, 60, 90, 240])),
        capacity=data.draw(st.integers(1, 4)),
        min_notice_hours=data.draw(st.integers(0, 72)),
        horizon_days=data.draw(st.integers(1, 30)),
    )
    start = data.draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 1)))
    hours = data.draw(weekly_hours())
    closed = data.draw(closures(start))
    schedule = Schedule(hours, closed, rules)
    # In UTC, as the app's clock gives it: aware local datetimes add timedeltas in wall-clock time.
    now = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC) + timedelta(
        minutes=data.draw(st.integers(-3000, 3000))
    )
    grid = [slot for offset in range(21) for slot in schedule.grid(start + timedelta(days=offset))]
    bookings = (
        [data.draw(st.sampled_from(grid)) for _ in range(data.draw(st.integers(0, 30)))] if grid else []
    )
    plans = schedule.availability(start, 21, bookings, now=now)

    for plan in plans:
        day_hours = hours[plan.date.weekday()]
        if day_hours is None:
            assert not plan.is_open and not plan.slots
            continue
        for slot in plan.slots:
            local_start, local_end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
            assert local_start.date() == plan.date
            assert slot.ends_at - slot.starts_at == rules.slot_length
            opens = datetime.combine(plan.date, day_hours.opens, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(plan.date, day_hours.closes, tzinfo=tz).astimezone(UTC)
            assert opens <= slot.starts_at and slot.ends_at <= closes, (local_start, local_end)
            assert slot.starts_at >= now + timedelta(hours=rules.min_notice_hours)
            assert slot.starts_at <= now + timedelta(days=rules.horizon_days)
            for closure in closed:
                if not closure.covers(plan.date):
                    continue
                assert not closure.is_whole_day, "a slot on a whole-day closure"
                blocked = Interval(
                    datetime.combine(plan.date, closure.start_time, tzinfo=tz).astimezone(UTC),
                    datetime.combine(plan.date, closure.end_time, tzinfo=tz).astimezone(UTC),
                )
                assert not Interval(slot.starts_at, slot.ends_at).overlaps(blocked)
            taken = sum(1 for b in bookings if b.starts_at < slot.ends_at and slot.starts_at < b.ends_at)
            assert 1 <= slot.remaining == rules.capacity - taken
        # nothing bookable is left out: every free grid slot within the rules is offered
        offered = {s.starts_at for s in plan.slots}
        for slot in schedule.grid(plan.date):
            taken = sum(1 for b in bookings if b.starts_at < slot.ends_at and slot.starts_at < b.ends_at)
            in_window = (
                now + timedelta(hours=rules.min_notice_hours)
                <= slot.starts_at
                <= now + timedelta(days=rules.horizon_days)
            )
            assert (slot.starts_at in offered) == (in_window and taken < rules.capacity)


def test_notice_counts_real_hours_across_the_autumn_dst_change():
    """Saturday 23:00 local plus 25 hours' notice is Sunday 23:00 local: the night has one more hour."""
    saturday = date(2027, 11, 6)
    hours = {day: DayHours(time(0), time(23, 30)) for day in range(7)}
    schedule = Schedule(hours, [], BookingRules(min_notice_hours=25))
    now = local(saturday, 23)  # local, not UTC: the engine must still count real hours
    (sunday,) = schedule.availability(date(2027, 11, 7), 1, [], now=now)
    assert sunday.slots[0].starts_at.astimezone(NY).time() == time(23)


def test_steady_until_is_the_next_slot_to_fall_inside_the_notice():
    """Monday 9:10 with two hours' notice: 11:00 has gone already; 11:30 is offered until 9:30 included."""
    monday = date(2026, 11, 30)
    schedule = default_schedule(min_notice_hours=2)
    now = local(monday, 9, 10).astimezone(UTC)
    until = schedule.steady_until(monday, monday + timedelta(days=6), now)
    assert until == local(monday, 9, 30).astimezone(UTC) + timedelta(microseconds=1)


def test_steady_until_stops_at_the_clinics_midnight_and_at_the_horizon():
    monday = date(2026, 11, 30)
    schedule = default_schedule(min_notice_hours=2, horizon_days=1)
    # Saturday 17:00: nothing left to fall inside the notice; Sunday's midnight comes first.
    now = local(monday + timedelta(days=5), 17).astimezone(UTC)
    assert schedule.steady_until(monday, monday + timedelta(days=6), now) == local(
        monday + timedelta(days=6), 0
    ).astimezone(UTC)
    # Monday 07:00, no notice, a one-day horizon: Tuesday's 8:00 enters the horizon at Monday 8:00, just
    # before Monday's 8:00 stops being offered.
    schedule = default_schedule(min_notice_hours=0, horizon_days=1)
    now = local(monday, 7).astimezone(UTC)
    assert schedule.steady_until(monday, monday + timedelta(days=2), now) == local(monday, 8).astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_availability_does_not_change_before_steady_until(data):
    """Whatever the rules, the answer at any instant from `now` up to (not including) steady_until is the
    answer at `now`: the promise the slot cache relies on. And at steady_until something changes, or a
    new day began."""
    tz_name = data.draw(timezones)
    tz = ZoneInfo(tz_name)
    rules = BookingRules(
        timezone=tz_name,
        slot_minutes=data.draw(st.sampled_from([10, 15, 30, 45, 60, 240])),
        capacity=data.draw(st.integers(1, 3)),
        min_notice_hours=data.draw(st.integers(0, 72)),
        horizon_days=data.draw(st.integers(1, 14)),
    )
    start = data.draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 1)))
    schedule = Schedule(data.draw(weekly_hours()), data.draw(closures(start)), rules)
    days = data.draw(st.integers(1, 21))
    last = start + timedelta(days=days - 1)
    now = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC) + timedelta(
        seconds=data.draw(st.integers(-5 * 86400, 5 * 86400))
    )
    until = schedule.steady_until(start, last, now)
    assert until > now

    def answer(at: datetime):
        return schedule.today(at), schedule.availability(start, days, [], now=at)

    before = answer(now)
    span = (until - now).total_seconds()
    for fraction in data.draw(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=5)):
        at = min(now + timedelta(seconds=span * fraction), until - timedelta(microseconds=1))
        assert answer(at) == before
    assert answer(until - timedelta(microseconds=1)) == before
