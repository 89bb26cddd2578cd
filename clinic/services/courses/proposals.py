"""What staff are offered when they plan a course: the whole course proposed from the pattern, or the
course as they adjusted it, checked; and what keeps a request from getting a course at all.

Reads only. A page costs a fixed number of statements whatever the number of sessions, chairs or holds:
the request, its REMS enrolment, its active course, the kind, then the settings, closures, chairs and the
chairs' holds over the course's weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.extensions import db
from clinic.models import (
    ConsultationRequest,
    CourseStatus,
    KindKey,
    RemsEnrolment,
    TreatmentCourse,
    TreatmentKind,
)
from clinic.scheduling import Schedule, local_instant
from clinic.scheduling.courses import (
    ChairHold,
    CourseCheck,
    CourseProposal,
    check_course,
    propose_course,
)
from clinic.services.courses import chairs, kinds
from clinic.services.courses.errors import FieldErrors, RequestNotFound
from clinic.services.rules.read import clinic_info, schedule_for
from clinic.triage.enums import RequestStatus

SEARCH_DAYS = 60  # how far from the preferred start the first session is looked for
MARGIN_DAYS = 15  # around a course, for the nearest alternatives (the planner looks 14 days either side)
COURSE_DAYS = 8 * 7  # the longest pattern (esketamine: 8 weeks)

NOT_COMPLETED = (
    "A course is booked once the consultation is completed: this request is {status}. "
    "Mark the consultation completed first."
)
NO_REMS = (
    "Esketamine nasal spray needs the patient's REMS enrollment first: record the enrollment date and "
    "REMS patient ID on the request, then book."
)
ALREADY_ACTIVE = (
    "This patient already has an active course. Finish or cancel its sessions before booking another."
)


@dataclass(frozen=True, slots=True)
class Planning:
    """The planner's inputs for a span of days: rules, chairs in use and their holds."""

    schedule: Schedule
    chair_ids: list[int]
    holds: list[ChairHold]


def planning(first: date, last: date, *, leave_out: Sequence[int] = ()) -> Planning:
    """The planner's inputs for the local days first..last (with a day's margin for the holds)."""
    schedule = schedule_for(first, last)
    tz = schedule.tz
    holds = chairs.holds_between(
        local_instant(first, time(0), tz) - timedelta(days=1),
        local_instant(last + timedelta(days=1), time(0), tz) + timedelta(days=1),
        leave_out=leave_out,
    )
    return Planning(schedule, chairs.active_chair_ids(), holds)


def load_request(request_id: int) -> ConsultationRequest:
    consultation = db.session.get(ConsultationRequest, request_id)
    if consultation is None:
        raise RequestNotFound(request_id)
    return consultation


def enrolment_of(request_id: int) -> RemsEnrolment | None:
    return db.session.scalar(select(RemsEnrolment).where(RemsEnrolment.request_id == request_id))


def active_course_of(request_id: int) -> TreatmentCourse | None:
    return db.session.scalar(
        select(TreatmentCourse).where(
            TreatmentCourse.request_id == request_id, TreatmentCourse.status == CourseStatus.ACTIVE
        )
    )


def refusals(
    consultation: ConsultationRequest,
    kind: TreatmentKind,
    enrolment: RemsEnrolment | None,
    active: TreatmentCourse | None,
) -> list[str]:
    """Why this request cannot get a course of `kind` now; empty when it can."""
    reasons = []
    if consultation.status != RequestStatus.COMPLETED:
        reasons.append(NOT_COMPLETED.format(status=consultation.status.label.lower()))
    if kind.key == KindKey.NASAL_SPRAY and enrolment is None:
        reasons.append(NO_REMS)
    if active is not None:
        reasons.append(ALREADY_ACTIVE)
    return reasons


def kind_or_error(key: str | None) -> TreatmentKind:
    kind = kinds.by_key(key or "")
    if kind is None:
        raise FieldErrors({"kind": "Choose a treatment: IV infusion or esketamine nasal spray."})
    return kind


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """A course as the planning page shows it: proposed, or as staff adjusted it and checked."""

    consultation: ConsultationRequest
    kind: TreatmentKind
    enrolment: RemsEnrolment | None
    active: TreatmentCourse | None
    refusals: list[str]
    proposal: CourseProposal | None = None
    check: CourseCheck | None = None

    @property
    def bookable(self) -> bool:
        return not self.refusals


def _gate(request_id: int, key: str | None) -> tuple[ConsultationRequest, TreatmentKind, dict]:
    consultation = load_request(request_id)
    kind = kind_or_error(key)
    enrolment = enrolment_of(request_id)
    active = active_course_of(request_id)
    return (
        consultation,
        kind,
        {
            "enrolment": enrolment,
            "active": active,
            "refusals": refusals(consultation, kind, enrolment, active),
        },
    )


def gate(request_id: int, key: str | None) -> CoursePlan:
    """What stands between the request and a course of `key`, without planning anything."""
    consultation, kind, found = _gate(request_id, key)
    return CoursePlan(consultation, kind, **found)


def courses_of(request_id: int) -> list[TreatmentCourse]:
    """The request's courses, newest first, with their sessions (two queries)."""
    return list(
        db.session.scalars(
            select(TreatmentCourse)
            .where(TreatmentCourse.request_id == request_id)
            .options(selectinload(TreatmentCourse.sessions), joinedload(TreatmentCourse.kind))
            .order_by(TreatmentCourse.created_at.desc(), TreatmentCourse.id.desc())
        )
    )


def propose(request_id: int, key: str | None, start: date, preferred: time, *, now: datetime) -> CoursePlan:
    """The whole course from the pattern: each session at `preferred` (clinic time) on the first allowed day
    with a free chair, else the nearest free start that day, else the next allowed day."""
    consultation, kind, gate = _gate(request_id, key)
    plan = planning(
        start - timedelta(days=MARGIN_DAYS), start + timedelta(days=SEARCH_DAYS + COURSE_DAYS + MARGIN_DAYS)
    )
    proposal = propose_course(
        kinds.as_planned(kind),
        kinds.pattern_for(kind),
        start,
        preferred,
        schedule=plan.schedule,
        chairs=plan.chair_ids,
        holds=plan.holds,
        now=now,
        search_days=SEARCH_DAYS,
    )
    return CoursePlan(consultation, kind, proposal=proposal, **gate)


def check(
    kind: TreatmentKind, starts: Sequence[datetime], *, now: datetime, leave_out: Sequence[int] = ()
) -> tuple[CourseCheck, Planning]:
    """Check starts (any order) against the rules, the pattern and the chairs' holds."""
    ordered = sorted(s.astimezone(UTC) for s in starts)
    tz = clinic_info().rules.tz
    first, last = (
        (ordered[0].astimezone(tz).date(), ordered[-1].astimezone(tz).date())
        if ordered
        else (now.astimezone(tz).date(),) * 2
    )
    plan = planning(
        first - timedelta(days=MARGIN_DAYS), last + timedelta(days=MARGIN_DAYS), leave_out=leave_out
    )
    result = check_course(
        kinds.as_planned(kind),
        kinds.pattern_for(kind),
        ordered,
        schedule=plan.schedule,
        chairs=plan.chair_ids,
        holds=plan.holds,
        now=now,
    )
    return result, plan


def review(request_id: int, key: str | None, starts: Sequence[datetime], *, now: datetime) -> CoursePlan:
    """The course as staff adjusted it, each session checked: what the page shows again after a refusal."""
    consultation, kind, gate = _gate(request_id, key)
    result, _ = check(kind, starts, now=now)
    return CoursePlan(consultation, kind, check=result, **gate)
