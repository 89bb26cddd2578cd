"""The courses' tables as migrated: the defaults of a fresh database and the rules the database enforces."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic import create_app
from clinic.extensions import db
from clinic.models import (
    Chair,
    ChairClaim,
    CourseStatus,
    KindKey,
    TreatmentCourse,
    TreatmentKind,
    TreatmentSession,
)
from tests.conftest import base_config

UNIT = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


def test_a_fresh_database_has_two_chairs_and_the_two_kinds(app):
    with app.app_context():
        assert [(c.name, c.is_active) for c in db.session.scalars(select(Chair).order_by(Chair.id))] == [
            ("Chair 1", True),
            ("Chair 2", True),
        ]
        kinds = {k.key: k for k in db.session.scalars(select(TreatmentKind))}
        assert set(kinds) == {KindKey.INFUSION, KindKey.NASAL_SPRAY}
        infusion, spray = kinds[KindKey.INFUSION], kinds[KindKey.NASAL_SPRAY]
        assert (infusion.dose_minutes, infusion.monitoring_minutes, infusion.turnover_minutes) == (40, 30, 15)
        assert (spray.dose_minutes, spray.monitoring_minutes, spray.turnover_minutes) == (15, 120, 15)


def _course(request_id: int, status=CourseStatus.ACTIVE, public_id: str = "course-a") -> TreatmentCourse:
    kind = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.INFUSION))
    course = TreatmentCourse(public_id=public_id, request_id=request_id, kind_id=kind.id, status=status)
    db.session.add(course)
    db.session.flush()
    return course


def _session(course: TreatmentCourse, number: int, chair_id: int = 1) -> TreatmentSession:
    session = TreatmentSession(
        course_id=course.id,
        number=number,
        starts_at=UNIT,
        care_ends_at=UNIT + timedelta(minutes=70),
        ends_at=UNIT + timedelta(minutes=85),
        chair_id=chair_id,
    )
    db.session.add(session)
    db.session.flush()
    return session


def test_a_chair_unit_cannot_be_claimed_twice(app, make_request):
    first, second = make_request(), make_request()
    with app.app_context():
        a = _session(_course(first, public_id="a"), 1)
        b = _session(_course(second, public_id="b"), 1)
        db.session.add(ChairClaim(chair_id=1, unit_start=UNIT, session_id=a.id))
        db.session.add(ChairClaim(chair_id=2, unit_start=UNIT, session_id=b.id))  # another chair: fine
        db.session.flush()
        db.session.add(ChairClaim(chair_id=1, unit_start=UNIT, session_id=b.id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_esketamine_monitoring_below_120_minutes_is_refused_by_the_database(app):
    with app.app_context():
        kind = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.NASAL_SPRAY))
        kind.monitoring_minutes = 119
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        infusion = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.INFUSION))
        infusion.monitoring_minutes = 20  # other kinds may monitor for less
        db.session.commit()


def test_a_request_has_at_most_one_active_course(app, make_request):
    request_id = make_request()
    with app.app_context():
        _course(request_id, CourseStatus.COMPLETED, "old")
        _course(request_id, CourseStatus.ACTIVE, "current")
        db.session.commit()
        with pytest.raises(IntegrityError):
            _course(request_id, CourseStatus.ACTIVE, "second")
        db.session.rollback()


def test_deleting_a_session_deletes_its_claims(app, make_request):
    request_id = make_request()
    with app.app_context():
        session = _session(_course(request_id), 1)
        db.session.add(ChairClaim(chair_id=1, unit_start=UNIT, session_id=session.id))
        db.session.commit()
        db.session.delete(session)
        db.session.commit()
        assert db.session.scalars(select(ChairClaim)).all() == []


def test_the_courses_migration_goes_down_and_up_again(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'courses.db'}"))
    with app.app_context():
        upgrade()
        config = app.extensions["migrate"].migrate.get_config()
        before = ScriptDirectory.from_config(config).get_revision("0006").down_revision
        downgrade(revision=before)
        assert "chairs" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert db.session.scalar(select(Chair.name).where(Chair.id == 1)) == "Chair 1"
        db.engine.dispose()
