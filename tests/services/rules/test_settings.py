"""clinic.services.rules.settings: booking rules and contact details; off-grid bookings are flagged."""

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ClinicSettings
from clinic.scheduling import DayHours
from clinic.services.rules import hours, settings
from clinic.services.rules.changes import AdminChangeError, ConfirmationNeeded
from tests.services.helpers import at, booking_flag

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}


def settings_input(**changes) -> settings.SettingsInput:
    base = settings.SettingsInput(
        name="Northfield Clinic",
        phone="(212) 555-0142",
        email="care@northfield-clinic.example",
        address="120 Harbor Street, Suite 300, New York, NY 10001",
        timezone="America/New_York",
        slot_minutes=30,
        capacity=1,
        min_notice_hours=2,
        horizon_days=60,
    )
    return replace(base, **changes)


def test_update_settings_slot_change_keeps_instants_and_flags_off_grid(app, make_staff, add_booking):
    admin = make_staff(role="admin")
    on_grid = add_booking(at(MONDAY, 8, 45), 30)
    off_grid = add_booking(at(MONDAY, 8, 30), 30)
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            settings.update_settings(
                settings_input(slot_minutes=45), actor_id=admin, now=NOW, confirmed=False
            )
        assert [b.booking_id for b in asked.value.affected] == [off_grid]
        assert db.session.get(ClinicSettings, 1).slot_minutes == 30
        flagged = settings.update_settings(
            settings_input(slot_minutes=45, capacity=3), actor_id=admin, now=NOW, confirmed=True
        )
        assert flagged == [off_grid]
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.details["before"] == {"slot_minutes": 30, "capacity": 1}
        assert event.details["after"] == {"slot_minutes": 45, "capacity": 3}
    with app.app_context():
        assert db.session.get(Booking, off_grid).starts_at == at(MONDAY, 8, 30)
        assert db.session.get(Booking, off_grid).ends_at == at(MONDAY, 9)
    assert booking_flag(app, on_grid) == (None, None)


def test_update_settings_refuses_unknown_timezone_and_slot_longer_than_a_day(ctx):
    with pytest.raises(AdminChangeError) as refused:
        settings.update_settings(
            settings_input(timezone="Mars/Olympus", slot_minutes=240), actor_id=None, now=NOW, confirmed=True
        )
    assert set(refused.value.errors) == {"timezone"}
    hours.update_hours(WEEK | {0: DayHours(time(9), time(10))}, actor_id=None, now=NOW, confirmed=True)
    with pytest.raises(AdminChangeError) as refused:
        settings.update_settings(settings_input(slot_minutes=90), actor_id=None, now=NOW, confirmed=True)
    assert "Monday" in refused.value.errors["slot_minutes"]


def test_unchanged_settings_save_nothing(ctx):
    assert settings.update_settings(settings_input(), actor_id=None, now=NOW, confirmed=False) is None
    assert hours.update_hours(WEEK, actor_id=None, now=NOW, confirmed=False) is None
    assert db.session.scalars(select(AuditEvent)).all() == []
