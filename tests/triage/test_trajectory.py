"""The PHQ-9 trajectory, with no app and no database: worked examples, then properties."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.triage.enums import Phq9Band
from clinic.triage.trajectory import (
    MAX_SCORE,
    build_trajectory,
    is_remission,
    is_response,
    trajectory_chart,
)

NY = ZoneInfo("America/New_York")
INTAKE = datetime(2027, 3, 1, 14, tzinfo=UTC)


def week(n: int) -> datetime:
    return INTAKE + timedelta(days=7 * n)


def test_27_to_13_is_a_response_and_27_to_14_is_not():
    trajectory = build_trajectory(27, [(week(1), 14), (week(2), 13)], baseline_at=INTAKE)
    not_yet, responded = trajectory.points
    assert not not_yet.response and responded.response
    assert responded.change == -14 and responded.change_percent == -52
    assert not responded.remission and responded.band is Phq9Band.MODERATE
    assert trajectory.first_response == responded and trajectory.first_remission is None
    assert trajectory.response_threshold == 13.5


def test_12_to_4_is_remission_and_12_to_5_is_not():
    trajectory = build_trajectory(12, [(week(1), 5), (week(2), 4)])
    five, four = trajectory.points
    assert not five.remission and four.remission
    assert four.response  # a drop of 8 is more than half of 12
    assert trajectory.first_remission == four
    assert (trajectory.latest, trajectory.latest_change) == (four, -8)


def test_remission_without_response():
    (point,) = build_trajectory(6, [(week(1), 4)]).points
    assert point.remission and not point.response  # 6 → 4 is a drop of a third


def test_a_baseline_of_0_divides_nothing():
    trajectory = build_trajectory(0, [(week(1), 0), (week(2), 3)])
    assert [p.change_percent for p in trajectory.points] == [None, None]
    assert [p.response for p in trajectory.points] == [False, False]
    assert [p.remission for p in trajectory.points] == [True, True]
    assert trajectory.response_threshold is None and trajectory.latest_change == 3
    chart = trajectory_chart(trajectory, timezone="America/New_York")
    assert [line.kind for line in chart.lines] == ["baseline", "remission"]


def test_check_ins_are_put_in_time_order():
    trajectory = build_trajectory(20, [(week(3), 8), (week(1), 15), (week(2), 11)])
    assert [p.score for p in trajectory.points] == [15, 11, 8]
    assert trajectory.latest.score == 8 and trajectory.latest_change == -12


def test_no_check_in_yet():
    trajectory = build_trajectory(18, [])
    assert trajectory.latest is None and trajectory.latest_change is None
    assert trajectory.baseline_band is Phq9Band.MODERATELY_SEVERE
    chart = trajectory_chart(trajectory, timezone=NY)
    assert chart.points == () and chart.polyline == ""
    assert "No check-in yet" in chart.summary


@pytest.mark.parametrize("score", [-1, 28, True, 3.5, "7"])
def test_scores_outside_0_to_27_are_refused(score):
    with pytest.raises(ValueError):
        build_trajectory(10, [(week(1), score)])
    with pytest.raises(ValueError):
        build_trajectory(score, [])


def test_check_in_times_need_a_timezone():
    with pytest.raises(ValueError):
        build_trajectory(10, [(datetime(2027, 3, 8, 9), 5)])


def test_chart_lays_out_scores_lines_and_sessions():
    sessions = [week(1) - timedelta(days=1), week(2) - timedelta(days=1)]
    trajectory = build_trajectory(27, [(week(1), 20), (week(2), 13)], baseline_at=INTAKE)
    chart = trajectory_chart(trajectory, timezone="America/New_York", sessions=sessions)
    baseline, first, latest = chart.points
    assert (
        baseline.is_baseline and baseline.y == chart.top and baseline.x == pytest.approx(chart.left, abs=30)
    )
    assert not first.is_baseline and latest.response and not first.response
    assert baseline.x < first.x < latest.x <= chart.right
    assert chart.polyline == " ".join(f"{p.x:g},{p.y:g}" for p in chart.points)
    lines = {line.kind: line for line in chart.lines}
    height = chart.bottom - chart.top
    assert lines["baseline"].y == chart.top
    assert lines["response"].y == pytest.approx(chart.top + height * 13.5 / 27, abs=0.05)
    assert lines["remission"].y == pytest.approx(chart.top + height * 22 / 27, abs=0.05)
    assert [mark.x for mark in chart.sessions] == sorted(mark.x for mark in chart.sessions)
    assert baseline.x < chart.sessions[0].x < first.x < chart.sessions[1].x < latest.x
    assert chart.sessions[0].at.tzinfo == NY
    assert chart.x_ticks[0].label == "Mar 1" and chart.x_ticks[0].position == chart.left
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10", "15", "20", "27"]
    assert chart.y_ticks[0].position == chart.bottom and chart.y_ticks[-1].position == chart.top
    assert "latest 13 on March 15, down 14 (52%)" in chart.summary and "Response" in chart.summary


def test_a_single_check_in_sits_inside_its_day():
    trajectory = build_trajectory(9, [(datetime.combine(date(2027, 3, 14), time(12), tzinfo=NY), 9)])
    chart = trajectory_chart(trajectory, timezone=NY)
    (point,) = chart.points
    assert chart.left < point.x < chart.right
    assert "no change" in chart.summary and "No response yet" in chart.summary


def test_summary_words_for_a_worse_score_and_a_lost_response():
    worse = trajectory_chart(build_trajectory(10, [(week(1), 12)]), timezone=NY)
    assert "up 2 (20%)" in worse.summary
    lost = trajectory_chart(build_trajectory(20, [(week(1), 9), (week(2), 12)]), timezone=NY)
    assert "Responded earlier" in lost.summary
    remission = trajectory_chart(build_trajectory(20, [(week(1), 3)]), timezone=NY)
    assert "In remission" in remission.summary


# Properties ----------------------------------------------------------------------------------------

scores = st.integers(0, MAX_SCORE)
instants = st.integers(0, 120 * 24).map(lambda h: INTAKE + timedelta(hours=h))


@settings(max_examples=300, deadline=None)
@given(
    baseline=scores,
    check_ins=st.lists(st.tuples(instants, scores), max_size=12),
    sessions=st.lists(instants, max_size=12),
    with_intake=st.booleans(),
    tz_name=st.sampled_from(["America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_every_point_agrees_with_the_definitions_and_the_picture(
    baseline, check_ins, sessions, with_intake, tz_name
):
    trajectory = build_trajectory(baseline, check_ins, baseline_at=INTAKE if with_intake else None)
    assert [p.score for p in trajectory.points] == [s for _, s in sorted(check_ins, key=lambda c: c[0])]
    for point in trajectory.points:
        assert point.change == point.score - baseline
        assert point.response == (baseline > 0 and point.score <= baseline * 0.5)
        assert point.response == is_response(baseline, point.score)
        assert point.remission == (point.score < 5) == is_remission(point.score)
        if baseline:
            assert point.change_percent == round(100 * point.change / baseline)

    chart = trajectory_chart(trajectory, timezone=tz_name, sessions=sessions)
    lines = {line.kind: line.y for line in chart.lines}
    for point in chart.points:
        assert chart.left <= point.x <= chart.right and chart.top <= point.y <= chart.bottom
        # In SVG, y grows downwards: lower scores sit lower.
        if point.remission:
            assert point.y > lines["remission"]
        else:
            assert point.y <= lines["remission"]
        if point.response:
            assert point.y >= lines["response"]
    checked = [p for p in chart.points if not p.is_baseline]
    for a, b in pairwise(checked):
        assert a.x <= b.x
        assert (a.score < b.score) == (a.y > b.y)
    for mark in chart.sessions:
        assert chart.left <= mark.x <= chart.right
    assert all(chart.left <= tick.position <= chart.right for tick in chart.x_ticks)
    assert len(chart.x_ticks) <= 8
