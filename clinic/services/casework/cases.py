"""What staff do to one request: read it, move it through the workflow, note, assign. Each step audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.extensions import db
from clinic.models import AuditEvent, AuditVisit, ConsultationRequest, Note, StaffUser
from clinic.services import unit_of_work
from clinic.services.audit.log import Visit
from clinic.services.audit.record import record, view_insert, view_parameters
from clinic.services.audit.record import record_view as audit_view
from clinic.services.booking import seats
from clinic.services.mail import outbox
from clinic.services.rules.read import UNCHANGED, clinic_info
from clinic.triage.enums import RequestStatus
from clinic.triage.screening import review_reasons
from clinic.triage.workflow import OUTCOMES, WorkflowError, check_move, moves_now, next_statuses

NOTE_MAX = 4000
RECORD = "request"
VIEW = "request.view"


class RequestNotFound(LookupError):
    """No request has that id."""


class AssignmentError(ValueError):
    """The chosen staff member does not exist or cannot take requests."""


class NoteError(ValueError):
    """The note is empty or too long."""


@dataclass(frozen=True, slots=True)
class RequestDetail:
    """A request as its staff page shows it: bookings, notes, assignee, history and what to review."""

    request: ConsultationRequest
    history: list[HistoryEvent]  # newest first, each visit's repeat views folded into its first view
    review_reasons: tuple[str, ...]
    visits: dict[int, Visit] = field(default_factory=dict)  # by the id of a visit's first view


def _record(action: str, request_id: int, actor_id: int, details: dict | None = None) -> None:
    record(action, actor_id=actor_id, record_type=RECORD, record_id=request_id, details=details)


def _load(request_id: int) -> ConsultationRequest:
    """The request, its row locked for this transaction: staff changes to one request (and the patient's, see
    seats.lock_request) queue up in one order, so a cancel and a move of the same booking never deadlock."""
    consultation = db.session.get(
        ConsultationRequest, request_id, with_for_update=True, populate_existing=True
    )
    if consultation is None:
        raise RequestNotFound(request_id)
    return consultation


def record_view(request_id: int, *, actor_id: int) -> None:
    """Audit that `actor_id` opened the request (RequestNotFound when there is none): a use case of its own,
    so that a page re-shown after a refused change reads the request without logging another view."""
    with unit_of_work():
        exists = db.session.scalar(select(ConsultationRequest.id).where(ConsultationRequest.id == request_id))
        if exists is None:
            raise RequestNotFound(request_id)
        audit_view(VIEW, actor_id=actor_id, record_type=RECORD, record_id=request_id)


def detail(request_id: int) -> RequestDetail:
    """The whole request with its bookings, notes and history, newest first; reads only."""
    consultation = db.session.scalars(
        select(ConsultationRequest)
        .where(ConsultationRequest.id == request_id)
        .options(
            selectinload(ConsultationRequest.bookings),
            selectinload(ConsultationRequest.notes_list).joinedload(Note.author),
            joinedload(ConsultationRequest.assigned_to),
        )
    ).one_or_none()
    if consultation is None:
        raise RequestNotFound(request_id)
    history, visits = history_of(request_id, [b.id for b in consultation.bookings])
    reasons = review_reasons(consultation.phq9_answers, consultation.phq9_score, consultation.conditions)
    return RequestDetail(consultation, history, reasons, visits)


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """An event of a request's history as its page shows it (what `event_text` and `actor_label` read)."""

    id: int
    at: datetime
    action: str
    details: dict | None
    actor_id: int | None
    actor: Actor | None


def record_kept_view(
    request_id: int, *, actor_id: int, schedule: int, casework: int, on: sa.Connection
) -> bool:
    """A colleague's view of the request's kept page (SPEC 8), recorded only while the versions the page
    was drawn at still hold, checked in the same statement: False (nothing recorded) when they moved, and
    the page must be drawn afresh (which records the view then)."""
    parameters = view_parameters(VIEW, actor_id=actor_id, record_type=RECORD, record_id=request_id)
    parameters.update(schedule=schedule, casework=casework)
    return on.execute(_KEPT_VIEW, parameters).first() is not None


_KEPT_VIEW = view_insert(by_patient=False, provided=UNCHANGED)


def history_of(
    request_id: int, booking_ids: list[int], *, on: sa.Connection | None = None
) -> tuple[list[HistoryEvent], dict[int, Visit]]:
    """The request's history, newest first, without repeat views (each visit is shown once), and those visits
    with their views counted (one row each, kept as the views are recorded: models.AuditVisit): one
    statement, written once; reads only. In the current transaction, or `on` a connection of its own (a kept
    page sent again outside any request)."""
    rows = (on or db.session).execute(_HISTORY, {"request_id": request_id, "booking_ids": booking_ids})
    history, visits = [], {}
    for event_id, at, action, details, actor_id, name, email, views, last_at in rows:
        history.append(
            HistoryEvent(
                event_id, at, action, details, actor_id, None if email is None else Actor(name, email)
            )
        )
        if views is not None:
            visits[event_id] = Visit(views, last_at)
    return history, visits


def _history_select() -> sa.Select:
    """The history's events (ix_audit_events_record: repeat views left out) with each visit's count: probes
    of audit_visits by its key, one per event shown, whatever the planner thinks of the record's size."""
    events, staff, visits = AuditEvent.__table__, StaffUser.__table__, AuditVisit.__table__

    def of_visit(column: sa.Column) -> sa.ScalarSelect:
        return select(column).where(visits.c.first_view_id == events.c.id).scalar_subquery()

    return (
        select(
            events.c.id,
            events.c.at,
            events.c.action,
            events.c.details,
            events.c.actor_id,
            staff.c.name,
            staff.c.email,
            of_visit(visits.c.views),
            of_visit(visits.c.last_at),
        )
        .select_from(events.outerjoin(staff, staff.c.id == events.c.actor_id))
        .where(
            sa.or_(
                sa.and_(events.c.record_type == RECORD, events.c.record_id == sa.bindparam("request_id")),
                sa.and_(
                    events.c.record_type == "booking",
                    events.c.record_id.in_(sa.bindparam("booking_ids", expanding=True)),
                ),
            ),
            sa.not_(events.c.is_repeat_view),  # as the record index's predicate is written
        )
        .order_by(events.c.at.desc(), events.c.id.desc())
    )


_HISTORY = _history_select()


def detail_steady_until(consultation: ConsultationRequest, *, row_until: datetime, now: datetime) -> datetime:
    """When the clock alone next changes the request's page: its queue row's (`row_until`: an age, the
    response target, a new day) or its booked slot starting (outcomes offered from then on)."""
    booking = consultation.active_booking
    if booking is not None and now < booking.starts_at:
        return min(row_until, booking.starts_at)
    return row_until


def appointment_started(consultation: ConsultationRequest, *, now: datetime) -> bool:
    """Whether the request's booked slot has started (an outcome can be recorded from then on)."""
    booking = consultation.active_booking
    return booking is not None and booking.starts_at <= now


def offered_moves(consultation: ConsultationRequest, *, now: datetime) -> tuple[RequestStatus, ...]:
    """The statuses staff are offered now: completed and no-show only once the booked slot has started."""
    return moves_now(consultation.status, appointment_started=appointment_started(consultation, now=now))


def check_outcome_time(consultation: ConsultationRequest, target: RequestStatus, *, now: datetime) -> None:
    """WorkflowError for completed or no-show before the booked slot has started (or with no booking)."""
    if RequestStatus(target) not in OUTCOMES or appointment_started(consultation, now=now):
        return
    label = RequestStatus(target).label.lower()
    booking = consultation.active_booking
    if booking is None:
        raise WorkflowError(f"There is no booked appointment to mark {label}.")
    tz = ZoneInfo(clinic_info().timezone)
    when = booking.starts_at.astimezone(tz)
    raise WorkflowError(
        f"The appointment has not happened yet: it starts {when:%a %b} {when.day} at {when:%H:%M}. "
        f"Mark it {label} once it has started."
    )


def change_status(
    request_id: int, target: RequestStatus, *, actor_id: int, now: datetime
) -> ConsultationRequest:
    """Move the request to `target` if the workflow allows it; otherwise WorkflowError and nothing changes.

    Cancelling or declining a request that still holds a slot releases the slot in the same transaction,
    and the patient gets the same notice as when they cancel themselves (sent after the commit).
    """
    messages = []
    with unit_of_work():
        consultation = _load(request_id)
        current = consultation.status
        check_move(current, target)
        check_outcome_time(consultation, target, now=now)
        if target in (RequestStatus.CANCELLED, RequestStatus.DECLINED) and consultation.active_booking:
            _, message = seats.release(consultation, now=now, actor_id=actor_id)
            messages.append(message)
        consultation.status = target
        consultation.patient_cancelled_at = None  # staff have acted on the patient's cancellation
        consultation.updated_at = now
        _record(
            "request.status", request_id, actor_id, {"from": current.value, "to": RequestStatus(target).value}
        )
    outbox.deliver(messages)
    return consultation


def add_note(request_id: int, body: str, *, actor_id: int, now: datetime) -> Note:
    """A note signed by its author and stamped with the time."""
    body = (body or "").strip()
    if not body:
        raise NoteError("Write something before saving the note.")
    if len(body) > NOTE_MAX:
        raise NoteError(f"A note can be at most {NOTE_MAX} characters.")
    with unit_of_work():
        _load(request_id)
        note = Note(request_id=request_id, author_id=actor_id, body=body, created_at=now)
        db.session.add(note)
        db.session.flush()
        _record("request.note", request_id, actor_id, {"note_id": note.id})
    return note


def assign(request_id: int, staff_id: int | None, *, actor_id: int, now: datetime) -> ConsultationRequest:
    """Give the request to an active staff member, or to nobody (`staff_id` None)."""
    with unit_of_work():
        consultation = _load(request_id)
        if staff_id is not None:
            user = db.session.get(StaffUser, staff_id)
            if user is None or not user.is_active:
                raise AssignmentError("Choose an active member of staff.")
        previous = consultation.assigned_to_id
        consultation.assigned_to_id = staff_id
        consultation.updated_at = now
        _record("request.assign", request_id, actor_id, {"from": previous, "to": staff_id})
    return consultation


def cancel_booking(request_id: int, *, actor_id: int, now: datetime) -> None:
    """Cancel the booking on the patient's behalf, with the same notice as self-service.

    Only where the workflow lets the request become cancelled: a completed visit stays completed.
    """
    with unit_of_work():
        consultation = _load(request_id)
        if consultation.status != RequestStatus.CANCELLED:
            check_move(consultation.status, RequestStatus.CANCELLED)
        _, message = seats.release(consultation, now=now, actor_id=actor_id)
    outbox.deliver([message])


def reschedule_booking(request_id: int, starts_at: datetime, *, actor_id: int, now: datetime) -> None:
    """Move the booking on the patient's behalf; SlotUnavailable when the time is not free."""
    with unit_of_work():
        consultation = _load(request_id)
        if not next_statuses(consultation.status) or consultation.status == RequestStatus.CANCELLED:
            raise WorkflowError(f"A {consultation.status.label.lower()} request cannot be rescheduled.")
        _, message = seats.move(consultation, starts_at, now=now, actor_id=actor_id)
    outbox.deliver([message] if message else [])


__all__ = [
    "AssignmentError",
    "NoteError",
    "RequestDetail",
    "RequestNotFound",
    "WorkflowError",
    "add_note",
    "appointment_started",
    "assign",
    "cancel_booking",
    "change_status",
    "detail",
    "offered_moves",
    "record_view",
    "reschedule_booking",
]
