"""Booking a whole course: every session holds a chair, or nothing is stored.

`book_course` is the use case (one transaction; the patient's email leaves after the commit).
`hold_course` is its inner step, also used by the demo data: it checks the gate (consultation completed,
REMS enrolment for esketamine, no other active course), checks every session against the rules and the
pattern, then inserts the course, its sessions and their chair claims. Any session whose chair time went
to another booking meanwhile makes the whole course fail: the unit of work rolls everything back, and the
answer lists those sessions with the nearest starts that are free now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import ConsultationRequest, TreatmentCourse, TreatmentKind, TreatmentSession
from clinic.scheduling import Interval
from clinic.scheduling.courses import ChairHold, CheckedSession, nearest_starts
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking.references import new_public_id
from clinic.services.courses import chairs, kinds, messages, proposals
from clinic.services.courses.errors import (
    CourseConflict,
    CourseError,
    CourseInvalid,
    CourseRefused,
    LostSession,
)
from clinic.services.mail import outbox

ALTERNATIVES = 4
ALTERNATIVE_DAYS = 7
RACED = (
    "A course was booked for this patient a moment ago, by someone else. Open the request again to see it."
)


class _ChairsLost(CourseError):
    """Inner: some sessions found no chair (checked, or at the claim). Turned into CourseConflict after
    the rollback, with alternatives read from what is committed by then."""

    def __init__(self, kind: TreatmentKind, checked: Sequence[CheckedSession], lost: Sequence[int]) -> None:
        super().__init__("sessions lost")
        self.kind = kind
        self.checked = list(checked)
        self.lost = set(lost)


def hold_course(
    consultation: ConsultationRequest,
    kind: TreatmentKind,
    starts: Sequence[datetime],
    *,
    actor_id: int | None,
    now: datetime,
) -> TreatmentCourse:
    """Add the course, its sessions and their claims (inner step: flushes, never commits).

    CourseRefused (the gate), CourseInvalid (a rule or the pattern broken), or _ChairsLost (a chair taken):
    the caller's unit of work then rolls everything back.
    """
    reasons = proposals.refusals(
        consultation,
        kind,
        proposals.enrolment_of(consultation.id),
        proposals.active_course_of(consultation.id),
    )
    if reasons:
        raise CourseRefused(reasons)
    check, plan = proposals.check(kind, starts, now=now)
    if check.problems or any(p.code != "no_chair" for s in check.sessions for p in s.problems):
        raise CourseInvalid(check)
    lost = [s.number for s in check.sessions if s.chair_id is None]
    if lost:
        raise _ChairsLost(kind, check.sessions, lost)

    course = TreatmentCourse(
        public_id=new_public_id(),
        request=consultation,
        kind=kind,
        created_at=now,
        created_by_id=actor_id,
    )
    try:
        with db.session.begin_nested():  # the partial unique index: one active course per request
            db.session.add(course)
            db.session.flush()
    except IntegrityError:
        raise CourseRefused([RACED]) from None
    planned = kinds.as_planned(kind)
    sessions = [
        TreatmentSession(
            course=course,
            number=checked.number,
            starts_at=checked.starts_at,
            care_ends_at=checked.starts_at + planned.care,
            ends_at=checked.starts_at + planned.occupancy,
            chair_id=checked.chair_id,
        )
        for checked in check.sessions
    ]
    db.session.add_all(sessions)
    db.session.flush()
    for session, checked in zip(sessions, check.sessions, strict=True):  # in time order: see chairs.py
        if chairs.claim(session, [checked.chair_id, *plan.chair_ids]) is None:
            lost.append(session.number)
    if lost:
        raise _ChairsLost(kind, check.sessions, lost)
    return course


def _alternatives(lost: _ChairsLost, *, now: datetime) -> list[LostSession]:
    """For each lost session, the nearest starts free now that keep clear of the course's other sessions
    (their chairs and their days, by the pattern's spacing); reads what is committed."""
    with unit_of_work():
        planned = kinds.as_planned(lost.kind)
        gap = kinds.pattern_for(lost.kind).min_gap_days
        starts = [s.starts_at for s in lost.checked]
        _, plan = proposals.check(lost.kind, starts, now=now)
        tz = plan.schedule.tz
        kept = [s for s in lost.checked if s.number not in lost.lost and s.chair_id is not None]
        holds = [*plan.holds, *(ChairHold(s.chair_id, _span(s.starts_at, planned.occupancy)) for s in kept)]
        kept_days = {s.starts_at.astimezone(tz).date() for s in kept}
        avoid = {day + timedelta(days=d) for day in kept_days for d in range(1 - gap, gap)}
        return [
            LostSession(
                s.number,
                s.starts_at,
                nearest_starts(
                    planned,
                    s.starts_at,
                    schedule=plan.schedule,
                    chairs=plan.chair_ids,
                    holds=holds,
                    now=now,
                    limit=ALTERNATIVES,
                    days=ALTERNATIVE_DAYS,
                    avoid=avoid,
                ),
            )
            for s in lost.checked
            if s.number in lost.lost
        ]


def _span(starts_at: datetime, length: timedelta) -> Interval:
    return Interval(starts_at, starts_at + length)


def book_course(
    request_id: int, key: str | None, starts: Sequence[datetime], *, actor_id: int | None, now: datetime
) -> TreatmentCourse:
    """Book every session of a course, or none.

    FieldErrors (no such kind), RequestNotFound, CourseRefused (the gate: 422), CourseInvalid (rules or
    pattern: 422), CourseConflict (chairs taken meanwhile: 409, with the sessions lost and alternatives).
    """
    starts = [s.astimezone(UTC) for s in starts]
    try:
        with unit_of_work():
            consultation = proposals.load_request(request_id)
            kind = proposals.kind_or_error(key)
            course = hold_course(consultation, kind, starts, actor_id=actor_id, now=now)
            record(
                "course.booked",
                actor_id=actor_id,
                record_type="request",
                record_id=request_id,
                details={"course_id": course.id, "kind": kind.key.value, "sessions": len(course.sessions)},
            )
            message = messages.add_course_booked(course, now=now)
    except _ChairsLost as lost:
        raise CourseConflict(_alternatives(lost, now=now), starts) from None
    outbox.deliver([message])
    return course
