"""The workflow table and the response targets: pure rules, no app."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.triage.enums import Priority, RequestStatus
from clinic.triage.workflow import (
    ALLOWED_MOVES,
    OPEN_STATUSES,
    WorkflowError,
    add_business_days,
    age_steady_until,
    check_move,
    describe_age,
    is_overdue,
    next_statuses,
    response_due,
)

S = RequestStatus
NY = ZoneInfo("America/New_York")
MON_SAT = frozenset(range(6))
MON_FRI = frozenset(range(5))


def test_every_status_has_a_row():
    assert set(ALLOWED_MOVES) == set(RequestStatus)


def test_the_main_path_is_allowed():
    path = [S.NEW, S.CONTACTED, S.SCHEDULED, S.COMPLETED]
    for current, target in pairwise(path):
        check_move(current, target)


@pytest.mark.parametrize("current", [S.NEW, S.CONTACTED, S.SCHEDULED])
def test_open_requests_can_be_declined_or_cancelled(current):
    check_move(current, S.DECLINED)
    check_move(current, S.CANCELLED)


@pytest.mark.parametrize("current", [S.NEW, S.CONTACTED, S.COMPLETED, S.DECLINED, S.CANCELLED])
def test_no_show_only_after_a_scheduled_visit(current):
    with pytest.raises(WorkflowError):
        check_move(current, S.NO_SHOW)
    check_move(S.SCHEDULED, S.NO_SHOW)


def test_a_no_show_can_be_called_back_or_rebooked():
    check_move(S.NO_SHOW, S.CONTACTED)
    check_move(S.NO_SHOW, S.SCHEDULED)
    with pytest.raises(WorkflowError):
        check_move(S.NO_SHOW, S.COMPLETED)


@pytest.mark.parametrize("final", [S.COMPLETED, S.DECLINED])
@pytest.mark.parametrize("target", list(RequestStatus))
def test_completed_and_declined_are_final(final, target):
    with pytest.raises(WorkflowError, match=r"closed|already"):
        check_move(final, target)
    assert next_statuses(final) == ()


def test_a_cancelled_request_can_only_be_reopened():
    assert next_statuses(S.CANCELLED) == (S.CONTACTED,)
    with pytest.raises(WorkflowError):
        check_move(S.CANCELLED, S.COMPLETED)


def test_completing_a_new_request_is_refused_with_a_human_message():
    with pytest.raises(WorkflowError) as refused:
        check_move(S.NEW, S.COMPLETED)
    message = str(refused.value)
    assert message.startswith("A new request cannot become completed.")
    assert "contacted" in message and "scheduled" in message


@pytest.mark.parametrize("status", list(RequestStatus))
def test_moving_to_the_same_status_is_refused(status):
    with pytest.raises(WorkflowError, match="already"):
        check_move(status, status)


@given(st.sampled_from(list(RequestStatus)), st.sampled_from(list(RequestStatus)))
def test_check_move_agrees_with_the_table(current, target):
    allowed = target in ALLOWED_MOVES[current]
    try:
        check_move(current, target)
    except WorkflowError:
        assert not allowed
    else:
        assert allowed


def test_plain_strings_are_accepted():
    check_move("new", "contacted")
    with pytest.raises(WorkflowError):
        check_move("completed", "new")


def test_open_statuses():
    assert set(OPEN_STATUSES) == {S.NEW, S.CONTACTED, S.SCHEDULED, S.NO_SHOW}


# Response targets


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_urgent_is_due_four_hours_later_whatever_the_day():
    sunday_night = local(2026, 11, 22, 23, 0)
    assert response_due(
        Priority.URGENT, sunday_night, tz=NY, open_weekdays=MON_SAT
    ) == sunday_night.astimezone(UTC) + timedelta(hours=4)


@pytest.mark.parametrize(
    ("created", "priority", "due"),
    [
        (local(2026, 11, 20, 10, 0), Priority.HIGH, local(2026, 11, 21, 10, 0)),  # Fri -> Sat (open)
        (local(2026, 11, 21, 10, 0), Priority.HIGH, local(2026, 11, 23, 10, 0)),  # Sat -> Mon (Sunday closed)
        (local(2026, 11, 22, 15, 0), Priority.HIGH, local(2026, 11, 23, 15, 0)),  # made on a Sunday
        (local(2026, 11, 20, 10, 0), Priority.ROUTINE, local(2026, 11, 23, 10, 0)),  # Fri -> Sat, Mon
        (local(2026, 11, 18, 9, 30), Priority.ROUTINE, local(2026, 11, 20, 9, 30)),  # Wed -> Fri
    ],
)
def test_business_days_skip_closed_weekdays(created, priority, due):
    assert response_due(priority, created, tz=NY, open_weekdays=MON_SAT) == due.astimezone(UTC)


def test_open_weekdays_are_a_parameter():
    friday = local(2026, 11, 20, 10, 0)
    assert response_due(Priority.HIGH, friday, tz=NY, open_weekdays=MON_FRI) == local(2026, 11, 23, 10, 0)
    assert response_due(Priority.HIGH, friday, tz=NY, open_weekdays={4}) == local(2026, 11, 27, 10, 0)


def test_business_days_keep_local_time_across_dst():
    saturday = local(2026, 10, 31, 9, 0)  # EDT; the clocks go back on Sunday Nov 1
    due = add_business_days(saturday, 1, tz=NY, open_weekdays=MON_SAT)
    assert due.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 2, 9, 0)
    assert due - saturday.astimezone(UTC) == timedelta(hours=49)


def test_no_open_weekday_is_an_error():
    with pytest.raises(ValueError):
        add_business_days(local(2026, 11, 20, 10, 0), 1, tz=NY, open_weekdays=())


def test_overdue_only_while_new():
    created = local(2026, 11, 18, 9, 0)
    late = created + timedelta(hours=5)
    assert is_overdue(Priority.URGENT, S.NEW, created, now=late, tz=NY, open_weekdays=MON_SAT)
    assert not is_overdue(
        Priority.URGENT,
        S.NEW,
        created,
        now=created + timedelta(hours=3, minutes=59),
        tz=NY,
        open_weekdays=MON_SAT,
    )
    for status in set(RequestStatus) - {S.NEW}:
        assert not is_overdue(Priority.URGENT, status, created, now=late, tz=NY, open_weekdays=MON_SAT)


def test_routine_overdue_at_its_target():
    created = local(2026, 11, 18, 9, 0)  # Wednesday
    assert not is_overdue(
        Priority.ROUTINE, S.NEW, created, now=local(2026, 11, 20, 8, 59), tz=NY, open_weekdays=MON_SAT
    )
    assert is_overdue(
        Priority.ROUTINE, S.NEW, created, now=local(2026, 11, 20, 9, 0), tz=NY, open_weekdays=MON_SAT
    )


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=35), "35 min"),
        (timedelta(hours=6, minutes=5), "6 h"),
        (timedelta(days=3), "3 d"),
        (timedelta(seconds=-5), "0 min"),
    ],
)
def test_describe_age(delta, text):
    now = datetime(2026, 11, 18, tzinfo=UTC)
    assert describe_age(now - delta, now) == text


# The contact log's rules


def test_a_contact_may_carry_any_move_but_declining_and_cancelling():
    from clinic.triage.workflow import contact_moves

    for status in RequestStatus:
        assert set(contact_moves(status)) == set(next_statuses(status)) - {S.DECLINED, S.CANCELLED}


def test_the_move_a_contact_carries():
    from clinic.triage.workflow import contact_move

    assert contact_move(S.NEW, None) is None
    assert contact_move(S.NEW, S.CONTACTED) == S.CONTACTED
    assert contact_move(S.CONTACTED, S.CONTACTED) is None  # a colleague got there first: no move, no error
    with pytest.raises(WorkflowError, match="asks first"):
        contact_move(S.NEW, S.DECLINED)
    with pytest.raises(WorkflowError, match="cannot become completed"):
        contact_move(S.NEW, S.COMPLETED)
    with pytest.raises(WorkflowError, match="closed"):
        contact_move(S.COMPLETED, S.CONTACTED)


def test_follow_up_days():
    from datetime import date

    from clinic.triage.workflow import FollowUpError, check_follow_up, follow_up_due

    today = date(2026, 11, 23)
    check_follow_up(None, today=today, status=S.COMPLETED)
    check_follow_up(today, today=today, status=S.NEW)
    check_follow_up(today + timedelta(days=366), today=today, status=S.SCHEDULED)
    for day, status, message in [
        (today - timedelta(days=1), S.NEW, "has passed"),
        (today + timedelta(days=367), S.NEW, "within a year"),
        (today, S.DECLINED, "needs no follow-up"),
    ]:
        with pytest.raises(FollowUpError, match=message):
            check_follow_up(day, today=today, status=status)
    assert follow_up_due(today, today=today) and follow_up_due(today - timedelta(days=3), today=today)
    assert not follow_up_due(today + timedelta(days=1), today=today) and not follow_up_due(None, today=today)


def test_outcomes_are_moves_only_once_the_appointment_has_started():
    from clinic.triage.workflow import OUTCOMES, moves_now

    before = moves_now(RequestStatus.SCHEDULED, appointment_started=False)
    assert not set(OUTCOMES) & set(before) and RequestStatus.CONTACTED in before
    assert moves_now(RequestStatus.SCHEDULED, appointment_started=True) == next_statuses(
        RequestStatus.SCHEDULED
    )
    assert moves_now(RequestStatus.NEW, appointment_started=False) == next_statuses(RequestStatus.NEW)


INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(INSTANTS, INSTANTS, st.floats(min_value=0, max_value=1, exclude_max=True))
def test_an_age_reads_the_same_until_its_steady_end_and_changes_there(created, now, fraction):
    until = age_steady_until(created, now)
    assert until > now
    between = min(now + (until - now) * fraction, until - timedelta(microseconds=1))
    assert describe_age(created, between) == describe_age(created, now)
    assert describe_age(created, until) != describe_age(created, now)
