"""Time-driven work, all run by one command (`flask --app clinic run-jobs`, from cron every minute).

Each job claims its items in the database, so any number of hosts may run the command in the same minute
and every item is still done once: consultation reminders (a guarded UPDATE per booking), session
reminders asking for the driver (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's writers begin
IMMEDIATE and take turns) and outbox retries (a guarded UPDATE per attempt). Check-in links a day before
each session claim their sessions the same way (and a unique session per check-in); waitlist offers
lapse, and freed seats are offered to the waitlist (`booking.offers`), the same way. Intake forms saved to
finish later are deleted once their 7 days are over (one DELETE: any number of runners delete each once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from clinic.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A named piece of time-driven work: `run(now)` does what is due and returns how many items."""

    name: str
    description: str
    run: Callable[[datetime], int]


def _consultation_reminders(now: datetime) -> int:
    from clinic.services.mail import notifications

    return notifications.send_reminders(now=now)


def _session_reminders(now: datetime) -> int:
    from clinic.services.courses import reminders

    return reminders.send_session_reminders(now=now)


def _check_ins(now: datetime) -> int:
    from clinic.services.casework import checkins

    return checkins.send_due(now=now)


def _waitlist_expiry(now: datetime) -> int:
    from clinic.services.booking import offers

    return offers.expire_offers(now=now)


def _waitlist_offers(now: datetime) -> int:
    from clinic.services.booking import offers

    return offers.offer_freed_seats(now=now)


def _intake_drafts(now: datetime) -> int:
    from clinic.services.booking import drafts

    return drafts.purge_expired(now=now)


def _outbox_retries(now: datetime) -> int:
    from clinic.services.mail import outbox

    sent, _ = outbox.send_pending(now=now)
    return sent


JOBS: list[Job] = [
    Job("consultation-reminders", "consultation reminders (24 hours ahead)", _consultation_reminders),
    Job("session-reminders", "session reminders asking to confirm the driver", _session_reminders),
    Job("check-ins", "check-in links (a day before each session)", _check_ins),
    Job("waitlist-expiry", "waitlist offers lapsed (their seats go to the next in line)", _waitlist_expiry),
    Job("waitlist-offers", "freed seats offered to the waitlist", _waitlist_offers),
    Job("intake-drafts", "intake forms saved to finish later deleted after their 7 days", _intake_drafts),
    Job("outbox", "emails retried", _outbox_retries),
]


@dataclass(frozen=True, slots=True)
class JobResult:
    job: Job
    count: int
    failed: bool = False


def run_all(*, now: datetime, jobs: list[Job] | None = None) -> list[JobResult]:
    """Run every job in order. A job whose database is unavailable is reported and the next one runs:
    what it left is still due, and the next minute's run picks it up."""
    results = []
    for job in JOBS if jobs is None else jobs:
        try:
            results.append(JobResult(job, job.run(now)))
        except DBAPIError as error:
            db.session.rollback()
            log.warning("job %s stopped: %s", job.name, type(error.orig or error).__name__)
            results.append(JobResult(job, 0, failed=True))
    return results
