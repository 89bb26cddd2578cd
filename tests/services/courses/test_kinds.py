"""clinic.services.courses.kinds: the treatment kinds as stored, as the planner takes them, and their
course patterns as staff read them."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import KindKey, TreatmentKind
from clinic.scheduling import courses as planner
from clinic.services.courses import kinds


def test_kinds_are_found_by_key_and_nothing_else(app, ctx):
    assert [k.key for k in kinds.all_kinds()] == [KindKey.INFUSION, KindKey.NASAL_SPRAY]
    assert kinds.by_key("infusion").key == KindKey.INFUSION
    assert kinds.by_key("nasal_spray").key == KindKey.NASAL_SPRAY
    for unknown in ("", "pills", "Infusion", "nasal spray", "1"):
        assert kinds.by_key(unknown) is None


def test_the_planner_gets_the_stored_minutes(app, ctx):
    db.session.execute(
        update(TreatmentKind)
        .where(TreatmentKind.key == KindKey.INFUSION)
        .values(dose_minutes=45, monitoring_minutes=35, turnover_minutes=10)
    )
    db.session.commit()
    planned = kinds.as_planned(kinds.by_key("infusion"))
    assert planned == planner.TreatmentKind(
        "infusion", timedelta(minutes=45), timedelta(minutes=35), timedelta(minutes=10)
    )
    assert planned.care == timedelta(minutes=80) and planned.occupancy == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("key", "sessions", "words"),
    [
        ("infusion", 6, ["6 sessions, at least 2 days apart, within 21 days"]),
        ("nasal_spray", 12, ["12 sessions: twice a week in weeks 1–4", "once a week in weeks 5–8"]),
    ],
)
def test_each_kind_has_its_pattern_described(app, ctx, key, sessions, words):
    kind = kinds.by_key(key)
    assert kinds.pattern_for(kind) is planner.DEFAULT_PATTERNS[key]
    assert kinds.pattern_for(kind).sessions == sessions
    described = kinds.describe_pattern(kind)
    assert all(w in described for w in words), described
