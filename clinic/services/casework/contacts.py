"""The contact log: attempts to reach a patient, the follow-up day, and the day's call list.

Logging a contact is one use case and one transaction, whatever it carries: the attempt (outcome and an
optional note, encrypted), the follow-up day, an optional status move and "assign to me". The rules are the
workflow's (clinic/triage/workflow.py); every step is audited with ids only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from clinic.extensions import db
from clinic.models import ConsultationRequest, ContactAttempt
from clinic.scheduling.slots import local_instant
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.casework.cases import RequestNotFound, check_outcome_time
from clinic.triage.enums import ContactOutcome, RequestStatus
from clinic.triage.workflow import OPEN_STATUSES, QUEUE_TO_CONTACT, check_follow_up, contact_move

NOTE_MAX = 4000
RECORD = "request"
CALL_LIST_MAX = 200  # a printed list longer than this helps nobody; the queue has the rest
R = ConsultationRequest


class ContactError(ValueError):
    """The contact's note is too long."""


@dataclass(frozen=True, slots=True)
class ContactLogged:
    """What one contact log changed, for the page to say."""

    contact: ContactAttempt
    assigned: bool  # assigned to its author by this log
    moved_to: RequestStatus | None
    follow_up_on: date | None


def log_contact(
    request_id: int,
    outcome: ContactOutcome,
    note: str | None = None,
    *,
    status: RequestStatus | None = None,
    follow_up_on: date | None = None,
    assign_to_me: bool = False,
    actor_id: int,
    now: datetime,
    today: date,
) -> ContactLogged:
    """Log an attempt to reach the patient, with everything it carries, in one transaction.

    - `status`: a move the workflow allows and a contact may carry (not declined or cancelled, which ask
      first); none when the request is already there. WorkflowError otherwise, and nothing is kept.
    - `follow_up_on`: the day to call again (today to a year ahead, on a request still open), replacing
      any earlier one; None clears it: the contact answers the follow-up planned before. FollowUpError.
    - `assign_to_me`: the request goes to the author (`actor_id`), whoever had it.
    `today` is the clinic's local date, for the follow-up rules.
    """
    outcome = ContactOutcome(outcome)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise ContactError(f"A note can be at most {NOTE_MAX} characters.")
    with unit_of_work():
        # Locked (PostgreSQL; SQLite's write transactions are serial): two contacts logged at once each see
        # the status the other left, so the workflow judges every move from the real current status.
        consultation = db.session.get(
            ConsultationRequest, request_id, with_for_update=True, populate_existing=True
        )
        if consultation is None:
            raise RequestNotFound(request_id)
        current = consultation.status
        target = contact_move(current, status)
        if target is not None:
            check_outcome_time(consultation, target, now=now)
        check_follow_up(follow_up_on, today=today, status=target or current)
        contact = ContactAttempt(
            request_id=request_id, author_id=actor_id, outcome=outcome, note=note, created_at=now
        )
        db.session.add(contact)
        db.session.flush()
        _record("request.contact", request_id, actor_id, {"contact_id": contact.id})
        assigned = assign_to_me and consultation.assigned_to_id != actor_id
        if assigned:
            _record(
                "request.assign", request_id, actor_id, {"from": consultation.assigned_to_id, "to": actor_id}
            )
            consultation.assigned_to_id = actor_id
        if target is not None:
            consultation.status = target
            consultation.patient_cancelled_at = None  # staff have acted on the patient's cancellation
            _record("request.status", request_id, actor_id, {"from": current.value, "to": target.value})
        consultation.follow_up_on = follow_up_on
        consultation.updated_at = now
    return ContactLogged(contact, assigned, target, follow_up_on)


def _record(action: str, request_id: int, actor_id: int, details: dict) -> None:
    record(action, actor_id=actor_id, record_type=RECORD, record_id=request_id, details=details)


def for_request(request_id: int) -> list[ContactAttempt]:
    """A request's contacts with their authors, oldest first; one statement."""
    return list(
        db.session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.request_id == request_id)
            .options(joinedload(ContactAttempt.author))
            .order_by(ContactAttempt.id)
        )
    )


@dataclass(frozen=True, slots=True)
class LastContact:
    """The latest attempt on a request (its note left out: the call list is printed) and how many."""

    contact: ContactAttempt
    attempts: int


def last_contacts(request_ids: list[int]) -> dict[int, LastContact]:
    """The latest contact of each request, with its author and the number of attempts; one statement."""
    if not request_ids:
        return {}
    latest = (
        select(
            ContactAttempt.request_id,
            func.max(ContactAttempt.id).label("last_id"),
            func.count().label("attempts"),
        )
        .where(ContactAttempt.request_id.in_(request_ids))
        .group_by(ContactAttempt.request_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ContactAttempt, latest.c.attempts)
        .join(latest, ContactAttempt.id == latest.c.last_id)
        .options(joinedload(ContactAttempt.author), defer(ContactAttempt.note, raiseload=True))
    )
    return {contact.request_id: LastContact(contact, attempts) for contact, attempts in rows}


@dataclass(frozen=True, slots=True)
class CallRow:
    request: ConsultationRequest
    first_contact: bool  # nobody has reached out yet (or the patient cancelled since)
    follow_up_due: bool  # a follow-up planned for the day, or earlier and not yet done
    slot_that_day: bool  # the consultation is on the day
    last: LastContact | None


@dataclass(frozen=True, slots=True)
class CallList:
    day: date
    rows: list[CallRow]
    truncated: bool  # more than CALL_LIST_MAX requests were due


# Encrypted fields the call list never shows: not read, not decrypted.
UNSHOWN = (R.email, R.date_of_birth, R.phq9_answers, R.conditions, R.medications, R.notes)


def call_list(day: date, *, tz: ZoneInfo) -> CallList:
    """Whom to call on `day`, in queue order (urgent first): open requests nobody has contacted yet
    (received by the end of the day), follow-ups planned for the day or before, and patients whose
    consultation is that day. Two statements, whatever the size of the list."""
    starts = local_instant(day, time(0), tz)
    ends = local_instant(day + timedelta(days=1), time(0), tz)
    to_contact = sa.and_(R.queue_group == QUEUE_TO_CONTACT, R.created_at < ends)
    follow_up = R.follow_up_on <= day
    that_day = sa.and_(R.appointment_at >= starts, R.appointment_at < ends)
    requests = list(
        db.session.scalars(
            select(R)
            .where(R.status.in_(OPEN_STATUSES), sa.or_(to_contact, follow_up, that_day))
            .options(joinedload(R.assigned_to), *(defer(column, raiseload=True) for column in UNSHOWN))
            .order_by(R.priority_rank, R.queue_group, R.queue_at, R.id)
            .limit(CALL_LIST_MAX + 1)
        )
    )
    truncated = len(requests) > CALL_LIST_MAX
    requests = requests[:CALL_LIST_MAX]
    last = last_contacts([r.id for r in requests])
    rows = [
        CallRow(
            request=r,
            first_contact=r.queue_group == QUEUE_TO_CONTACT,
            follow_up_due=r.follow_up_on is not None and r.follow_up_on <= day,
            slot_that_day=r.appointment_at is not None and starts <= r.appointment_at < ends,
            last=last.get(r.id),
        )
        for r in requests
    ]
    return CallList(day, rows, truncated)


__all__ = [
    "CALL_LIST_MAX",
    "CallList",
    "CallRow",
    "ContactError",
    "ContactLogged",
    "LastContact",
    "RequestNotFound",
    "call_list",
    "for_request",
    "last_contacts",
    "log_contact",
]
