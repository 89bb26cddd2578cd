"""The course planner, with no app and no database: worked examples, then properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.scheduling import BookingRules, ClosureRule, DayHours, Interval, Schedule
from clinic.scheduling.courses import (
    INFUSION_KIND,
    INFUSION_PATTERN,
    NASAL_SPRAY_KIND,
    NASAL_SPRAY_PATTERN,
    ChairHold,
    CoursePattern,
    TreatmentKind,
    check_course,
    day_starts,
    free_chair,
    hold_units,
    nearest_starts,
    propose_course,
    session_fits,
    session_problems,
)

NY = ZoneInfo("America/New_York")
DEFAULT_HOURS = {day: DayHours(time(8), time(17, 30)) for day in range(6)} | {6: None}
MONDAY = date(2026, 11, 23)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def schedule(closures=(), hours=None, **rules) -> Schedule:
    return Schedule(hours or DEFAULT_HOURS, list(closures), BookingRules(**rules))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def local_times(sessions) -> list[tuple[date, time]]:
    return [(s.starts_at.astimezone(NY).date(), s.starts_at.astimezone(NY).time()) for s in sessions]


def codes(problems) -> set[str]:
    return {p.code for p in problems}


# Kinds and patterns --------------------------------------------------------------------------------


def test_default_kinds_hold_a_chair_for_dose_monitoring_and_turnover():
    assert INFUSION_KIND.care == minutes(70) and INFUSION_KIND.occupancy == minutes(85)
    assert NASAL_SPRAY_KIND.care == minutes(135) and NASAL_SPRAY_KIND.occupancy == minutes(150)


@pytest.mark.parametrize("monitoring", [0, 60, 119])
def test_esketamine_monitoring_below_120_minutes_is_refused(monitoring):
    with pytest.raises(ValueError, match="120 minutes"):
        TreatmentKind("nasal_spray", minutes(15), minutes(monitoring), minutes(15))


def test_other_kinds_may_monitor_for_less():
    assert TreatmentKind("infusion", minutes(40), minutes(20), minutes(0)).care == minutes(60)


@pytest.mark.parametrize(("dose", "monitoring", "turnover"), [(0, 30, 15), (40, -1, 15), (40, 30, -5)])
def test_kind_durations_must_make_sense(dose, monitoring, turnover):
    with pytest.raises(ValueError):
        TreatmentKind("infusion", minutes(dose), minutes(monitoring), minutes(turnover))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sessions": 0},
        {"sessions": 3, "min_gap_days": 0},
        {"sessions": 3, "per_week": (2, 2)},
        {"sessions": 3, "per_week": (3,), "min_gap_days": 4},
        {"sessions": 6, "within_days": 10},
    ],
)
def test_impossible_patterns_are_refused(kwargs):
    with pytest.raises(ValueError):
        CoursePattern(**kwargs)


def test_nasal_spray_weeks_follow_the_first_session():
    first = date(2027, 3, 5)  # a Friday: week 1 runs to the Thursday after
    assert NASAL_SPRAY_PATTERN.week_of(2) == 1 and NASAL_SPRAY_PATTERN.week_of(9) == 5
    assert NASAL_SPRAY_PATTERN.window(2, first) == (first, date(2027, 3, 11))
    assert NASAL_SPRAY_PATTERN.window(12, first) == (date(2027, 4, 23), date(2027, 4, 29))
    with pytest.raises(ValueError):
        NASAL_SPRAY_PATTERN.window(13, first)
    assert INFUSION_PATTERN.window(6, first) == (first, date(2027, 3, 25))
    assert INFUSION_PATTERN.week_of(3) is None


# Fitting one session -------------------------------------------------------------------------------


def test_default_hours_give_a_last_esketamine_start_of_1515():
    starts = day_starts(NASAL_SPRAY_KIND, MONDAY, schedule=schedule(), now=LONG_AGO)
    assert starts[0].astimezone(NY).time() == time(8)
    assert starts[-1].astimezone(NY).time() == time(15, 15)
    assert len(starts) == 30  # 08:00 to 15:15 every quarter hour
    late = session_problems(
        NASAL_SPRAY_KIND, local(MONDAY, 15, 30), 1, schedule=schedule(), holds=[], now=LONG_AGO
    )
    assert codes(late) == {"after_closing"}


def test_default_hours_give_a_last_infusion_start_of_1615():
    starts = day_starts(INFUSION_KIND, MONDAY, schedule=schedule(), now=LONG_AGO)
    assert starts[-1].astimezone(NY).time() == time(16, 15)
    assert not session_fits(
        INFUSION_KIND, local(MONDAY, 16, 30), 1, schedule=schedule(), holds=[], now=LONG_AGO
    )


def test_turnover_may_run_past_closing_but_monitoring_may_not():
    # 15:15 + 135 minutes of care ends at 17:30 sharp; the chair's turnover runs to 17:45.
    assert session_fits(
        NASAL_SPRAY_KIND, local(MONDAY, 15, 15), 1, schedule=schedule(), holds=[], now=LONG_AGO
    )


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (local(MONDAY, 9, 10), "off_grid"),
        (local(MONDAY, 7, 45), "before_opening"),
        (local(date(2026, 11, 29), 9), "closed_day"),  # a Sunday
        (local(MONDAY, 8, 30) - timedelta(seconds=1), "off_grid"),
    ],
)
def test_a_session_outside_the_rules_says_why(when, code):
    assert code in codes(
        session_problems(INFUSION_KIND, when, 1, schedule=schedule(), holds=[], now=LONG_AGO)
    )


def test_closures_keep_the_whole_chair_time_clear():
    whole = ClosureRule(MONDAY, MONDAY, "Thanksgiving")
    problems = session_problems(
        INFUSION_KIND, local(MONDAY, 9), 1, schedule=schedule([whole]), holds=[], now=LONG_AGO
    )
    assert codes(problems) == {"closure"} and "Thanksgiving" in problems[0].message
    training = ClosureRule(MONDAY, MONDAY, "Training", time(12), time(14))
    rules = schedule([training])
    # 10:45 + 85 minutes of chair time ends at 12:10: the turnover would run into the training.
    assert codes(
        session_problems(INFUSION_KIND, local(MONDAY, 10, 45), 1, schedule=rules, holds=[], now=LONG_AGO)
    ) == {"closure"}
    assert session_fits(INFUSION_KIND, local(MONDAY, 10, 30), 1, schedule=rules, holds=[], now=LONG_AGO)
    assert session_fits(INFUSION_KIND, local(MONDAY, 14), 1, schedule=rules, holds=[], now=LONG_AGO)


def test_notice_counts_from_now():
    now = local(MONDAY, 8)
    assert codes(
        session_problems(INFUSION_KIND, local(MONDAY, 9, 45), 1, schedule=schedule(), holds=[], now=now)
    ) == {"notice"}
    assert session_fits(INFUSION_KIND, local(MONDAY, 10), 1, schedule=schedule(), holds=[], now=now)


def test_notice_counts_real_hours_across_the_autumn_dst_change():
    """Saturday 23:00 local plus 25 hours' notice is Sunday 23:00 local: the night has one more hour."""
    late = {day: DayHours(time(0), time(23, 30)) for day in range(7)}
    quick = TreatmentKind("check", minutes(15), minutes(0), minutes(0))
    now = local(date(2027, 11, 6), 23)  # local, not UTC: the planner must still count real hours
    starts = day_starts(quick, date(2027, 11, 7), schedule=schedule(hours=late, min_notice_hours=25), now=now)
    assert starts[0].astimezone(NY).time() == time(23)


def test_a_chair_is_held_for_dose_monitoring_and_turnover():
    start = local(MONDAY, 9).astimezone(UTC)
    held = [ChairHold(1, Interval(start, start + INFUSION_KIND.occupancy))]  # 09:00–10:25
    assert codes(
        session_problems(
            INFUSION_KIND, local(MONDAY, 10, 15), 1, schedule=schedule(), holds=held, now=LONG_AGO
        )
    ) == {"chair_taken"}
    assert session_fits(
        INFUSION_KIND, local(MONDAY, 10, 30), 1, schedule=schedule(), holds=held, now=LONG_AGO
    )
    assert session_fits(
        INFUSION_KIND, local(MONDAY, 10, 15), 2, schedule=schedule(), holds=held, now=LONG_AGO
    )
    assert free_chair(INFUSION_KIND, local(MONDAY, 10), [1, 2], held) == 2
    assert free_chair(INFUSION_KIND, local(MONDAY, 10), [1], held) is None
    # A session being moved leaves its own hold out and may overlap where it was.
    assert session_fits(INFUSION_KIND, local(MONDAY, 9, 30), 1, schedule=schedule(), holds=[], now=LONG_AGO)


def test_day_starts_with_chairs_keeps_only_starts_with_a_free_chair():
    start = local(MONDAY, 8).astimezone(UTC)
    held = [ChairHold(1, Interval(start, start + timedelta(hours=8)))]
    free = day_starts(INFUSION_KIND, MONDAY, schedule=schedule(), now=LONG_AGO, chairs=[1], holds=held)
    assert [s.astimezone(NY).time() for s in free] == [time(16), time(16, 15)]


def test_a_day_opening_after_the_last_quarter_hour_has_no_start():
    night = {MONDAY.weekday(): DayHours(time(23, 50), time(23, 55))}
    assert day_starts(INFUSION_KIND, MONDAY, schedule=schedule(hours=night), now=LONG_AGO) == []


def test_hold_units_are_the_quarter_hours_a_session_touches():
    start = local(MONDAY, 9).astimezone(UTC)
    units = hold_units(Interval(start, start + INFUSION_KIND.occupancy))
    assert len(units) == 6 and units[0] == start and units[-1] == start + minutes(75)
    after = hold_units(Interval(start + minutes(90), start + minutes(175)))
    assert not set(units) & set(after)  # 10:30 is free again after a 09:00 infusion


# Proposing a course --------------------------------------------------------------------------------


def test_esketamine_course_across_the_spring_dst_change_keeps_its_local_times():
    first = date(2027, 3, 1)  # a Monday two weeks before the clocks go forward on 14 March 2027
    proposal = propose_course(
        NASAL_SPRAY_KIND,
        NASAL_SPRAY_PATTERN,
        first,
        time(9),
        schedule=schedule(),
        chairs=[1, 2],
        holds=[],
        now=datetime(2027, 2, 20, tzinfo=UTC),
    )
    assert proposal.complete and len(proposal.sessions) == 12
    assert {t for _, t in local_times(proposal.sessions)} == {time(9)}
    days = [d for d, _ in local_times(proposal.sessions)]
    assert days == [
        date(2027, 3, 1),
        date(2027, 3, 3),
        date(2027, 3, 8),
        date(2027, 3, 10),
        date(2027, 3, 15),
        date(2027, 3, 17),
        date(2027, 3, 22),
        date(2027, 3, 24),
        date(2027, 3, 29),
        date(2027, 4, 5),
        date(2027, 4, 12),
        date(2027, 4, 19),
    ]
    offsets = [s.starts_at.astimezone(NY).utcoffset() for s in proposal.sessions]
    assert offsets[:4] == [timedelta(hours=-5)] * 4 and offsets[4:] == [timedelta(hours=-4)] * 8
    first_session = proposal.sessions[0]
    assert first_session.care_ends_at - first_session.starts_at == minutes(135)
    assert first_session.ends_at - first_session.starts_at == minutes(150)
    assert first_session.hold == ChairHold(1, Interval(first_session.starts_at, first_session.ends_at))


def test_infusion_course_is_six_sessions_two_days_apart_within_21_days():
    proposal = propose_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        MONDAY,
        time(10),
        schedule=schedule(),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
    )
    days = [d for d, _ in local_times(proposal.sessions)]
    assert days == [date(2026, 11, d) for d in (23, 25, 27)] + [
        date(2026, 11, 30),
        date(2026, 12, 2),
        date(2026, 12, 4),
    ]
    assert proposal.starts == [s.starts_at for s in proposal.sessions]


def test_a_taken_preferred_time_moves_to_the_nearest_free_start_that_day():
    start = local(MONDAY, 9).astimezone(UTC)
    held = [ChairHold(c, Interval(start, start + NASAL_SPRAY_KIND.occupancy)) for c in (1, 2)]
    proposal = propose_course(
        NASAL_SPRAY_KIND,
        NASAL_SPRAY_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule(),
        chairs=[1, 2],
        holds=held,
        now=LONG_AGO,
    )
    # Anything before 11:30 runs into the held 09:00–11:30; 06:30 would be before opening.
    assert local_times(proposal.sessions[:2]) == [(MONDAY, time(11, 30)), (date(2026, 11, 25), time(9))]


def test_the_second_chair_is_used_when_the_first_is_taken():
    start = local(MONDAY, 9).astimezone(UTC)
    held = [ChairHold(1, Interval(start, start + NASAL_SPRAY_KIND.occupancy))]
    proposal = propose_course(
        NASAL_SPRAY_KIND,
        NASAL_SPRAY_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule(),
        chairs=[1, 2],
        holds=held,
        now=LONG_AGO,
    )
    assert proposal.sessions[0].chair_id == 2 and proposal.sessions[1].chair_id == 1


def test_notice_pushes_the_first_session_later_that_day():
    proposal = propose_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule(),
        chairs=[1],
        holds=[],
        now=local(MONDAY, 8),
    )
    assert local_times(proposal.sessions[:1]) == [(MONDAY, time(10))]


def test_a_closed_day_moves_the_session_to_the_next_allowed_day():
    wednesday = date(2026, 11, 25)
    proposal = propose_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule([ClosureRule(wednesday, wednesday, "Staff day")]),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
    )
    assert [d for d, _ in local_times(proposal.sessions)][:3] == [
        MONDAY,
        date(2026, 11, 26),
        date(2026, 11, 28),
    ]


def test_a_closed_week_leaves_sessions_missing_with_alternatives_and_the_rest_placed():
    week_two = ClosureRule(date(2027, 3, 8), date(2027, 3, 14), "Clinic closed")
    proposal = propose_course(
        NASAL_SPRAY_KIND,
        NASAL_SPRAY_PATTERN,
        date(2027, 3, 1),
        time(9),
        schedule=schedule([week_two]),
        chairs=[1],
        holds=[],
        now=datetime(2027, 2, 1, tzinfo=UTC),
    )
    assert not proposal.complete
    assert [m.number for m in proposal.missing] == [3, 4]
    missing = proposal.missing[0]
    assert (missing.earliest, missing.latest) == (date(2027, 3, 8), date(2027, 3, 14))
    assert missing.alternatives and len(missing.alternatives) <= 6
    placed_days = {d for d, _ in local_times(proposal.sessions)}
    for alternative in missing.alternatives:
        day = alternative.starts_at.astimezone(NY).date()
        assert not week_two.covers(day)
        assert all(abs((day - other).days) >= 2 for other in placed_days)
        assert alternative.number == 3
    # Session 5 is spaced from session 2, the last one placed.
    assert [s.number for s in proposal.sessions] == [1, 2, *range(5, 13)]
    assert local_times(proposal.sessions)[2] == (date(2027, 3, 15), time(9))


def test_alternatives_keep_their_distance_from_the_sessions_placed():
    closed = ClosureRule(date(2026, 11, 25), date(2026, 12, 13), "Renovation")
    proposal = propose_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule([closed]),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
    )
    assert local_times(proposal.sessions) == [(MONDAY, time(9))]
    alternatives = proposal.missing[0].alternatives
    assert len(alternatives) == 6
    # Tuesday would be nearest to the Wednesday asked for, but is a day after session 1.
    assert all(abs((a.starts_at.astimezone(NY).date() - MONDAY).days) >= 2 for a in alternatives)


def test_a_turnover_past_midnight_still_holds_the_chair_next_morning():
    all_day = {day: DayHours(time(0), time(23, 55)) for day in range(7)}
    late = TreatmentKind("late", minutes(60), minutes(0), minutes(40))
    busy = Interval(local(MONDAY, 0).astimezone(UTC), local(MONDAY, 22, 45).astimezone(UTC))
    proposal = propose_course(
        late,
        CoursePattern(2, min_gap_days=1),
        MONDAY,
        time(0),
        schedule=schedule(hours=all_day),
        chairs=[1],
        holds=[ChairHold(1, busy)],
        now=LONG_AGO,
    )
    # Session 1 only fits at 22:45, and its turnover holds the chair to 00:25 the next day.
    assert local_times(proposal.sessions) == [(MONDAY, time(22, 45)), (date(2026, 11, 24), time(0, 30))]


def test_an_unplaceable_first_session_anchors_the_pattern_on_the_start_date():
    closed = ClosureRule(MONDAY, MONDAY + timedelta(days=30), "Renovation")
    proposal = propose_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        MONDAY,
        time(9),
        schedule=schedule([closed]),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
        search_days=7,
    )
    assert proposal.sessions == () and [m.number for m in proposal.missing] == list(range(1, 7))
    assert proposal.missing[1].latest == MONDAY + timedelta(days=20)


def test_a_pattern_without_an_end_still_stops_searching():
    pattern = CoursePattern(2, min_gap_days=1)
    after_first = ClosureRule(MONDAY + timedelta(days=1), MONDAY + timedelta(days=400), "Closed")
    proposal = propose_course(
        INFUSION_KIND,
        pattern,
        MONDAY,
        time(9),
        schedule=schedule([after_first]),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
    )
    assert len(proposal.sessions) == 1 and proposal.missing[0].latest == MONDAY + timedelta(days=60)


def test_nearest_starts_offers_free_times_around_a_lost_one():
    start = local(MONDAY, 10).astimezone(UTC)
    held = [ChairHold(1, Interval(start, start + INFUSION_KIND.occupancy))]
    near = nearest_starts(
        INFUSION_KIND, start, schedule=schedule(), chairs=[1], holds=held, now=LONG_AGO, limit=2
    )
    assert [s.starts_at.astimezone(NY).time() for s in near] == [
        time(8, 30),
        time(11, 30),
    ]  # 08:45 would run to 10:10
    assert all(s.chair_id == 1 and s.number == 0 for s in near)
    elsewhere = nearest_starts(
        INFUSION_KIND,
        start,
        schedule=schedule(),
        chairs=[1],
        holds=held,
        now=LONG_AGO,
        limit=1,
        avoid=[MONDAY],
    )
    assert elsewhere[0].starts_at.astimezone(NY).date() != MONDAY


# Checking a course staff adjusted ------------------------------------------------------------------


def proposed(kind=INFUSION_KIND, pattern=INFUSION_PATTERN, first=MONDAY):
    return propose_course(
        kind, pattern, first, time(10), schedule=schedule(), chairs=[1, 2], holds=[], now=LONG_AGO
    )


def test_a_proposed_course_passes_its_check_in_any_order():
    starts = proposed().starts
    check = check_course(
        INFUSION_KIND,
        INFUSION_PATTERN,
        reversed(starts),
        schedule=schedule(),
        chairs=[1, 2],
        holds=[],
        now=LONG_AGO,
    )
    assert check.ok and [s.starts_at for s in check.sessions] == starts
    assert [s.chair_id for s in check.sessions] == [1] * 6


def test_check_course_flags_each_broken_rule_on_its_session():
    starts = proposed().starts
    starts[1] = starts[0] + timedelta(days=1)  # too close to the first
    starts[5] = starts[0] + timedelta(days=22)  # past the 21 days
    check = check_course(
        INFUSION_KIND, INFUSION_PATTERN, starts, schedule=schedule(), chairs=[1, 2], holds=[], now=LONG_AGO
    )
    assert not check.ok and check.problems == ()
    by_number = {s.number: codes(s.problems) for s in check.sessions}
    assert by_number[2] == {"too_close"}
    assert by_number[6] == {"outside_pattern"}
    assert by_number[1] == by_number[3] == set()


def test_check_course_flags_the_week_pattern_and_timing():
    starts = proposed(NASAL_SPRAY_KIND, NASAL_SPRAY_PATTERN, date(2027, 3, 1)).starts
    starts[2] = starts[1] + timedelta(days=2)  # session 3 still in week 1 (3 March + 2 = 5 March)
    starts[3] += timedelta(minutes=5)  # off the grid
    check = check_course(
        NASAL_SPRAY_KIND, NASAL_SPRAY_PATTERN, starts, schedule=schedule(), chairs=[1], holds=[], now=LONG_AGO
    )
    by_number = {s.number: s for s in check.sessions}
    assert codes(by_number[3].problems) == {"outside_pattern"}
    assert "week 2" in by_number[3].problems[0].message
    assert codes(by_number[4].problems) == {"off_grid"}


def test_check_course_counts_sessions_and_chairs():
    starts = proposed().starts
    doubled = [*starts, starts[-1] + timedelta(days=3)]  # the Monday after
    check = check_course(
        INFUSION_KIND, INFUSION_PATTERN, doubled, schedule=schedule(), chairs=[1], holds=[], now=LONG_AGO
    )
    assert codes(check.problems) == {"session_count"} and codes(check.sessions[-1].problems) == {"extra"}
    same = [starts[0], starts[0]]
    two = check_course(
        INFUSION_KIND,
        CoursePattern(2, min_gap_days=1),
        same,
        schedule=schedule(),
        chairs=[1],
        holds=[],
        now=LONG_AGO,
    )
    assert codes(two.sessions[1].problems) == {"no_chair", "too_close"} and two.sessions[1].chair_id is None


# Properties ----------------------------------------------------------------------------------------

TIMEZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "UTC"]


def _five(n: int) -> time:
    return time(n // 12, 5 * (n % 12))


# (opens, closes) at five-minute steps, closes after opens; half the time a working day of 4–11 hours.
spans = st.integers(0, 286).flatmap(lambda o: st.integers(o + 1, 287).map(lambda c: (_five(o), _five(c))))
working_days = st.integers(6 * 12, 10 * 12).flatmap(
    lambda o: st.integers(o + 4 * 12, o + 11 * 12).map(lambda c: (_five(o), _five(c)))
)


@st.composite
def weekly_hours(draw):
    hours = {}
    for day in range(7):
        if draw(st.integers(0, 4)):
            opens, closes = draw(working_days | spans)
            hours[day] = DayHours(opens, closes)
        else:
            hours[day] = None
    return hours


@st.composite
def closure_rules(draw, start: date):
    result = []
    for _ in range(draw(st.integers(0, 4))):
        first = start + timedelta(days=draw(st.integers(-3, 40)))
        last = first + timedelta(days=draw(st.integers(0, 4)))
        if draw(st.booleans()):
            result.append(ClosureRule(first, last, "closed"))
        else:
            begin, end = draw(spans)
            result.append(ClosureRule(first, last, "part", begin, end))
    return result


@st.composite
def kinds(draw):
    name = draw(st.sampled_from(["infusion", "nasal_spray", "other"]))
    low = 120 if name == "nasal_spray" else 0
    return draw(
        st.sampled_from([INFUSION_KIND, NASAL_SPRAY_KIND])
        | st.builds(
            TreatmentKind,
            st.just(name),
            st.integers(1, 90).map(minutes),
            st.integers(low, 200).map(minutes),
            st.integers(0, 40).map(minutes),
        )
    )


@st.composite
def patterns(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from([INFUSION_PATTERN, NASAL_SPRAY_PATTERN]))
    gap = draw(st.integers(1, 3))
    if draw(st.booleans()):
        per_week = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=4)))
        return CoursePattern(sum(per_week), min_gap_days=gap, per_week=per_week)
    sessions = draw(st.integers(1, 6))
    within = draw(st.none() | st.integers((sessions - 1) * gap + 1, (sessions - 1) * gap + 10))
    return CoursePattern(sessions, min_gap_days=gap, within_days=within)


def quarter_hours(day: date, tz: ZoneInfo) -> list[datetime]:
    """Every UTC quarter hour of a local day: a search independent of the planner's own."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return [start + minutes(15 * k) for k in range((end - start) // minutes(15))]


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_proposed_courses_obey_every_rule(data):
    tz_name = data.draw(st.sampled_from(TIMEZONES))
    tz = ZoneInfo(tz_name)
    rules = BookingRules(timezone=tz_name, min_notice_hours=data.draw(st.integers(0, 72)))
    start = data.draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 1)))
    hours = data.draw(weekly_hours())
    closed = data.draw(closure_rules(start))
    plan = Schedule(hours, closed, rules)
    kind = data.draw(kinds())
    pattern = data.draw(patterns())
    chairs = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True))
    midnight = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    holds = [
        ChairHold(
            data.draw(st.integers(1, 4)),
            Interval(
                # mostly in the day, where sessions go; any quarter hour in the course's weeks
                begin := midnight
                + timedelta(days=data.draw(st.integers(0, 24)))
                + minutes(15 * data.draw(st.integers(28, 72) | st.integers(0, 95))),
                begin + minutes(data.draw(st.integers(15, 300))),
            ),
        )
        for _ in range(data.draw(st.integers(0, 40)))
    ]
    now = midnight + minutes(data.draw(st.integers(-3000, 3000)))
    preferred = data.draw(
        (st.integers(32, 64) | st.integers(0, 95)).map(lambda q: time(q // 4, 15 * (q % 4)))
    )
    search = 14
    proposal = propose_course(
        kind,
        pattern,
        start,
        preferred,
        schedule=plan,
        chairs=chairs,
        holds=holds,
        now=now,
        search_days=search,
    )

    numbers = [s.number for s in proposal.sessions] + [m.number for m in proposal.missing]
    assert sorted(numbers) == list(range(1, pattern.sessions + 1))
    earliest = now + timedelta(hours=rules.min_notice_hours)
    course_holds: list[ChairHold] = []
    previous_day = None
    first_day = (
        proposal.sessions[0].starts_at.astimezone(tz).date()
        if proposal.sessions and proposal.sessions[0].number == 1
        else start
    )
    for session in proposal.sessions:
        local_start = session.starts_at.astimezone(tz)
        day = local_start.date()
        day_hours = hours[day.weekday()]
        # Each rule, checked from the raw inputs.
        assert session.chair_id in chairs
        assert local_start.minute % 15 == 0 and local_start.second == 0 and local_start.microsecond == 0
        assert day_hours is not None
        assert session.starts_at >= datetime.combine(day, day_hours.opens, tzinfo=tz).astimezone(UTC)
        assert session.care_ends_at == session.starts_at + kind.care
        assert session.care_ends_at <= datetime.combine(day, day_hours.closes, tzinfo=tz).astimezone(UTC)
        assert session.ends_at == session.starts_at + kind.occupancy
        assert session.starts_at >= earliest
        span = Interval(session.starts_at, session.ends_at)
        for closure in closed:
            if closure.covers(day):
                assert not closure.is_whole_day
                blocked = Interval(
                    datetime.combine(day, closure.start_time, tzinfo=tz).astimezone(UTC),
                    datetime.combine(day, closure.end_time, tzinfo=tz).astimezone(UTC),
                )
                assert not span.overlaps(blocked)
        for hold in [*holds, *course_holds]:
            assert hold.chair_id != session.chair_id or not hold.interval.overlaps(span)
        # The pattern: spacing from the session before, the session's own window.
        if previous_day is not None:
            assert (day - previous_day).days >= pattern.min_gap_days
        window = pattern.window(session.number, first_day)
        assert window[0] <= day <= window[1]
        if session.number == 1:
            assert start <= day < start + timedelta(days=search)
        # Greedy: no earlier allowed day had a free start, and none that day was nearer the preferred time.
        lo = start if session.number == 1 else window[0]
        if previous_day is not None:
            lo = max(lo, previous_day + timedelta(days=pattern.min_gap_days))
        taken = [*holds, *course_holds]
        for offset in range((day - lo).days):
            other = lo + timedelta(days=offset)
            assert not any(
                session_fits(kind, q, c, schedule=plan, holds=taken, now=now)
                for q in quarter_hours(other, tz)
                for c in chairs
            ), other
        target = datetime.combine(day, preferred, tzinfo=tz).astimezone(UTC)
        distance = abs(session.starts_at - target)
        for q in quarter_hours(day, tz):
            if abs(q - target) < distance:
                assert not any(session_fits(kind, q, c, schedule=plan, holds=taken, now=now) for c in chairs)
        course_holds.append(session.hold)
        previous_day = day

    # Staff submitting the proposal unchanged meet no problem of timing or chairs, and none at all if
    # it is complete (with sessions missing, the numbering and so the pattern's windows shift).
    check = check_course(kind, pattern, proposal.starts, schedule=plan, chairs=chairs, holds=holds, now=now)
    assert [s.chair_id for s in check.sessions] == [s.chair_id for s in proposal.sessions]
    pattern_codes = {"too_close", "outside_pattern", "extra"}
    assert all(codes(s.problems) <= pattern_codes for s in check.sessions)
    assert check.ok == proposal.complete
    for missing in proposal.missing:
        for alternative in missing.alternatives:
            assert session_fits(
                kind,
                alternative.starts_at,
                alternative.chair_id,
                schedule=plan,
                holds=[*holds, *course_holds],
                now=now,
            )


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 1)),
    preferred=st.integers(32, 68).map(lambda q: time(q // 4, 15 * (q % 4))),
)
def test_default_courses_keep_their_local_time_in_every_season(start, preferred):
    """With nothing in the way, every session is at the preferred local time (or the last start that
    day, when the preferred time is later), DST or not."""
    for kind, pattern in [(INFUSION_KIND, INFUSION_PATTERN), (NASAL_SPRAY_KIND, NASAL_SPRAY_PATTERN)]:
        latest_start = (datetime.combine(start, time(17, 30)) - kind.care).time()
        proposal = propose_course(
            kind, pattern, start, preferred, schedule=schedule(), chairs=[1], holds=[], now=LONG_AGO
        )
        assert proposal.complete
        expected = min(preferred, time(latest_start.hour, latest_start.minute // 15 * 15))
        assert {t for _, t in local_times(proposal.sessions)} == {expected}
