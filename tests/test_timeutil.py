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


def test_a_typed_date_is_read_as_the_date_field_sends_it_or_month_first_as_it_shows_it():
    from datetime import date

    from clinic.timeutil import typed_date

    assert typed_date("1985-04-12") == date(1985, 4, 12)
    assert typed_date(" 04/12/1985 ") == date(1985, 4, 12)
    assert typed_date("4/2/1985") == date(1985, 4, 2)
    for bad in ("", "13/02/1990", "02/30/1990", "1990-02-30", "12.04.1985", "1985/04/12", "04/12/85", None):
        assert typed_date(bad) is None, bad
