"""clinic.scheduling.agenda: a day laid out slot by slot, closures marked, off-grid bookings kept. No app."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.scheduling import BookingRules, ClosureRule, DayHours, Schedule
from clinic.scheduling.agenda import lay_out, lay_out_day

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}


@dataclass(frozen=True)
class Held:
    starts_at: datetime
    name: str = ""


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY).astimezone(UTC)


def schedule(closures=()) -> Schedule:
    return Schedule(WEEK, list(closures), BookingRules())


def test_a_day_has_every_slot_of_its_hours_with_its_bookings():
    on_grid, off_grid = Held(at(MONDAY, 9), "on"), Held(at(MONDAY, 9, 10), "off")
    day = lay_out_day(schedule(), MONDAY, [on_grid, off_grid])
    assert day.is_open and len(day.slots) == 19
    assert day.slots[0].starts_at == at(MONDAY, 8) and day.slots[-1].ends_at == at(MONDAY, 17, 30)
    assert day.slots[2].bookings == [on_grid]
    assert day.off_grid == [off_grid] and day.bookings == [on_grid, off_grid]


def test_closures_mark_their_slots_and_close_whole_days():
    training = ClosureRule(MONDAY, MONDAY, "Training", time(12), time(14))
    holiday = ClosureRule(MONDAY + timedelta(days=1), MONDAY + timedelta(days=1), "Holiday")
    s = schedule([training, holiday])
    monday = lay_out_day(s, MONDAY, [])
    closed = [slot.starts_at for slot in monday.slots if slot.closed_reason == "Training"]
    assert closed == [at(MONDAY, 12) + timedelta(minutes=30 * i) for i in range(4)]
    assert monday.part_closures == [training] and monday.is_open
    tuesday = lay_out_day(s, MONDAY + timedelta(days=1), [])
    assert tuesday.closure == holiday and not tuesday.is_open
    assert all(slot.closed_reason == "Holiday" for slot in tuesday.slots)
    sunday = lay_out_day(s, MONDAY + timedelta(days=6), [])
    assert sunday.slots == [] and not sunday.is_open


def test_a_week_puts_each_booking_on_its_local_day():
    late = Held(at(MONDAY, 17))  # 22:00 UTC, still Monday in New York
    agenda = lay_out(schedule(), MONDAY, 7, [late, Held(at(MONDAY + timedelta(days=2), 8))])
    assert [d.date for d in agenda.days] == [MONDAY + timedelta(days=i) for i in range(7)]
    assert agenda.days[0].bookings == [late] and agenda.booking_count == 2
