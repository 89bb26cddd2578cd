"""clinic.services.rules.closures: closures flag the bookings inside them; removing one reopens its times."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Closure
from clinic.services.rules import closures
from clinic.services.rules.changes import AdminChangeError, ConfirmationNeeded
from tests.services.helpers import at, booking_flag

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
FRIDAY = date(2026, 11, 27)


def test_add_closure_flags_bookings_inside_and_delete_reopens(app, make_staff, add_booking):
    admin = make_staff(role="admin")
    inside = add_booking(at(FRIDAY, 12, 30))
    outside = add_booking(at(FRIDAY, 14))
    closure = closures.ClosureInput(FRIDAY, FRIDAY, "Staff training", time(12), time(14))
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            closures.add_closure(closure, actor_id=admin, now=NOW, confirmed=False)
        assert [b.booking_id for b in asked.value.affected] == [inside]
        assert db.session.scalars(select(Closure)).all() == []
        closure_id, flagged = closures.add_closure(closure, actor_id=admin, now=NOW, confirmed=True)
        assert flagged == [inside]
        assert closures.delete_closure(closure_id, actor_id=admin)
        assert not closures.delete_closure(closure_id, actor_id=admin)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        # removing the closure puts the booking back within the rules: its flag clears by itself
        assert actions == ["admin.closure_add", "booking.flag_cleared", "admin.closure_delete"]
        deleted = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "admin.closure_delete")
        ).one()
        assert deleted.details["before"]["reason"] == "Staff training"
        assert deleted.details["cleared_flags"] == [inside]
    assert booking_flag(app, inside) == (None, None)
    assert booking_flag(app, outside) == (None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": date(2026, 11, 26)}, "end_date"),
        ({"start_date": date(2026, 11, 1), "end_date": date(2026, 11, 2)}, "end_date"),
        ({"end_date": date(2027, 12, 31)}, "end_date"),
        ({"start_time": time(12)}, "end_time"),
        ({"end_time": time(12)}, "start_time"),
        ({"start_time": time(14), "end_time": time(12)}, "end_time"),
        ({"reason": "   "}, "reason"),
    ],
)
def test_closure_rules_refuse_bad_ranges(ctx, change, field):
    closure = closures.ClosureInput(
        **({"start_date": FRIDAY, "end_date": FRIDAY, "reason": "Holiday"} | change)
    )
    with pytest.raises(AdminChangeError) as refused:
        closures.add_closure(closure, actor_id=None, now=NOW, confirmed=True)
    assert list(refused.value.errors) == [field]
