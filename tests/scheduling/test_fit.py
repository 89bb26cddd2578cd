"""clinic.scheduling.fit: which bookings a change of hours, closures or rules leaves outside. No app."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.scheduling import BookingRules, ClosureRule, DayHours, Schedule
from clinic.scheduling.fit import fits, left_outside

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}


@dataclass(frozen=True)
class Held:
    booking_id: int
    starts_at: datetime
    ends_at: datetime
    is_flagged: bool


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY).astimezone(UTC)


def ref(starts_at: datetime, minutes: int = 30, *, flagged: bool = False, booking_id: int = 1) -> Held:
    return Held(booking_id, starts_at, starts_at + timedelta(minutes=minutes), flagged)


def schedule(week=WEEK, closures_=(), slot_minutes=30, tz="America/New_York") -> Schedule:
    return Schedule(week, list(closures_), BookingRules(tz, slot_minutes, 1, 2, 60))


def test_fits_only_on_a_grid_start_with_room_to_its_end():
    s = schedule()
    assert fits(s, at(MONDAY, 9), at(MONDAY, 9, 30), {})
    assert not fits(s, at(MONDAY, 9, 15), at(MONDAY, 9, 45), {})
    assert not fits(s, at(MONDAY, 17, 30), at(MONDAY, 18), {})  # after closing
    assert fits(s, at(MONDAY, 9), at(MONDAY, 10), {})  # a 60-minute booking spans two 30-minute slots
    assert not fits(s, at(MONDAY, 17), at(MONDAY, 18), {})  # runs past closing


def test_shorter_hours_leave_late_bookings_outside():
    current = schedule()
    proposed = schedule(WEEK | {0: DayHours(time(9), time(12))})
    kept, early, late = (
        ref(at(MONDAY, 9), booking_id=1),
        ref(at(MONDAY, 8), booking_id=2),
        ref(at(MONDAY, 12), booking_id=3),
    )
    assert left_outside(current, proposed, [late, kept, early]) == [early, late]


def test_already_flagged_booking_outside_both_is_not_listed_again():
    current = schedule(WEEK | {0: DayHours(time(9), time(12))})
    proposed = schedule(WEEK | {0: DayHours(time(10), time(12))})
    old = ref(at(MONDAY, 8), flagged=True, booking_id=1)
    unflagged = ref(at(MONDAY, 8, 30), booking_id=2)
    newly = ref(at(MONDAY, 9), flagged=True, booking_id=3)  # flagged earlier, fine now, outside again
    assert left_outside(current, proposed, [old, unflagged, newly]) == [unflagged, newly]


def test_part_day_closure_leaves_only_overlapping_bookings_outside():
    current = schedule()
    closure = ClosureRule(FRIDAY, FRIDAY, "Training", time(12), time(14))
    proposed = schedule(closures_=[closure])
    inside = [ref(at(FRIDAY, h, m), booking_id=i) for i, (h, m) in enumerate([(12, 0), (13, 30)], 1)]
    outside = [ref(at(FRIDAY, h, m), booking_id=i) for i, (h, m) in enumerate([(11, 30), (14, 0)], 10)]
    assert left_outside(current, proposed, inside + outside) == inside


def test_slot_length_change_keeps_only_bookings_on_the_new_grid():
    current = schedule()
    proposed = schedule(slot_minutes=45)
    on_grid = ref(at(MONDAY, 8, 45), booking_id=1)  # 08:45 is the second 45-minute slot
    off_grid = ref(at(MONDAY, 8, 30), booking_id=2)
    assert left_outside(current, proposed, [on_grid, off_grid]) == [off_grid]


def test_timezone_change_compares_the_same_instant_on_the_new_local_grid():
    current = schedule()
    proposed = schedule(tz="America/Chicago")  # an hour behind: 08:00 New York is 07:00 Chicago
    first = ref(at(MONDAY, 8), booking_id=1)
    later = ref(at(MONDAY, 9), booking_id=2)  # 08:00 in Chicago: still on its grid
    assert left_outside(current, proposed, [first, later]) == [first]
