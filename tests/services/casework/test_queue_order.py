"""SPEC 6's queue order: urgent, high, routine; within each, requests nobody has contacted yet first, oldest
(most overdue) first, then the rest by slot time; on the queue indexes, so nothing is sorted per row."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.casework import queue
from clinic.services.casework.queue import QueueFilters
from clinic.triage.enums import RequestStatus
from clinic.triage.workflow import QUEUE_BOOKED, QUEUE_OTHER, QUEUE_TO_CONTACT, queue_position

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


OPEN = QueueFilters(open_only=True)


def order(app, filters: QueueFilters = OPEN) -> list[int]:
    with app.test_request_context():
        return [r.id for r in queue.page(filters, 1, tz=NY).items]


def test_an_overdue_uncontacted_urgent_request_comes_before_one_scheduled_long_ago(app, add_request):
    """The issue's case: an urgent request scheduled nine days ago no longer sits above an overdue one."""
    slot = NOW + timedelta(days=1)
    scheduled = add_request(
        priority="urgent", status="scheduled", slot=slot, created_at=NOW - timedelta(days=9)
    )
    overdue = add_request(priority="urgent", status="new", created_at=NOW - timedelta(hours=6))
    older_new = add_request(
        priority="urgent",
        status="new",
        created_at=NOW - timedelta(hours=8),
        slot=slot + timedelta(hours=1),
    )
    high_new = add_request(priority="high", status="new", created_at=NOW - timedelta(days=3))
    high_booked = add_request(
        priority="high", status="contacted", slot=slot, created_at=NOW - timedelta(days=5)
    )
    high_other = add_request(priority="high", status="no_show", created_at=NOW - timedelta(days=6))
    routine = add_request(priority="routine", status="new", created_at=NOW - timedelta(days=30))
    assert order(app) == [older_new, overdue, scheduled, high_new, high_booked, high_other, routine]
    # The same order under any filter (here: the status filter's own index).
    assert order(app, QueueFilters(status=RequestStatus.NEW)) == [older_new, overdue, high_new, routine]
    assert order(app, QueueFilters()) == order(app)


def test_the_position_follows_every_change(app, add_request):
    request_id = add_request(priority="urgent", status="new", created_at=NOW, slot=NOW + timedelta(days=2))
    with app.app_context():
        r = db.session.get(ConsultationRequest, request_id)
        assert (r.queue_group, r.queue_at) == (QUEUE_TO_CONTACT, NOW)
        r.status = RequestStatus.CONTACTED
        db.session.commit()
        assert (r.queue_group, r.queue_at) == (QUEUE_BOOKED, NOW + timedelta(days=2))
        r.appointment_at = None
        db.session.commit()
        assert (r.queue_group, r.queue_at) == (QUEUE_OTHER, NOW)
        r.patient_cancelled_at = NOW
        db.session.commit()
        assert r.queue_group == QUEUE_TO_CONTACT


def test_queue_position_is_pure():
    booked = NOW + timedelta(days=1)
    assert queue_position("new", patient_cancelled=False, created_at=NOW, appointment_at=booked) == (0, NOW)
    assert queue_position("scheduled", patient_cancelled=False, created_at=NOW, appointment_at=booked) == (
        1,
        booked,
    )
    assert queue_position("scheduled", patient_cancelled=True, created_at=NOW, appointment_at=None) == (
        0,
        NOW,
    )
    assert queue_position("cancelled", patient_cancelled=True, created_at=NOW, appointment_at=None) == (
        2,
        NOW,
    )


def test_the_default_queue_reads_the_partial_index_in_order(app, backend, add_request):
    """The plan of the default page names ix_requests_open_queue and sorts nothing.

    SQLite picks the partial index once it has statistics (ANALYZE, as `PRAGMA optimize` keeps them);
    without any it guesses the status index is as good. PostgreSQL is told to avoid a sequential or bitmap
    scan, which it would rightly prefer for 30 rows; an index that cannot give the order would still sort."""
    for i in range(30):
        add_request(
            priority=("urgent", "high", "routine")[i % 3],
            status="new",
            created_at=NOW - timedelta(hours=i),
        )
    with app.test_request_context():
        stmt = queue.ordered(
            sa.select(ConsultationRequest).where(
                *queue.filter_conditions(QueueFilters(open_only=True), tz=NY)
            )
        ).limit(25)
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        if backend == "sqlite":
            db.session.execute(sa.text("ANALYZE"))
            plan = " ".join(
                str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
            assert "ix_requests_open_queue" in plan and "TEMP B-TREE" not in plan, plan
        else:
            db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
            plan = " ".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
            assert "ix_requests_open_queue" in plan and "Sort" not in plan, plan
