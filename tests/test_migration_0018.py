"""Migration 0018: the visits already in the log are counted by the rule the pages used before, the trigger
counts every view recorded from then on, and a downgrade leaves the log as it was, on both databases."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.services import unit_of_work
from clinic.services.audit.record import record_view
from tests.services.audit.test_visits import counted, folded, logged

START = datetime(2026, 11, 20, 15, tzinfo=UTC)


def test_existing_visits_are_counted_and_new_views_join_them(app, make_staff):
    nurse, doctor = make_staff(), make_staff()
    # (action, actor, record, minutes, repeat), inserted in this order, as 0010 and record_view marked them.
    views = [
        ("request.view", nurse, 7, 0, False),
        ("request.view", nurse, 7, 10, True),
        ("request.view", doctor, 7, 12, False),
        ("request.view", nurse, 7, 35, True),
        ("request.view", nurse, 7, 90, False),
        ("request.view", nurse, 8, 5, False),
        ("checkin.view", None, 7, 3, False),  # the patient opening a check-in
        ("checkin.view", None, 7, 8, True),
        ("request.view", doctor, 9, 1, True),  # a repeat with no first view before it: no visit
        ("request.view", nurse, 7, 20, True),  # recorded late: still the first visit's (by its instant)
    ]
    with app.app_context():
        downgrade(revision="0017")
        db.session.remove()
        db.session.execute(
            sa.insert(AuditEvent.__table__),
            [
                {
                    "action": action,
                    "actor_id": actor,
                    "record_type": "request",
                    "record_id": record,
                    "at": START + timedelta(minutes=minutes),
                    "is_repeat_view": repeat,
                }
                for action, actor, record, minutes, repeat in views
            ]
            + [
                {
                    "action": "request.note",
                    "actor_id": nurse,
                    "record_type": "request",
                    "record_id": 7,
                    "at": START,
                    "is_repeat_view": False,
                }
            ],
        )
        db.session.commit()
        ids = db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).all()
        db.session.remove()
        upgrade()
        db.session.remove()
        at = {minutes: START + timedelta(minutes=minutes) for minutes in (3, 8, 12, 35, 90, 5)}
        assert counted() == {
            ids[0]: (4, at[35]),
            ids[2]: (1, at[12]),
            ids[4]: (1, at[90]),
            ids[5]: (1, at[5]),
            ids[6]: (2, at[8]),
        }
        assert counted() == folded(logged())

        with unit_of_work():  # the nurse comes back 10 minutes after her last view: the same visit
            record_view(
                "request.view",
                actor_id=nurse,
                record_type="request",
                record_id=7,
                now=at[90] + timedelta(minutes=10),
            )
        db.session.remove()
        assert counted()[ids[4]] == (2, at[90] + timedelta(minutes=10))
        assert counted() == folded(logged())
        db.session.remove()  # (SQLite: the reads above hold the write lock until then)

        downgrade(revision="0017")
        db.session.remove()
        assert "audit_visits" not in sa.inspect(db.engine).get_table_names()
        assert len(logged()) == len(views) + 1  # the log itself untouched
        db.session.remove()
        upgrade()
        db.session.remove()
        assert counted() == folded(logged())
