"""clinic.timeutil: one clock, which the app's code and the models' column defaults both read."""

from datetime import UTC, datetime

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.timeutil import utcnow

FIXED = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_now_is_aware_utc_and_follows_the_override(app, clock):
    with app.app_context():
        assert utcnow().tzinfo is UTC
        clock.set(FIXED)
        assert utcnow() == FIXED


def test_column_defaults_read_the_same_clock(app, clock):
    clock.set(FIXED)
    with app.app_context():
        db.session.add(AuditEvent(action="test.clock"))
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.at)) == FIXED
