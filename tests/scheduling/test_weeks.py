"""clinic.scheduling.weeks: the weeks a slot picker pages through. No app."""

from datetime import date

from clinic.scheduling import BookableWeeks, monday_of

TODAY = date(2026, 11, 25)  # a Wednesday


def test_monday_of():
    assert monday_of(date(2026, 11, 23)) == date(2026, 11, 23)
    assert monday_of(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday belongs to the week before
    assert monday_of(date(2026, 12, 1)) == date(2026, 11, 30)


def test_bookable_weeks_run_from_this_week_to_the_horizons():
    weeks = BookableWeeks.from_today(TODAY, 60)
    assert (weeks.first, weeks.last) == (date(2026, 11, 23), date(2027, 1, 18))
    assert weeks.clamp(date(2026, 1, 1)) == weeks.first
    assert weeks.clamp(date(2028, 1, 1)) == weeks.last
    assert weeks.clamp(date(2026, 12, 10)) == date(2026, 12, 7)


def test_no_link_before_the_first_week_or_past_the_last():
    weeks = BookableWeeks.from_today(TODAY, 6)
    assert (weeks.previous(weeks.first), weeks.following(weeks.first)) == (None, date(2026, 11, 30))
    assert (weeks.previous(weeks.last), weeks.following(weeks.last)) == (date(2026, 11, 23), None)
