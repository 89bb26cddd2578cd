"""clinic.admin.charts: the coming days of the hours page, in words as well as bars."""

from datetime import UTC, date, datetime, time

from clinic.admin.charts import week_chart
from clinic.scheduling import BookingRules, ClosureRule, DayHours, Schedule

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
FRIDAY = date(2026, 11, 27)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}


def schedule(week=WEEK, closures_=(), slot_minutes=30, tz="America/New_York") -> Schedule:
    return Schedule(week, list(closures_), BookingRules(tz, slot_minutes, 1, 2, 60))


def test_week_chart_marks_slots_closures_and_closed_days_in_words():
    closure = ClosureRule(FRIDAY, FRIDAY, "Training", time(12), time(14))
    holiday = ClosureRule(date(2026, 11, 26), date(2026, 11, 26), "Thanksgiving")
    chart = week_chart(schedule(WEEK | {0: DayHours(time(9), time(12))}, [closure, holiday]), NOW.date(), 7)
    texts = [row.text for row in chart.rows]
    assert texts[0] == "Saturday November 21: open 08:00–17:30, 19 slots, 08:00 to 17:00."
    assert texts[1] == "Sunday November 22: closed."
    assert texts[2] == "Monday November 23: open 09:00–12:00, 6 slots, 09:00 to 11:30."
    assert texts[5] == "Thursday November 26: closed all day (Thanksgiving)."
    assert (
        texts[6]
        == "Friday November 27: open 08:00–17:30, 15 slots, 08:00 to 17:00; closed 12:00–14:00 (Training)."
    )
    friday = chart.rows[6]
    assert [b.kind for b in friday.boxes].count("closure") == 1
    assert all(0 < box.x and box.x + box.width <= chart.width for row in chart.rows for box in row.boxes)
