"""request_tallies against the requests themselves: a check, and a recount for after a bulk load that
bypassed the triggers (ALTER TABLE ... DISABLE TRIGGER) or any manual repair."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import ConsultationRequest, RequestTally
from clinic.services import unit_of_work
from clinic.triage.enums import Priority, RequestStatus

R = ConsultationRequest


@dataclass(frozen=True, slots=True)
class Difference:
    status: RequestStatus
    priority: Priority
    kept: int  # what request_tallies says
    counted: int  # what the requests say


def _counted() -> sa.ScalarSelect:
    return (
        select(func.count())
        .select_from(R)
        .where(R.status == RequestTally.status, R.priority == RequestTally.priority)
        .scalar_subquery()
    )


def differences() -> list[Difference]:
    """The pairs whose tally disagrees with a count of the requests (reads every request: a check to run
    by hand or from cron, never on a page)."""
    counted = _counted()
    rows = db.session.execute(
        select(RequestTally.status, RequestTally.priority, RequestTally.n, counted)
        .where(RequestTally.n != counted)
        .order_by(RequestTally.status, RequestTally.priority)
    )
    return [Difference(RequestStatus(s), Priority(p), kept, real) for s, p, kept, real in rows]


def recount_statement() -> sa.Update:
    """Set every tally to the count of its requests, and mark the change (so the queue's kept overview is
    drawn again)."""
    return sa.update(RequestTally).values(n=_counted(), changes=RequestTally.changes + 1)


def recount() -> list[Difference]:
    """Recount every tally in one statement; return what was wrong before."""
    with unit_of_work():
        wrong = differences()
        db.session.execute(recount_statement())
    return wrong
