"""Migration 0010: views already in the log are folded by the same rule as new ones (a person's views of one
record less than 30 minutes apart are one visit), and the new booking columns come and go, on both
databases."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic.extensions import db
from clinic.models import AuditEvent

START = datetime(2026, 11, 20, 15, tzinfo=UTC)


def test_existing_views_are_folded_into_visits(app, make_staff):
    nurse, other = make_staff(), make_staff()
    views = [(nurse, 7, 0), (nurse, 7, 10), (nurse, 7, 35), (nurse, 7, 90), (other, 7, 12), (nurse, 8, 5)]
    with app.app_context():
        for actor, record, minutes in views:
            db.session.add(
                AuditEvent(
                    action="request.view",
                    actor_id=actor,
                    record_type="request",
                    record_id=record,
                    at=START + timedelta(minutes=minutes),
                )
            )
        db.session.add(AuditEvent(action="request.note", actor_id=nurse, record_type="request", record_id=7))
        db.session.commit()
        downgrade(revision="0007")
        db.session.remove()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("bookings")}
        assert "flag_notified_at" not in columns and "flag_resolved_at" not in columns
        upgrade()
        db.session.remove()
        rows = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.record_id, AuditEvent.at, AuditEvent.is_repeat_view)
            .where(AuditEvent.action == "request.view")
            .order_by(AuditEvent.id)
        ).all()
        assert [row.is_repeat_view for row in rows] == [False, True, True, False, False, False]
        assert (
            db.session.scalar(sa.select(AuditEvent.is_repeat_view).where(AuditEvent.action == "request.note"))
            is False
        )
