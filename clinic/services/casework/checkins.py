"""Check-ins between treatment sessions (SPEC 12): send a PHQ-9 by signed link, take its one answer, and read
a request's trajectory back.

- `send_due(now)`: run by `run-jobs`, a check-in for every scheduled session of an active course that starts
  within 24 hours, once per session. Due sessions are claimed `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's
  writers begin IMMEDIATE and take turns), and `check_ins.session_id` is unique, so two runners in the same
  minute never send one twice: the loser's insert fails in its savepoint and is skipped.
- `send(request_id)`: staff send one on demand.
- `answer(check_in_id, answers)`: the answer is stored by an UPDATE guarded on `answered_at IS NULL` and on
  the expiry, so a link takes one answer whatever the number of submits at once. Scored by the intake's
  screening core; item 9 above 0 escalates the request through the rule the intake uses (urgent.escalate).
- `trajectory_card(request)`: the staff page's read, in a fixed number of
  statements whatever the number of check-ins.

The email says only that the clinic asks a few questions before the next appointment: no score, no
questionnaire's name, no drug. Audit events hold ids only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clinic import signing
from clinic.extensions import db
from clinic.models import (
    CheckIn,
    CheckInReason,
    ConsultationRequest,
    OutboxMessage,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.models.sealed import bound_values
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.audit.record import record_view as audit_view
from clinic.services.casework import urgent
from clinic.services.courses.sessions import claim_due_sessions
from clinic.services.mail import notifications, outbox
from clinic.services.rules.read import clinic_info
from clinic.triage.screening import band_for, is_self_harm, phq9_score
from clinic.triage.trajectory import Trajectory, TrajectoryChart, build_trajectory, trajectory_chart

VALID_FOR = timedelta(hours=72)
DUE_WITHIN = timedelta(hours=24)  # a day before each session
BATCH = 100
SALT = "clinic.check-in"
RECORD = "request"


class CheckInClosed(Exception):
    """The check-in takes no answer any more."""


class AlreadyAnswered(CheckInClosed):
    pass


class CheckInExpired(CheckInClosed):
    pass


class RequestNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Answered:
    """What the patient's page needs after an answer: whether to show the crisis panel at once."""

    check_in_id: int
    score: int
    self_harm: bool


# Links ------------------------------------------------------------------------------------------------


def token_for(check_in: CheckIn) -> str:
    return signing.sign(SALT, check_in.public_id)


def check_in_url(check_in: CheckIn) -> str:
    return f"{notifications.base_url()}/check-ins/{token_for(check_in)}"


def load_token(token: str) -> CheckIn | None:
    """The check-in a token was signed for (answered or expired ones too: the page says which), or None
    when the token is forged or malformed."""
    public_id = signing.read(SALT, token)
    if not isinstance(public_id, str):
        return None
    return db.session.scalar(select(CheckIn).where(CheckIn.public_id == public_id))


# Sending ----------------------------------------------------------------------------------------------


def _add(
    consultation: ConsultationRequest,
    *,
    reason: CheckInReason,
    now: datetime,
    session_id: int | None = None,
    actor_id: int | None = None,
) -> tuple[CheckIn, OutboxMessage]:
    """Insert a check-in, audit it and add its email (an inner step: the caller commits). IntegrityError when
    the session already has one."""
    check_in = CheckIn(
        public_id=secrets.token_hex(16),
        request_id=consultation.id,
        session_id=session_id,
        reason=reason,
        sent_at=now,
        sent_by_id=actor_id,
        expires_at=now + VALID_FOR,
    )
    with db.session.begin_nested():
        db.session.add(check_in)
    record(
        "checkin.send",
        actor_id=actor_id,
        record_type=RECORD,
        record_id=consultation.id,
        details={"check_in_id": check_in.id, **({"session_id": session_id} if session_id else {})},
    )
    message = notifications.add_check_in(
        consultation, url=check_in_url(check_in), expires_at=check_in.expires_at
    )
    return check_in, message


def send(request_id: int, *, actor_id: int, now: datetime) -> CheckIn:
    """Staff send a check-in now (RequestNotFound when there is no such request)."""
    with unit_of_work():
        consultation = db.session.get(ConsultationRequest, request_id)
        if consultation is None:
            raise RequestNotFound(request_id)
        check_in, message = _add(consultation, reason=CheckInReason.STAFF, now=now, actor_id=actor_id)
    outbox.deliver([message])
    return check_in


def send_due(*, now: datetime) -> int:
    """A check-in for every scheduled session of an active course starting within 24 hours that has none
    yet; returns how many were sent. Safe to run from any number of hosts at once."""
    sent = 0
    while True:
        with unit_of_work():
            unchecked = ~exists().where(CheckIn.session_id == TreatmentSession.id)
            due = claim_due_sessions(unchecked, now=now, within=DUE_WITHIN, limit=BATCH)
            if not due:
                return sent
            requests = {
                r.id: r
                for r in db.session.scalars(
                    select(ConsultationRequest).where(ConsultationRequest.id.in_({r for _, r in due}))
                )
            }
            added = []
            for session_id, request_id in due:
                try:
                    _, message = _add(
                        requests[request_id], reason=CheckInReason.SESSION, now=now, session_id=session_id
                    )
                except IntegrityError:  # another runner sent this session's check-in meanwhile
                    continue
                added.append(message)
        outbox.deliver(added)
        sent += len(added)
        if len(due) < BATCH:
            return sent


# Answering --------------------------------------------------------------------------------------------


def record_view(check_in_id: int) -> None:
    """Audit that the patient opened their check-in link: a repeat within the visit gap is folded into
    the visit when read, so a link opened many times does not flood the request's history."""
    with unit_of_work():
        request_id = db.session.scalar(select(CheckIn.request_id).where(CheckIn.id == check_in_id))
        audit_view(
            "checkin.view",
            actor_id=None,
            record_type=RECORD,
            record_id=request_id,
            details={"check_in_id": check_in_id, "by": "patient"},
        )


def answer(check_in_id: int, answers: tuple[int, ...], difficulty: int | None, *, now: datetime) -> Answered:
    """Store the one answer of a check-in; AlreadyAnswered or CheckInExpired (nothing stored) otherwise.
    Item 9 above 0 makes the request urgent and open again and tells the clinic at once."""
    score = phq9_score(answers)
    messages = []
    with unit_of_work():
        seal = db.session.scalar(select(CheckIn.seal).where(CheckIn.id == check_in_id))
        if seal is None:
            raise CheckInExpired(check_in_id)
        stored = db.session.execute(
            update(CheckIn)
            .where(CheckIn.id == check_in_id, CheckIn.answered_at.is_(None), CheckIn.expires_at > now)
            .values(
                answered_at=now,
                **bound_values(seal, phq9_answers=list(answers), phq9_difficulty=difficulty),
                phq9_score=score,
                phq9_band=band_for(score),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        check_in = db.session.get(CheckIn, check_in_id, populate_existing=True)
        if stored != 1:
            if check_in is not None and check_in.answered_at is not None:
                raise AlreadyAnswered(check_in_id)
            raise CheckInExpired(check_in_id)
        record(
            "checkin.answer",
            actor_id=None,
            record_type=RECORD,
            record_id=check_in.request_id,
            details={"check_in_id": check_in_id, "by": "patient"},
        )
        self_harm = is_self_harm(answers)
        if self_harm:
            consultation = db.session.get(ConsultationRequest, check_in.request_id)
            messages.append(urgent.escalate(consultation, now=now, check_in_id=check_in_id))
    outbox.deliver(messages)
    return Answered(check_in_id, score, self_harm)


# Reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrajectoryCard:
    """The request page's trajectory section: the scores against the baseline, the chart, and every
    check-in sent (newest first) with its state."""

    trajectory: Trajectory
    chart: TrajectoryChart
    check_ins: list[CheckIn]

    def changes_at(self, now: datetime) -> datetime | None:
        """The first instant after `now` at which the clock alone shows the card differently: an unanswered
        check-in's window closing ("waiting for an answer" becomes "expired unanswered")."""
        closing = [c.expires_at for c in self.check_ins if c.answered_at is None and now < c.expires_at]
        return min(closing, default=None)


def trajectory_card(consultation: ConsultationRequest) -> TrajectoryCard:
    """Two statements whatever the number of check-ins and sessions."""
    info = clinic_info()
    check_ins = list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.request_id == consultation.id)
            .options(joinedload(CheckIn.session))
            .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())
        )
    )
    session_starts = db.session.scalars(
        select(TreatmentSession.starts_at)
        .join(TreatmentSession.course)
        .where(
            TreatmentCourse.request_id == consultation.id, TreatmentSession.status != SessionStatus.CANCELLED
        )
        .order_by(TreatmentSession.starts_at)
    ).all()
    trajectory = build_trajectory(
        consultation.phq9_score,
        [(c.answered_at, c.phq9_score) for c in check_ins if c.answered_at is not None],
        baseline_at=consultation.created_at,
    )
    chart = trajectory_chart(trajectory, timezone=info.timezone, sessions=session_starts)
    return TrajectoryCard(trajectory, chart, check_ins)
