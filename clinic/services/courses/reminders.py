"""The day-before reminder of each session, asking the patient to confirm who drives them home.

Run by `run-jobs` every minute on any number of hosts: each due session is claimed in the database
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so another runner skips it rather than waits; SQLite's writers
begin IMMEDIATE and take turns) and stamped `reminder_sent_at` in the same transaction as its outbox
message, so each session is reminded exactly once. Mail leaves after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from clinic.extensions import db
from clinic.models import TreatmentCourse, TreatmentSession
from clinic.services import unit_of_work
from clinic.services.courses import messages, sessions
from clinic.services.mail import outbox

WINDOW = timedelta(hours=24)
BATCH = 100


def send_session_reminders(*, now: datetime) -> int:
    """Remind every scheduled session starting within 24 hours, once each; returns how many."""
    sent = 0
    while True:
        with unit_of_work():
            due = sessions.claim_due_sessions(
                TreatmentSession.reminder_sent_at.is_(None), now=now, within=WINDOW, limit=BATCH
            )
            if not due:
                return sent
            ids = [session_id for session_id, _ in due]
            db.session.execute(
                update(TreatmentSession)
                .where(TreatmentSession.id.in_(ids))
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            loaded = db.session.scalars(
                select(TreatmentSession)
                .where(TreatmentSession.id.in_(ids))
                .options(joinedload(TreatmentSession.course).joinedload(TreatmentCourse.request))
                .order_by(TreatmentSession.starts_at, TreatmentSession.id)
            ).unique()
            added = [messages.add_session_reminder(session, now=now) for session in loaded]
        outbox.deliver(added)
        sent += len(added)
        if len(due) < BATCH:
            return sent
