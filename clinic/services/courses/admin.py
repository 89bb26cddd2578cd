"""Admin changes to the chairs and the treatment kinds, made safely like hours and closures.

A change that would break booked sessions lists them first and asks for confirmation
(`clinic.services.rules.changes`: AdminChangeError for a bad field, ConfirmationNeeded with the sessions).
Once confirmed, those sessions are kept exactly as booked and flagged for staff, never cancelled or moved.
Taking a chair out of use breaks the sessions still to come in it. New minutes for a kind apply to every
session still to come that they fit (its chair time grows or shrinks in the same transaction); the
sessions they would push past closing, into a closure or into the next session in the chair are the ones
listed and flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import (
    Chair,
    ConsultationRequest,
    KindKey,
    SessionStatus,
    TreatmentCourse,
    TreatmentKind,
    TreatmentSession,
)
from clinic.scheduling import Interval
from clinic.scheduling import courses as planner
from clinic.scheduling.courses import ChairHold, session_problems
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.courses import chairs, kinds
from clinic.services.rules.changes import AdminChangeError, change_date, confirm_or_raise
from clinic.services.rules.read import clinic_info, schedule_for

NAME_MAX = 60
KIND_NAME_MAX = 80
RANGES = {"dose_minutes": (5, 240), "monitoring_minutes": (0, 480), "turnover_minutes": (0, 120)}
ESKETAMINE_MONITORING = 120
# What new minutes can newly break; other problems (hours, notice) were there before the change.
DURATION_PROBLEMS = {"after_closing", "closure", "chair_taken"}


@dataclass(frozen=True, slots=True)
class SessionRef:
    """A booked session as the admin pages list it: ids, reference and time only (no health data)."""

    session_id: int
    course_id: int
    request_id: int
    reference: str
    number: int
    starts_at: datetime
    chair_name: str
    is_flagged: bool = False


def _upcoming(now: datetime, *, chair_id: int | None = None, kind_id: int | None = None):
    query = (
        select(TreatmentSession, ConsultationRequest.reference, Chair.name)
        .join(TreatmentSession.course)
        .join(TreatmentCourse.request)
        .join(TreatmentSession.chair)
        .where(TreatmentSession.status == SessionStatus.SCHEDULED, TreatmentSession.starts_at >= now)
        .order_by(TreatmentSession.starts_at, TreatmentSession.id)
    )
    if chair_id is not None:
        query = query.where(TreatmentSession.chair_id == chair_id)
    if kind_id is not None:
        query = query.where(TreatmentCourse.kind_id == kind_id)
    return db.session.execute(query).all()


def _ref(session: TreatmentSession, reference: str, chair_name: str) -> SessionRef:
    return SessionRef(
        session.id,
        session.course_id,
        session.course.request_id,
        reference,
        session.number,
        session.starts_at,
        chair_name,
        session.flagged_at is not None,
    )


def _flag(sessions: Sequence[TreatmentSession], reason: str, *, now: datetime) -> list[int]:
    for session in sessions:
        session.flagged_at = now
        session.flag_reason = reason[:200]
    return [s.id for s in sessions]


# Chairs


def _chair_errors(name: str, *, chair_id: int | None) -> dict[str, str]:
    if not name:
        return {"name": "Give the chair a name, such as Chair 3 or Window chair."}
    if len(name) > NAME_MAX or not name.isprintable():
        return {"name": f"Use at most {NAME_MAX} letters, digits and punctuation."}
    taken = db.session.scalar(
        select(Chair.id).where(func.lower(Chair.name) == name.lower(), Chair.id != (chair_id or 0))
    )
    if taken is not None:
        return {"name": "Another chair has that name: choose another."}
    return {}


def save_chair(
    chair_id: int | None, name: str, active: bool, *, actor_id: int | None, now: datetime, confirmed: bool
) -> tuple[Chair, list[int]]:
    """Add a chair (`chair_id` None) or rename it and take it in or out of use; returns the chair and the
    sessions flagged. AdminChangeError (a bad name, the last chair in use, no such chair), or
    ConfirmationNeeded (nothing saved) when sessions to come sit in a chair taken out of use."""
    name = (name or "").strip()
    with unit_of_work():
        errors = _chair_errors(name, chair_id=chair_id)
        if errors:
            raise AdminChangeError(errors)
        chair = (
            db.session.get(Chair, chair_id) if chair_id is not None else Chair(name=name, is_active=active)
        )
        if chair is None:
            raise AdminChangeError({"name": "That chair no longer exists: reload the page."})
        before = {"name": chair.name, "active": chair.is_active} if chair_id is not None else None
        flagged: list[int] = []
        if chair_id is not None and chair.is_active and not active:
            in_use = db.session.scalar(select(func.count()).select_from(Chair).where(Chair.is_active))
            if in_use <= 1:
                raise AdminChangeError({"active": "Keep at least one chair in use: courses need a chair."})
            rows = _upcoming(now, chair_id=chair.id)
            confirm_or_raise([_ref(s, ref, chair_name) for s, ref, chair_name in rows], confirmed=confirmed)
            flagged = _flag(
                [s for s, _, _ in rows],
                f"{chair.name} was taken out of use on {change_date(now)}: move this session",
                now=now,
            )
        chair.name, chair.is_active = name, active
        db.session.add(chair)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise AdminChangeError({"name": "Another chair has that name: choose another."}) from None
        record(
            "admin.chair_add" if before is None else "admin.chair_change",
            actor_id=actor_id,
            record_type="chair",
            record_id=chair.id,
            details={"before": before, "after": {"name": name, "active": active}, "flagged_sessions": flagged}
            if before
            else {"after": {"name": name, "active": active}},
        )
    return chair, flagged


# Treatment kinds


@dataclass(frozen=True, slots=True)
class KindInput:
    key: str
    name: str
    dose_minutes: int | None
    monitoring_minutes: int | None
    turnover_minutes: int | None


def _kind_errors(new: KindInput) -> dict[str, str]:
    errors = {}
    if not new.name.strip() or len(new.name.strip()) > KIND_NAME_MAX:
        errors["name"] = f"Give the treatment's name, at most {KIND_NAME_MAX} characters."
    for field, (low, high) in RANGES.items():
        value = getattr(new, field)
        if value is None or not low <= value <= high:
            errors[field] = f"Give a whole number of minutes from {low} to {high}."
    if (
        new.key == KindKey.NASAL_SPRAY.value
        and "monitoring_minutes" not in errors
        and (new.monitoring_minutes or 0) < ESKETAMINE_MONITORING
    ):
        errors["monitoring_minutes"] = (
            f"Esketamine monitoring is at least {ESKETAMINE_MONITORING} minutes (its REMS): "
            "it cannot be lower."
        )
    return errors


def _planned(kind: TreatmentKind, minutes: tuple[int, int, int]):
    dose, monitoring, turnover = (timedelta(minutes=m) for m in minutes)
    return planner.TreatmentKind(kind.key.value, dose, monitoring, turnover)


def _kind_breaks(kind: TreatmentKind, new: tuple[int, int, int], *, now: datetime):
    """(sessions the new minutes fit, sessions they would break), each session still to come of `kind`."""
    rows = _upcoming(now, kind_id=kind.id)
    if not rows:
        return [], []
    first, last = rows[0][0].starts_at, rows[-1][0].starts_at
    tz = clinic_info().rules.tz
    schedule = schedule_for(first.astimezone(tz).date(), last.astimezone(tz).date())
    held = db.session.execute(
        select(
            TreatmentSession.id,
            TreatmentSession.chair_id,
            TreatmentSession.starts_at,
            TreatmentSession.ends_at,
        ).where(
            TreatmentSession.status != SessionStatus.CANCELLED,
            TreatmentSession.ends_at > first - timedelta(days=1),
            TreatmentSession.starts_at < last + timedelta(days=1),
        )
    ).all()
    old_kind, new_kind = kinds.as_planned(kind), _planned(kind, new)
    fits, breaks = [], []
    for session, reference, chair_name in rows:
        others = [ChairHold(c, Interval(s, e)) for i, c, s, e in held if i != session.id]

        def codes(planned, session=session, others=others) -> set[str]:
            found = session_problems(
                planned, session.starts_at, session.chair_id, schedule=schedule, holds=others, now=first
            )
            return {p.code for p in found} & DURATION_PROBLEMS

        if codes(new_kind) - codes(old_kind):
            breaks.append((session, reference, chair_name))
        else:
            fits.append(session)
    return fits, breaks


def update_kind(
    new: KindInput, *, actor_id: int | None, now: datetime, confirmed: bool
) -> tuple[TreatmentKind, list[int]] | None:
    """Save a kind's name and minutes; returns it and the sessions flagged, or None when nothing changed.

    The new minutes apply to every session still to come that they fit; AdminChangeError for a bad field,
    ConfirmationNeeded (nothing saved) when some sessions would break.
    """
    errors = _kind_errors(new)
    if errors:
        raise AdminChangeError(errors)
    minutes = (new.dose_minutes or 0, new.monitoring_minutes or 0, new.turnover_minutes or 0)
    with unit_of_work():
        kind = kinds.by_key(new.key)
        if kind is None:
            raise AdminChangeError({"name": "There is no such treatment."})
        before = {
            "name": kind.name,
            "dose_minutes": kind.dose_minutes,
            "monitoring_minutes": kind.monitoring_minutes,
            "turnover_minutes": kind.turnover_minutes,
        }
        after = dict(zip(before, (new.name.strip(), *minutes), strict=True))
        if before == after:
            return None
        flagged: list[int] = []
        if minutes != (kind.dose_minutes, kind.monitoring_minutes, kind.turnover_minutes):
            fits, breaks = _kind_breaks(kind, minutes, now=now)
            confirm_or_raise([_ref(s, ref, chair) for s, ref, chair in breaks], confirmed=confirmed)
            broken = [s for s, _, _ in breaks]
            planned = _planned(kind, minutes)
            for session in fits:
                ends_at = session.starts_at + planned.occupancy
                if chairs.move(session, [session.chair_id], session.starts_at, ends_at) is None:
                    broken.append(session)  # taken meanwhile: kept as booked, flagged like the others
                    continue
                session.care_ends_at = session.starts_at + planned.care
                session.ends_at = ends_at
                session.revision += 1
            flagged = _flag(
                broken,
                f"The {kind.name} minutes changed on {change_date(now)} and no longer fit: move this session",
                now=now,
            )
        kind.name = after["name"]
        kind.dose_minutes, kind.monitoring_minutes, kind.turnover_minutes = minutes
        db.session.flush()
        record(
            "admin.treatment_change",
            actor_id=actor_id,
            record_type="treatment_kind",
            record_id=kind.id,
            details={"kind": kind.key.value, "before": before, "after": after, "flagged_sessions": flagged},
        )
    return kind, flagged
