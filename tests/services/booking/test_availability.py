"""clinic.services.booking.availability: offered slots read in a fixed number of queries, what to offer a
patient for the time they asked for, and the slot picker's week."""

from datetime import UTC, date, datetime

import pytest

from clinic.scheduling import OutsideOpeningHours, SlotUnavailable
from clinic.services.booking import availability
from tests.services.helpers import local, set_capacity

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York


def test_an_offered_slot_and_why_others_are_not(ctx, add_request):
    slot = availability.offered_slot(local(24, 9), now=NOW)
    assert (slot.starts_at, slot.ends_at, slot.remaining) == (local(24, 9), local(24, 9, 30), 1)
    add_request(slot=local(24, 9))
    with pytest.raises(SlotUnavailable):
        availability.offered_slot(local(24, 9), now=NOW)
    with pytest.raises(OutsideOpeningHours):
        availability.offered_slot(local(29, 9), now=NOW)  # a Sunday


def test_remaining_seats_count_the_active_bookings_only(ctx, add_request):
    set_capacity(2)
    add_request(slot=local(24, 9))
    add_request(slot=local(24, 9), cancelled=True)
    assert availability.offered_slot(local(24, 9), now=NOW).remaining == 1


def test_nearest_slots_surround_the_wanted_time_in_time_order(ctx):
    nearest = availability.nearest_slots(local(24, 12), now=NOW, limit=4)
    assert [s.starts_at for s in nearest] == [
        local(24, 11),
        local(24, 11, 30),
        local(24, 12),
        local(24, 12, 30),
    ]
    earliest = availability.nearest_slots(None, now=NOW, limit=1)
    assert earliest[0].starts_at == local(23, 10)  # two hours' notice from Monday 08:00


def test_offer_for_the_wanted_slot_or_the_nearest_instead(ctx, add_request):
    assert availability.offer_for(local(24, 9), now=NOW).slot.starts_at == local(24, 9)
    assert availability.offer_for(local(24, 9), now=NOW).nearest == []
    taken = availability.offer_for(local(24, 9), now=NOW, taken=True)
    assert taken.slot is None and len(taken.nearest) == 6  # the caller knows it went: alternatives only
    add_request(slot=local(24, 9))
    gone = availability.offer_for(local(24, 9), now=NOW)
    assert gone.slot is None and len(gone.nearest) == 6
    nothing = availability.offer_for(None, now=NOW)
    assert nothing.slot is None and nothing.nearest[0].starts_at == local(23, 10)


def test_the_picker_week_clamps_into_the_bookable_weeks(ctx):
    week = availability.picker_week(date(2026, 11, 26), now=NOW)
    assert (week.week, week.today, week.previous, week.following) == (
        date(2026, 11, 23),
        date(2026, 11, 23),
        None,
        date(2026, 11, 30),
    )
    assert [d.date for d in week.days] == [date(2026, 11, 23 + i) for i in range(7)]
    assert availability.picker_week(date(2020, 1, 1), now=NOW).week == date(2026, 11, 23)
    last = availability.picker_week(date(2030, 1, 1), now=NOW)
    assert last.week == date(2027, 1, 18) and last.following is None  # the week 60 days ahead falls in
    unclamped = availability.picker_week(date(2020, 1, 1), now=NOW, clamp=False)
    assert unclamped.week == date(2019, 12, 30) and unclamped.previous is None


def test_an_empty_week_gives_way_to_the_next_when_asked(ctx):
    sunday_evening = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert availability.picker_week(date(2026, 11, 29), now=sunday_evening).week == date(2026, 11, 23)
    skipped = availability.picker_week(date(2026, 11, 29), now=sunday_evening, skip_empty=True)
    assert skipped.week == date(2026, 11, 30) and skipped.previous == date(2026, 11, 23)


def test_days_cost_the_same_queries_whatever_the_window(app, queries, add_request):
    for day in range(24, 28):
        add_request(slot=local(day, 9))
    counted = []
    for days in (1, 7, 60):
        with app.test_request_context(), queries() as statements:  # settings read once per request
            availability.days_from(date(2026, 11, 23), days, now=NOW)
        counted.append(len(statements))
    assert len(set(counted)) == 1 and counted[0] <= 3
