"""clinic.services.rules.hours: a change of the week's hours asks first, then flags and audits."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking
from clinic.scheduling import DayHours
from clinic.services.rules import hours, read
from clinic.services.rules.changes import AdminChangeError, ConfirmationNeeded
from tests.services.helpers import at, booking_flag

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}


def test_update_hours_asks_first_then_flags_and_audits(app, make_staff, add_booking):
    admin = make_staff(role="admin")
    late = add_booking(at(MONDAY, 15))
    fine = add_booking(at(MONDAY, 10))
    new_week = WEEK | {0: DayHours(time(9), time(12))}
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            hours.update_hours(new_week, actor_id=admin, now=NOW, confirmed=False)
        assert [b.booking_id for b in asked.value.affected] == [late]
        assert read.stored_hours()[0] == DayHours(time(8), time(17, 30))  # nothing saved
        assert hours.update_hours(new_week, actor_id=admin, now=NOW, confirmed=True) == [late]
        assert read.stored_hours()[0] == DayHours(time(9), time(12))
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.hours")).one()
        assert event.actor_id == admin
        assert event.details["before"]["mon"] == "08:00-17:30"
        assert event.details["after"]["mon"] == "09:00-12:00"
        assert event.details["after"]["sun"] == "closed"
        assert event.details["flagged_bookings"] == [late]
    flagged_at, reason = booking_flag(app, late)
    assert flagged_at == NOW
    assert reason == "Outside opening hours after the change of 2026-11-21"
    assert booking_flag(app, fine) == (None, None)
    with app.app_context():
        assert db.session.get(Booking, late).cancelled_at is None  # kept, not moved
        assert db.session.get(Booking, late).starts_at == at(MONDAY, 15)


def test_update_hours_refuses_a_day_too_short_for_a_slot(ctx):
    with pytest.raises(AdminChangeError) as refused:
        hours.update_hours(WEEK | {2: DayHours(time(9), time(9, 20))}, actor_id=None, now=NOW, confirmed=True)
    assert set(refused.value.errors) == {"wed_closes"}
    assert "09:30" in refused.value.errors["wed_closes"]


def test_past_and_cancelled_bookings_are_never_affected(app, add_booking):
    past = add_booking(at(date(2026, 11, 16), 15))  # last Monday
    with app.app_context():
        cancelled = db.session.get(Booking, add_booking(at(MONDAY, 16)))
        cancelled.cancelled_at, cancelled.claim = NOW, None
        db.session.commit()
    with app.test_request_context():
        assert hours.preview_hours(WEEK | {0: DayHours(time(9), time(12))}, now=NOW) == []
    assert booking_flag(app, past) == (None, None)
