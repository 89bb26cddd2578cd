"""One session's changes: its outcome (completed, no-show, cancelled), a move to another time, and the
driver home confirmed, by staff or by the patient on the course page.

Each change is one transaction, guarded in the database (`UPDATE … WHERE status = 'scheduled'`, or on the
session's revision), so two people changing the same session at once never both succeed. A cancel frees
the chair at once (its claims go; the row stays with who cancelled it and when). A move claims the new
time before it frees the old one. Emails to the patient leave after the commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Row, select, update
from sqlalchemy.orm import joinedload, selectinload

from clinic.extensions import db
from clinic.models import (
    Chair,
    CourseStatus,
    OutboxMessage,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.models.courses import PATIENT, STAFF
from clinic.scheduling.courses import ChairHold, ProposedSession, free_chair, nearest_starts, session_problems
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.courses import chairs, kinds, messages, proposals
from clinic.services.courses.errors import (
    CourseError,
    SessionConflict,
    SessionInvalid,
    SessionNotFound,
    SessionRefused,
)
from clinic.services.mail import outbox
from clinic.services.rules.read import clinic_info

OUTCOMES = (SessionStatus.COMPLETED, SessionStatus.NO_SHOW, SessionStatus.CANCELLED)
CHANGED = "This session was changed a moment ago by someone else. Here is how it stands now."


def load(session_id: int) -> TreatmentSession:
    """The session with its course, request, kind and chair, in one query; SessionNotFound otherwise."""
    session = db.session.scalar(
        select(TreatmentSession)
        .where(TreatmentSession.id == session_id)
        .options(
            joinedload(TreatmentSession.course).joinedload(TreatmentCourse.request),
            joinedload(TreatmentSession.course).joinedload(TreatmentCourse.kind),
            joinedload(TreatmentSession.chair),
        )
    )
    if session is None:
        raise SessionNotFound(session_id)
    return session


def claim_due_sessions(
    pending: ColumnElement[bool], *, now: datetime, within: timedelta, limit: int
) -> list[Row[tuple[int, int]]]:
    """Claim up to `limit` scheduled sessions of active courses starting within `within` of `now` that are
    still `pending` for the calling job; returns (session id, request id) rows, soonest first.

    The rows stay locked until the caller's transaction ends: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so a
    job running on another host at the same minute skips them rather than waits (SQLite's writers begin
    IMMEDIATE and take turns).
    """
    return list(
        db.session.execute(
            select(TreatmentSession.id, TreatmentCourse.request_id)
            .join(TreatmentSession.course)
            .where(
                pending,
                TreatmentSession.status == SessionStatus.SCHEDULED,
                TreatmentSession.starts_at > now,
                TreatmentSession.starts_at <= now + within,
                TreatmentCourse.status == CourseStatus.ACTIVE,
            )
            .order_by(TreatmentSession.starts_at, TreatmentSession.id)
            .limit(limit)
            .with_for_update(of=TreatmentSession, skip_locked=True)
        )
    )


def course_page(course_id: int) -> tuple[TreatmentCourse, dict[int, Chair]]:
    """A course for its staff page: sessions, request, kind, and every chair by id (two queries)."""
    course = db.session.scalar(
        select(TreatmentCourse)
        .where(TreatmentCourse.id == course_id)
        .options(
            selectinload(TreatmentCourse.sessions),
            joinedload(TreatmentCourse.request),
            joinedload(TreatmentCourse.kind),
        )
    )
    if course is None:
        raise SessionNotFound(course_id)
    return course, {chair.id: chair for chair in chairs.all_chairs()}


def by_number(course: TreatmentCourse, number: int) -> TreatmentSession:
    session = next((s for s in course.sessions if s.number == number), None)
    if session is None:
        raise SessionNotFound(number)
    return session


def _settle(course: TreatmentCourse) -> None:
    """Close the course once no session is left scheduled: completed, or cancelled if every one was."""
    statuses = {s.status for s in course.sessions}
    if SessionStatus.SCHEDULED in statuses:
        return
    course.status = (
        CourseStatus.CANCELLED if statuses == {SessionStatus.CANCELLED} else CourseStatus.COMPLETED
    )


def _set_status(
    session: TreatmentSession, target: SessionStatus, *, by: str, actor_id: int | None, now: datetime
) -> None:
    """The guarded status change (inner step): SessionRefused when someone else changed it first."""
    changed = db.session.execute(
        update(TreatmentSession)
        .where(TreatmentSession.id == session.id, TreatmentSession.status == SessionStatus.SCHEDULED)
        .values(
            status=target,
            status_at=now,
            status_by=by,
            status_by_staff_id=actor_id,
            revision=TreatmentSession.revision + (1 if target == SessionStatus.CANCELLED else 0),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise SessionRefused(CHANGED)
    if target == SessionStatus.CANCELLED:
        chairs.release(session)
    db.session.refresh(session)
    _settle(session.course)


def _audit(action: str, session: TreatmentSession, *, actor_id: int | None, **details) -> None:
    record(
        action,
        actor_id=actor_id,
        record_type="request",
        record_id=session.course.request_id,
        details={"course_id": session.course_id, "session": session.number, **details},
    )


def change_status(
    session_id: int, target: SessionStatus, *, actor_id: int, now: datetime
) -> TreatmentSession:
    """Staff record a session's outcome. Completed and no-show once it has started; cancelled any time
    before it is done (the chair is free at once and the patient is told). SessionRefused otherwise."""
    target = SessionStatus(target)
    if target not in OUTCOMES:
        raise SessionRefused("Choose completed, no-show or cancelled.")
    message: OutboxMessage | None = None
    with unit_of_work():
        session = load(session_id)
        if session.status != SessionStatus.SCHEDULED:
            raise SessionRefused(f"This session is already {session.status.label.lower()}.")
        if target != SessionStatus.CANCELLED and session.starts_at > now:
            raise SessionRefused(
                f"This session has not started yet: it can be marked {target.label.lower()} once it has."
            )
        _set_status(session, target, by=STAFF, actor_id=actor_id, now=now)
        _audit(f"course.session_{target.value}", session, actor_id=actor_id)
        if target == SessionStatus.CANCELLED and session.starts_at > now:
            message = messages.add_session_cancelled(session, now=now)
    outbox.deliver([message] if message else [])
    return session


def cancel_for_patient(course: TreatmentCourse, number: int, *, now: datetime) -> TreatmentSession:
    """The patient cancels one session from their page, until it starts: SessionRefused after that."""
    with unit_of_work():
        session = by_number(course, number)
        if session.status != SessionStatus.SCHEDULED:
            raise SessionRefused(f"This appointment is already {session.status.label.lower()}.")
        if session.starts_at <= now:
            raise SessionRefused("This appointment has started or is over: please call us.")
        _set_status(session, SessionStatus.CANCELLED, by=PATIENT, actor_id=None, now=now)
        _audit("course.session_cancelled", session, actor_id=None, by=PATIENT)
        message = messages.add_session_cancelled(session, now=now)
    outbox.deliver([message])
    return session


def _confirm_driver(session: TreatmentSession, *, by: str, actor_id: int | None, now: datetime) -> bool:
    if session.status != SessionStatus.SCHEDULED:
        raise SessionRefused(f"This appointment is {session.status.label.lower()}: nothing to confirm.")
    if session.driver_confirmed_at is not None:
        return False
    session.driver_confirmed_at = now
    session.driver_confirmed_by = by
    session.driver_confirmed_by_staff_id = actor_id
    _audit("course.driver_confirmed", session, actor_id=actor_id, by=by)
    return True


def confirm_driver_for_patient(course: TreatmentCourse, number: int, *, now: datetime) -> bool:
    """The patient confirms who drives them home; False when it was confirmed already."""
    with unit_of_work():
        return _confirm_driver(by_number(course, number), by=PATIENT, actor_id=None, now=now)


def confirm_driver(session_id: int, *, actor_id: int, now: datetime) -> bool:
    """Staff confirm the driver (the patient told them by phone); False when it was confirmed already."""
    with unit_of_work():
        return _confirm_driver(load(session_id), by=STAFF, actor_id=actor_id, now=now)


class _NoChair(CourseError):
    pass


def _gap_problems(session: TreatmentSession, starts_at: datetime, tz, gap: int) -> list[str]:
    day = starts_at.astimezone(tz).date()
    problems = []
    for other in session.course.sessions:
        if other.id == session.id or not other.is_held:
            continue
        other_day = other.starts_at.astimezone(tz).date()
        if abs((other_day - day).days) < gap:
            problems.append(
                f"Sessions are at least {gap} days apart: "
                f"session {other.number} is on {other_day.isoformat()}."
            )
    return problems


def reschedule(session_id: int, starts_at: datetime, *, actor_id: int, now: datetime) -> TreatmentSession:
    """Move a scheduled session to `starts_at` (in its chair if free, else another), with the kind's current
    phases; its claims move in the same transaction, the driver is asked again, a flag is cleared.

    SessionRefused (not scheduled), SessionInvalid (hours, closures, notice, spacing), SessionConflict (no
    chair free: nothing changed; the nearest free starts are offered).
    """
    starts_at = starts_at.astimezone(UTC)
    try:
        with unit_of_work():
            session = load(session_id)
            if session.status != SessionStatus.SCHEDULED:
                raise SessionRefused(f"This session is {session.status.label.lower()}: it cannot move.")
            if starts_at == session.starts_at:
                raise SessionInvalid(["That is already the session's time."])
            planned = kinds.as_planned(session.course.kind)
            plan = _plan_around(session, starts_at)
            problems = [
                p.message
                for p in session_problems(
                    planned,
                    starts_at,
                    session.chair_id,
                    schedule=plan.schedule,
                    holds=plan.holds,
                    now=now,
                )
                if p.code != "chair_taken"
            ]
            gap = kinds.pattern_for(session.course.kind).min_gap_days
            problems += _gap_problems(session, starts_at, plan.schedule.tz, gap)
            if problems:
                raise SessionInvalid(problems)
            ends_at = starts_at + planned.occupancy
            preferred = [session.chair_id] if session.chair_id in plan.chair_ids else []
            candidates = list(dict.fromkeys([*preferred, *plan.chair_ids]))
            free = [c for c in candidates if free_chair(planned, starts_at, [c], plan.holds) is not None]
            chair_id = chairs.move(session, free, starts_at, ends_at) if free else None
            if chair_id is None:
                raise _NoChair("no chair")
            previous, seen = session.starts_at, session.revision
            moved = db.session.execute(
                update(TreatmentSession)
                .where(TreatmentSession.id == session.id, TreatmentSession.revision == seen)
                .values(
                    starts_at=starts_at,
                    care_ends_at=starts_at + planned.care,
                    ends_at=ends_at,
                    chair_id=chair_id,
                    revision=seen + 1,
                    reminder_sent_at=None,
                    driver_confirmed_at=None,
                    driver_confirmed_by=None,
                    driver_confirmed_by_staff_id=None,
                    flagged_at=None,
                    flag_reason=None,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                raise SessionRefused(CHANGED)
            db.session.refresh(session)
            _audit(
                "course.session_moved",
                session,
                actor_id=actor_id,
                previous=previous.isoformat(),
                to=starts_at.isoformat(),
            )
            message = messages.add_session_moved(session, previous, now=now)
    except _NoChair:
        raise SessionConflict(_alternatives(session_id, starts_at, now=now)) from None
    outbox.deliver([message])
    return session


def _plan_around(session: TreatmentSession, starts_at: datetime) -> proposals.Planning:
    tz = clinic_info().rules.tz
    day = starts_at.astimezone(tz).date()
    return proposals.planning(
        day - timedelta(days=proposals.MARGIN_DAYS),
        day + timedelta(days=proposals.MARGIN_DAYS),
        leave_out=[session.id],
    )


def alternatives_for(session: TreatmentSession, target: datetime, *, now: datetime) -> list[ProposedSession]:
    """The nearest free starts around `target` for this session, clear of its course's other days."""
    planned = kinds.as_planned(session.course.kind)
    plan = _plan_around(session, target)
    tz = plan.schedule.tz
    gap = kinds.pattern_for(session.course.kind).min_gap_days
    others = [s for s in session.course.sessions if s.id != session.id and s.is_held]
    avoid = {
        s.starts_at.astimezone(tz).date() + timedelta(days=d) for s in others for d in range(1 - gap, gap)
    }
    holds: list[ChairHold] = plan.holds
    return list(
        nearest_starts(
            planned,
            target,
            schedule=plan.schedule,
            chairs=plan.chair_ids,
            holds=holds,
            now=now,
            limit=4,
            days=7,
            avoid=avoid,
        )
    )


def _alternatives(session_id: int, target: datetime, *, now: datetime) -> list[ProposedSession]:
    with unit_of_work():
        return alternatives_for(load(session_id), target, now=now)
