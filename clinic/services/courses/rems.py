"""The esketamine REMS paperwork: the patient's enrollment (recorded before any nasal-spray course) and
the monitoring form due within 7 days of each completed nasal-spray session.

The REMS patient ID stays on the request's staff pages: never in the audit log, a URL or an email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from clinic.extensions import db
from clinic.models import (
    ConsultationRequest,
    KindKey,
    RemsEnrolment,
    SessionStatus,
    TreatmentCourse,
    TreatmentKind,
    TreatmentSession,
)
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.courses import proposals
from clinic.services.courses.errors import FieldErrors, SessionNotFound, SessionRefused

FORM_DUE_DAYS = 7
FIRST_APPROVAL = date(2019, 3, 5)  # esketamine nasal spray first approved by the FDA; no enrollment before
REMS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{2,39}")


def enrolment_errors(enrolled_on: date | None, rems_id: str, *, today: date) -> dict[str, str]:
    errors = {}
    if enrolled_on is None:
        errors["enrolled_on"] = "Give the enrollment date as YYYY-MM-DD."
    elif enrolled_on > today:
        errors["enrolled_on"] = "The enrollment date cannot be in the future."
    elif enrolled_on < FIRST_APPROVAL:
        errors["enrolled_on"] = "The REMS program started in March 2019: check the enrollment date."
    if not REMS_ID.fullmatch(rems_id):
        errors["rems_id"] = (
            "Give the patient's REMS ID as it appears on the enrollment: 3 to 40 letters, digits, spaces "
            "or hyphens."
        )
    return errors


def record_enrolment(
    request_id: int, enrolled_on: date | None, rems_id: str, *, actor_id: int, today: date
) -> RemsEnrolment:
    """Record (or correct) the patient's REMS enrollment; FieldErrors by form field otherwise."""
    rems_id = (rems_id or "").strip()
    errors = enrolment_errors(enrolled_on, rems_id, today=today)
    if errors or enrolled_on is None:
        raise FieldErrors(errors)
    with unit_of_work():
        proposals.load_request(request_id)
        enrolment = proposals.enrolment_of(request_id)
        action = "rems.enrolment_corrected" if enrolment else "rems.enrolment_recorded"
        if enrolment is None:
            enrolment = RemsEnrolment(request_id=request_id, enrolled_on=enrolled_on, rems_id=rems_id)
            db.session.add(enrolment)
        enrolment.enrolled_on, enrolment.rems_id, enrolment.recorded_by_id = enrolled_on, rems_id, actor_id
        db.session.flush()
        record(action, actor_id=actor_id, record_type="request", record_id=request_id)
    return enrolment


def form_due_on(session: TreatmentSession, tz) -> date:
    """The last day for a nasal-spray session's REMS monitoring form: 7 days after it, in clinic time."""
    return session.starts_at.astimezone(tz).date() + timedelta(days=FORM_DUE_DAYS)


@dataclass(frozen=True, slots=True)
class FormDue:
    session: TreatmentSession
    due_on: date
    overdue: bool

    @property
    def request(self) -> ConsultationRequest:
        return self.session.course.request


def forms_due(*, today: date, tz) -> list[FormDue]:
    """Completed nasal-spray sessions whose REMS form is not marked sent, oldest first; one query."""
    sessions = db.session.scalars(
        select(TreatmentSession)
        .join(TreatmentSession.course)
        .join(TreatmentCourse.kind)
        .join(TreatmentCourse.request)
        .where(
            TreatmentKind.key == KindKey.NASAL_SPRAY,
            TreatmentSession.status == SessionStatus.COMPLETED,
            TreatmentSession.rems_form_sent_at.is_(None),
        )
        .options(
            contains_eager(TreatmentSession.course).contains_eager(TreatmentCourse.request),
            contains_eager(TreatmentSession.course).contains_eager(TreatmentCourse.kind),
        )
        .order_by(TreatmentSession.starts_at, TreatmentSession.id)
    ).unique()
    due = []
    for session in sessions:
        due_on = form_due_on(session, tz)
        due.append(FormDue(session, due_on, due_on < today))
    return due


def mark_form_sent(session_id: int, *, actor_id: int, now: datetime) -> TreatmentSession:
    """Mark a completed nasal-spray session's REMS form sent (once): SessionRefused for any other."""
    with unit_of_work():
        session = db.session.get(TreatmentSession, session_id)
        if session is None:
            raise SessionNotFound(session_id)
        if session.course.kind.key != KindKey.NASAL_SPRAY or session.status != SessionStatus.COMPLETED:
            raise SessionRefused("A REMS form is due only for a completed esketamine session.")
        marked = db.session.execute(
            update(TreatmentSession)
            .where(TreatmentSession.id == session_id, TreatmentSession.rems_form_sent_at.is_(None))
            .values(rems_form_sent_at=now, rems_form_sent_by_id=actor_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if marked != 1:
            raise SessionRefused("This session's REMS form was already marked sent.")
        record(
            "rems.form_sent",
            actor_id=actor_id,
            record_type="request",
            record_id=session.course.request_id,
            details={"course_id": session.course_id, "session": session.number},
        )
    return session
