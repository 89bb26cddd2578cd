"""Migration 0004 on a database with rows: sign-in failures in clear are dropped, sent emails lose their
bodies (metadata kept), unsent ones keep theirs, accounts and settings come through with two-factor off
for the accounts and required by the clinic."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic import create_app
from clinic.extensions import db
from tests.conftest import base_config

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).replace(tzinfo=None)


def test_upgrade_from_0002_migrates_existing_rows(database_url):
    app = create_app(base_config(database_url))
    with app.app_context():
        downgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO staff_users (email, name, role, password_hash, is_active, "
                    "session_version, created_at, password_changed_at) "
                    "VALUES ('a@clinic.example', 'A', 'admin', 'x', true, 1, :at, :at)"
                ),
                {"at": AT},
            )
            conn.execute(
                sa.text("INSERT INTO login_failures (email, at) VALUES ('typed secret@clinic.example', :at)"),
                {"at": AT},
            )
            for sent in (AT, None):
                conn.execute(
                    sa.text(
                        "INSERT INTO outbox_messages (kind, recipients, subject, body_text, body_html, "
                        "attachments, created_at, sent_at, attempts) VALUES "
                        "('confirmation', :to, 'Your consultation', :text, :html, :files, :at, :sent, 1)"
                    ),
                    {
                        "to": '["p@example.com"]',
                        "text": "manage link here",
                        "html": "<p>manage link here</p>",
                        "files": '[{"filename": "c.ics", "mimetype": "text/calendar", "content": "x"}]',
                        "at": AT,
                        "sent": sent,
                    },
                )
        upgrade(revision="0004")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM login_failures")).scalar() == 0
            user = conn.execute(
                sa.text("SELECT totp_secret, two_factor_enabled_at, totp_last_step FROM staff_users")
            ).one()
            assert tuple(user) == (None, None, None)
            assert conn.execute(sa.text("SELECT require_two_factor FROM clinic_settings")).scalar() in (
                True,
                1,
            )
            rows = conn.execute(
                sa.text(
                    "SELECT sent_at IS NOT NULL, body_text, body_html, attachments, subject, recipients "
                    "FROM outbox_messages ORDER BY id"
                )
            ).all()
        sent, unsent = rows
        assert sent[1:3] == ("", None) and sent[3] in ("[]", [])
        assert sent[4] == "Your consultation" and "p@example.com" in str(sent[5])
        assert unsent[1] == "manage link here" and unsent[2] and "c.ics" in str(unsent[3])
        db.engine.dispose()
