"""`seed-demo` books a few realistic courses, so the chair board is alive on first run."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import (
    ChairClaim,
    KindKey,
    RemsEnrolment,
    SessionStatus,
    TreatmentCourse,
    TreatmentSession,
)
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from clinic.triage.enums import RequestStatus

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
NY = ZoneInfo("America/New_York")


def test_the_demo_books_courses_of_both_kinds_in_real_chairs(app, runner, clock, staff_client):
    clock.set(NOW)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "demo treatment courses" in result.output
    with app.app_context():
        courses = db.session.scalars(select(TreatmentCourse)).all()
        assert len(courses) >= 4
        assert {c.kind.key for c in courses} == {KindKey.INFUSION, KindKey.NASAL_SPRAY}
        assert all(c.request.status == RequestStatus.COMPLETED for c in courses)
        sprays = {c.request_id for c in courses if c.kind.key == KindKey.NASAL_SPRAY}
        enrolled = set(db.session.scalars(select(RemsEnrolment.request_id)))
        assert sprays <= enrolled
        sessions = db.session.scalars(select(TreatmentSession)).all()
        statuses = {s.status for s in sessions}
        assert {SessionStatus.COMPLETED, SessionStatus.SCHEDULED, SessionStatus.NO_SHOW} <= statuses
        assert all(s.status == SessionStatus.SCHEDULED for s in sessions if s.starts_at > NOW)
        for session in sessions:
            claims = sorted(
                db.session.scalars(select(ChairClaim.unit_start).where(ChairClaim.session_id == session.id))
            )
            assert claims == hold_units(Interval(session.starts_at, session.ends_at))
        today = [s for s in sessions if s.starts_at.astimezone(NY).date() == NOW.astimezone(NY).date()]
        assert len(today) >= 2
    board = staff_client.get("/staff/chairs")
    assert board.status_code == 200 and board.get_data(as_text=True).count('class="phase phase-dose') >= 2
    assert "Mark sent" in staff_client.get("/staff/rems").get_data(as_text=True)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    with app.app_context():
        assert len(db.session.scalars(select(TreatmentCourse)).all()) == len(courses)
