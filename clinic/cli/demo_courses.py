"""Demo treatment courses for `seed-demo`, so the chair board, the course pages and the REMS list are alive
on first run: a few courses of both kinds around today, placed by the course planner in the clinic's real
hours and chairs, each session holding its chair through claim rows like a booked one. Sessions already
over are completed (one a no-show), some drivers are confirmed, and the older esketamine forms are sent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import (
    ConsultationRequest,
    KindKey,
    RemsEnrolment,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.models.courses import STAFF
from clinic.scheduling.courses import ChairHold, propose_course
from clinic.scheduling.slots import local_instant
from clinic.services.booking.references import new_public_id
from clinic.services.courses import chairs, kinds
from clinic.services.rules.read import clinic_info, schedule_for
from clinic.triage.enums import RequestStatus

# (kind, first day relative to today, preferred time): four courses start today, so both chairs are busy.
PLAN = [
    (KindKey.INFUSION, -9, time(9, 0)),
    (KindKey.NASAL_SPRAY, -8, time(10, 30)),
    (KindKey.NASAL_SPRAY, -3, time(13, 0)),
    (KindKey.INFUSION, 0, time(8, 0)),
    (KindKey.NASAL_SPRAY, 0, time(11, 0)),
    (KindKey.INFUSION, 0, time(9, 0)),
    (KindKey.NASAL_SPRAY, 0, time(13, 30)),
    (KindKey.INFUSION, 2, time(14, 0)),
]


def _patients(count: int) -> list[ConsultationRequest]:
    """Requests whose consultation is completed, oldest first."""
    return list(
        db.session.scalars(
            select(ConsultationRequest)
            .where(ConsultationRequest.status == RequestStatus.COMPLETED)
            .order_by(ConsultationRequest.id)
            .limit(count)
        )
    )


def seed_courses(now: datetime, staff_ids: list[int]) -> int:
    """Add the demo courses (inner step of seed-demo's transaction); returns how many were added."""
    stored = {k.key: k for k in kinds.all_kinds()}
    patients = _patients(len(PLAN))
    if not patients or not staff_ids:
        return 0
    tz = clinic_info().rules.tz
    today = now.astimezone(tz).date()
    schedule = schedule_for(today - timedelta(days=30), today + timedelta(days=90))
    chair_ids = chairs.active_chair_ids()
    holds: list[ChairHold] = []
    made = 0
    for index, ((key, offset, preferred), patient) in enumerate(zip(PLAN, patients, strict=False)):
        kind = stored[key]
        start: date = today + timedelta(days=offset)
        # The planner's "now" is the evening before the first day, so a course that began last week is laid
        # out as it was booked then.
        booked_at = local_instant(start - timedelta(days=1), time(18), tz)
        proposal = propose_course(
            kinds.as_planned(kind),
            kinds.pattern_for(kind),
            start,
            preferred,
            schedule=schedule,
            chairs=chair_ids,
            holds=holds,
            now=booked_at,
        )
        if not proposal.sessions:
            continue
        actor = staff_ids[index % len(staff_ids)]
        if key == KindKey.NASAL_SPRAY:
            db.session.add(
                RemsEnrolment(
                    request_id=patient.id,
                    enrolled_on=start - timedelta(days=10),
                    rems_id=f"DEMO-{4100 + index}",
                    recorded_by_id=actor,
                    recorded_at=min(now, booked_at),
                )
            )
        course = TreatmentCourse(
            public_id=new_public_id(),
            request_id=patient.id,
            kind_id=kind.id,
            created_at=min(now, booked_at),
            created_by_id=actor,
        )
        db.session.add(course)
        db.session.flush()
        for planned in proposal.sessions:
            session = TreatmentSession(
                course_id=course.id,
                number=planned.number,
                starts_at=planned.starts_at,
                care_ends_at=planned.care_ends_at,
                ends_at=planned.ends_at,
                chair_id=planned.chair_id,
            )
            _history(session, now=now, actor=actor, spray=key == KindKey.NASAL_SPRAY, index=index)
            db.session.add(session)
            db.session.flush()
            if chairs.claim(session, [planned.chair_id]) is None:  # the planner kept them apart
                raise RuntimeError("demo sessions overlap")
            holds.append(planned.hold)
        made += 1
    return made


def _history(session: TreatmentSession, *, now: datetime, actor: int, spray: bool, index: int) -> None:
    """What has happened to a session by now: done (one missed), drivers, REMS forms."""
    if session.ends_at <= now:
        missed = index == 0 and session.number == 2
        session.status = SessionStatus.NO_SHOW if missed else SessionStatus.COMPLETED
        session.status_at, session.status_by, session.status_by_staff_id = session.care_ends_at, STAFF, actor
        session.driver_confirmed_at = session.starts_at - timedelta(hours=20)
        session.driver_confirmed_by = "patient"
        if spray and not missed and session.starts_at < now - timedelta(days=3):
            session.rems_form_sent_at = session.starts_at + timedelta(days=1)
            session.rems_form_sent_by_id = actor
    elif session.number % 3 == 1:
        session.driver_confirmed_at = now - timedelta(hours=2)
        session.driver_confirmed_by = "patient"
