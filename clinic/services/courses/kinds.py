"""Treatment kinds as stored (admins edit their names and minutes) and as the planner takes them."""

from __future__ import annotations

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import KindKey, TreatmentKind
from clinic.scheduling import courses as planner

LABELS = {KindKey.INFUSION: "IV ketamine infusion", KindKey.NASAL_SPRAY: "Esketamine nasal spray"}


def all_kinds() -> list[TreatmentKind]:
    """Every kind, infusion first, in one query."""
    return list(db.session.scalars(select(TreatmentKind).order_by(TreatmentKind.id)))


def by_key(key: str) -> TreatmentKind | None:
    """The stored kind for `key` (`infusion` or `nasal_spray`), or None for anything else."""
    try:
        wanted = KindKey(key)
    except ValueError:
        return None
    return db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == wanted))


def as_planned(kind: TreatmentKind) -> planner.TreatmentKind:
    """The planner's value for a stored kind (its key is the planner's name: the REMS rule reads it)."""
    return planner.TreatmentKind(kind.key.value, kind.dose, kind.monitoring, kind.turnover)


def pattern_for(kind: TreatmentKind) -> planner.CoursePattern:
    """The course pattern of SPEC 11 for the kind: six infusions in 21 days, or twelve sprays in 8 weeks."""
    return planner.DEFAULT_PATTERNS[kind.key.value]


def describe_pattern(kind: TreatmentKind) -> str:
    pattern = pattern_for(kind)
    if pattern.per_week:
        return (
            f"{pattern.sessions} sessions: twice a week in weeks 1–4 (at least {pattern.min_gap_days} days "
            "apart), then once a week in weeks 5–8"
        )
    return (
        f"{pattern.sessions} sessions, at least {pattern.min_gap_days} days apart, "
        f"within {pattern.within_days} days"
    )
