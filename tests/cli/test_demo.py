"""`flask --app clinic seed-demo`: printed logins that work, and weeks of realistic, fictional requests."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, Note, SlotClaim, StaffUser
from clinic.services.accounts.passwords import hash_password, verify_password
from clinic.services.rules.read import schedule_for
from clinic.triage.enums import Phq9Band, Priority, RequestStatus

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
LOGIN = re.compile(r"^Demo (admin|staff): (\S+@clinic\.example) / (\S+)$", re.MULTILINE)


@pytest.fixture
def seeded(app, runner, clock):
    clock.set(NOW)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def logins(output: str) -> dict[str, tuple[str, str]]:
    return {role: (email, password) for role, email, password in LOGIN.findall(output)}


def test_prints_working_logins(app, seeded):
    found = logins(seeded)
    assert found["admin"][0] == "admin@clinic.example"
    assert found["staff"][0] == "staff@clinic.example"
    with app.app_context():
        for role, (email, password) in found.items():
            assert len(password) >= 12
            user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
            assert user.role.value == role and user.is_active
            assert verify_password(user.password_hash, password)


def test_running_twice_keeps_the_same_demo_logins_and_their_sessions(app, runner, seeded):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(ConsultationRequest))
        versions = dict(db.session.execute(select(StaffUser.email, StaffUser.session_version)).all())
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert logins(again.output) == logins(seeded)  # stable: what README says, every time `make run` starts
    assert logins(seeded)["admin"] == ("admin@clinic.example", "northfield-demo-admin")
    assert "stay the same on every run" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsultationRequest)) == before
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 3
        assert dict(db.session.execute(select(StaffUser.email, StaffUser.session_version)).all()) == versions
        email, password = logins(again.output)["staff"]
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert verify_password(user.password_hash, password)


def test_a_changed_demo_password_is_put_back(app, runner, seeded):
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "staff@clinic.example"))
        user.password_hash = hash_password("someone changed it meanwhile")
        db.session.commit()
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "staff@clinic.example"))
        assert verify_password(user.password_hash, "northfield-demo-staff")


def test_production_never_gets_the_published_demo_logins(app, runner, seeded, monkeypatch):
    monkeypatch.setenv("CLINIC_ENV", "production")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    found = logins(result.output)
    assert found["admin"][1] != "northfield-demo-admin" and found["staff"][1] != "northfield-demo-staff"
    assert "NORTHFIELD" not in result.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "admin@clinic.example"))
        assert not verify_password(user.password_hash, "northfield-demo-admin")


def test_requests_cover_every_band_priority_and_status(app, seeded):
    with app.app_context():
        requests = db.session.scalars(select(ConsultationRequest)).all()
        assert 30 <= len(requests) <= 80
        assert {r.phq9_band for r in requests} == set(Phq9Band)
        assert {r.priority for r in requests} == set(Priority)
        assert {r.status for r in requests} == set(RequestStatus)
        urgent = [r for r in requests if r.priority == Priority.URGENT]
        assert len(urgent) >= 2 and all(r.phq9_answers[8] > 0 for r in urgent)
        assert all(r.phq9_answers[8] == 0 for r in requests if r.priority != Priority.URGENT)
        assert any(r.status == RequestStatus.NEW for r in urgent)  # one waits on the queue
        for r in requests:
            assert r.phq9_score == sum(r.phq9_answers)
            assert r.priority_rank == r.priority.rank
            assert r.created_at <= NOW


def test_contact_details_are_obviously_fictional(app, seeded):
    with app.app_context():
        for r in db.session.scalars(select(ConsultationRequest)):
            assert re.fullmatch(r"[^@\s]+@example\.(com|org)", r.email)
            assert re.fullmatch(r"\+1212555\d{4}", r.phone)


def test_bookings_respect_the_hours_and_hold_their_seats(app, seeded):
    with app.app_context():
        bookings = db.session.scalars(select(Booking)).all()
        starts = [b.starts_at for b in bookings]
        assert min(starts) < NOW - timedelta(days=14) and max(starts) > NOW + timedelta(days=5)
        schedule = schedule_for(
            min(starts).date() - timedelta(days=1), max(starts).date() + timedelta(days=1)
        )
        grid: dict = {}
        for booking in bookings:
            day = booking.starts_at.astimezone(schedule.tz).date()
            if day not in grid:
                grid[day] = {slot.starts_at for slot in schedule.grid(day)}
            assert booking.starts_at in grid[day], booking.starts_at
            assert booking.starts_at >= booking.request.created_at
        active = [b for b in bookings if b.cancelled_at is None]
        claims = db.session.scalars(select(SlotClaim)).all()
        assert sorted(c.booking_id for c in claims) == sorted(b.id for b in active)
        for r in db.session.scalars(select(ConsultationRequest)):
            live = r.active_booking
            assert r.appointment_at == (live.starts_at if live else None)
            if r.status in (RequestStatus.CANCELLED, RequestStatus.DECLINED):
                assert live is None
        assert any(b.flagged_at is not None for b in active)


def test_notes_and_assignments(app, seeded):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Note)) >= 10
        assigned = db.session.scalar(
            select(func.count()).where(ConsultationRequest.assigned_to_id.is_not(None))
        )
        assert assigned >= 10


def test_demo_staff_login_sees_the_urgent_request_first(app, client, seeded, login):
    email, password = logins(seeded)["staff"]
    response = login(client, email, password)
    assert response.status_code == 303
    html = client.get("/staff/").get_data(as_text=True)
    assert 'id="urgent-banner"' in html
    first_row = html.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "badge-urgent" in first_row
