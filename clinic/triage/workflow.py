"""The request workflow and the response targets: pure rules, no Flask, no database.

One table says which status may follow which. Staff see only the moves it allows, and the service
refuses any other with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.triage.enums import Priority, RequestStatus

S = RequestStatus

# Which statuses may follow each status, in the order staff usually want them.
# - no_show only after a booked, confirmed consultation (scheduled);
# - a patient who did not show up may be called back (contacted) or rebooked (scheduled);
# - a cancelled request may be reopened when the patient comes back (contacted);
# - completed and declined are final: a returning patient makes a new request.
ALLOWED_MOVES: dict[RequestStatus, tuple[RequestStatus, ...]] = {
    S.NEW: (S.CONTACTED, S.SCHEDULED, S.DECLINED, S.CANCELLED),
    S.CONTACTED: (S.SCHEDULED, S.DECLINED, S.CANCELLED),
    S.SCHEDULED: (S.COMPLETED, S.NO_SHOW, S.CONTACTED, S.DECLINED, S.CANCELLED),
    S.NO_SHOW: (S.CONTACTED, S.SCHEDULED, S.CANCELLED),
    S.CANCELLED: (S.CONTACTED,),
    S.COMPLETED: (),
    S.DECLINED: (),
}

# What happened at the appointment: only once its booked slot has started (nobody completes a visit, or
# misses it, in advance).
OUTCOMES: tuple[RequestStatus, ...] = (S.COMPLETED, S.NO_SHOW)

# Statuses still waiting for the clinic to act; the queue's urgent banner counts these.
OPEN_STATUSES: tuple[RequestStatus, ...] = (S.NEW, S.CONTACTED, S.SCHEDULED, S.NO_SHOW)

# A patient's cancellation frees the slot; it closes the request only when nobody needs to call back.
# Urgent requests (thoughts of self-harm) never close that way (SPEC 4), and neither do high ones: a
# severe score or a condition for clinician review still needs a clinician's word. Routine ones close.
KEPT_OPEN_ON_PATIENT_CANCEL: frozenset[Priority] = frozenset({Priority.URGENT, Priority.HIGH})

# The queue's groups within a priority (SPEC 6): nobody has contacted the patient yet (or the patient
# cancelled and nobody has answered that), then requests with a slot, then the rest.
QUEUE_TO_CONTACT, QUEUE_BOOKED, QUEUE_OTHER = 0, 1, 2

# How soon the clinic answers a request, counted from its arrival while it is still `new`.
RESPONSE_HOURS = {Priority.URGENT: 4}
RESPONSE_BUSINESS_DAYS = {Priority.HIGH: 1, Priority.ROUTINE: 2}


# A contact logged on the request page may carry a status move in the same submit (SPEC 6), but not these:
# declining or cancelling have their own buttons, which ask first and tell the patient.
NOT_WITH_A_CONTACT: frozenset[RequestStatus] = frozenset({S.DECLINED, S.CANCELLED})
# How far ahead a follow-up call may be planned.
FOLLOW_UP_MAX_DAYS = 366


class WorkflowError(Exception):
    """A status move the workflow does not allow; the message is written for staff."""


class FollowUpError(WorkflowError):
    """A follow-up date the rules refuse (past, too far, or on a request that is closed)."""


def next_statuses(current: RequestStatus) -> tuple[RequestStatus, ...]:
    return ALLOWED_MOVES[RequestStatus(current)]


def moves_now(current: RequestStatus, *, appointment_started: bool) -> tuple[RequestStatus, ...]:
    """The moves staff may make now: the outcomes (completed, no-show) only once the appointment started."""
    return tuple(s for s in next_statuses(current) if appointment_started or s not in OUTCOMES)


def check_move(current: RequestStatus, target: RequestStatus) -> None:
    """Raise WorkflowError unless `target` may follow `current`."""
    current, target = RequestStatus(current), RequestStatus(target)
    if target == current:
        raise WorkflowError(f"This request is already {current.label.lower()}.")
    allowed = ALLOWED_MOVES[current]
    if target not in allowed:
        if not allowed:
            raise WorkflowError(
                f"A {current.label.lower()} request is closed: its status can no longer change."
            )
        choices = ", ".join(s.label.lower() for s in allowed)
        raise WorkflowError(
            f"A {current.label.lower()} request cannot become {target.label.lower()}. "
            f"Allowed next: {choices}."
        )


def contact_moves(current: RequestStatus) -> tuple[RequestStatus, ...]:
    """The moves a contact log may carry from `current`: the workflow's, less declining and cancelling."""
    return tuple(s for s in next_statuses(current) if s not in NOT_WITH_A_CONTACT)


def contact_move(current: RequestStatus, target: RequestStatus | None) -> RequestStatus | None:
    """The status a contact log moves the request to, or None for no move.

    No target, or a request already there (a colleague moved it since the page was loaded), is no move: the
    contact is still logged. WorkflowError for a move the workflow refuses, or one a contact may not carry.
    """
    if target is None:
        return None
    current, target = RequestStatus(current), RequestStatus(target)
    if target == current:
        return None
    if target in NOT_WITH_A_CONTACT and target in next_statuses(current):
        raise WorkflowError(
            f"A contact cannot mark the request {target.label.lower()}: use the “{target.label}” status "
            "button, which asks first and tells the patient."
        )
    check_move(current, target)
    return target


def check_follow_up(day: date | None, *, today: date, status: RequestStatus) -> None:
    """A follow-up call is planned from today to a year ahead, on a request still open (after any move)."""
    if day is None:
        return
    if day < today:
        raise FollowUpError("That day has passed: choose today or a later day for the follow-up.")
    if day > today + timedelta(days=FOLLOW_UP_MAX_DAYS):
        raise FollowUpError("Choose a follow-up day within a year.")
    if RequestStatus(status) not in OPEN_STATUSES:
        raise FollowUpError(f"A {RequestStatus(status).label.lower()} request needs no follow-up call.")


def follow_up_due(day: date | None, *, today: date) -> bool:
    """The follow-up call is for today or a day already passed."""
    return day is not None and day <= today


def status_after_patient_cancel(priority: Priority, status: RequestStatus) -> RequestStatus:
    """The request's status once its patient cancelled the booking: unchanged while someone must call back."""
    if Priority(priority) in KEPT_OPEN_ON_PATIENT_CANCEL:
        return RequestStatus(status)
    return S.CANCELLED


def status_after_self_harm(status: RequestStatus) -> RequestStatus:
    """The request's status once its patient reports thoughts of self-harm (intake or check-in): an open
    request keeps its status; a closed one (completed, declined, cancelled) opens again as `new`, first in
    the urgent queue, for staff to contact."""
    status = RequestStatus(status)
    return status if status in OPEN_STATUSES else S.NEW


def needs_contact(status: RequestStatus, *, patient_cancelled: bool) -> bool:
    """Nobody has contacted the patient yet, or the patient cancelled and staff have not acted since."""
    status = RequestStatus(status)
    return status == S.NEW or (patient_cancelled and status in OPEN_STATUSES)


def queue_position(
    status: RequestStatus,
    *,
    patient_cancelled: bool,
    created_at: datetime,
    appointment_at: datetime | None,
) -> tuple[int, datetime]:
    """Where a request sorts within its priority: (group, time), both never None, so an index serves it.

    Those to contact come first, oldest (most overdue: one priority has one response target) first; then
    the rest by slot time; then those with no slot, oldest first.
    """
    if needs_contact(status, patient_cancelled=patient_cancelled):
        return QUEUE_TO_CONTACT, created_at
    if appointment_at is not None:
        return QUEUE_BOOKED, appointment_at
    return QUEUE_OTHER, created_at


def add_business_days(
    start: datetime, days: int, *, tz: ZoneInfo, open_weekdays: Collection[int]
) -> datetime:
    """The same local time `days` open days after `start` (open_weekdays: Monday 0 … Sunday 6)."""
    if not open_weekdays:
        raise ValueError("the clinic has no open weekday")
    local = start.astimezone(tz)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() in open_weekdays:
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def response_due(
    priority: Priority, created_at: datetime, *, tz: ZoneInfo, open_weekdays: Collection[int]
) -> datetime:
    """When the clinic should have answered: urgent 4 hours, high 1 business day, routine 2 business days."""
    priority = Priority(priority)
    if priority in RESPONSE_HOURS:
        return created_at.astimezone(UTC) + timedelta(hours=RESPONSE_HOURS[priority])
    return add_business_days(created_at, RESPONSE_BUSINESS_DAYS[priority], tz=tz, open_weekdays=open_weekdays)


def is_overdue(
    priority: Priority,
    status: RequestStatus,
    created_at: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    open_weekdays: Collection[int],
) -> bool:
    """Only a request nobody has answered yet (`new`) can be late."""
    if RequestStatus(status) != RequestStatus.NEW:
        return False
    return now >= response_due(priority, created_at, tz=tz, open_weekdays=open_weekdays)


def describe_age(created_at: datetime, now: datetime) -> str:
    """A short age for a list: "35 min", "6 h", "3 d"."""
    seconds = max(0, int((now - created_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def age_steady_until(created_at: datetime, now: datetime) -> datetime:
    """The first instant after `now` at which `describe_age(created_at, ·)` reads differently: the next
    whole minute of age under an hour, hour under two days, day after that."""
    seconds = max(0, int((now - created_at).total_seconds()))
    step = 60 if seconds < 3600 else 3600 if seconds < 48 * 3600 else 86400
    return created_at + timedelta(seconds=(seconds // step + 1) * step)
