"""request_tallies, kept by the database's triggers, always equals a GROUP BY over the requests themselves,
whoever writes them: the services, a bulk insert, a bulk update, a delete. And the queue's two ways of
counting (tallies, or grouping under a search or date filter) agree."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import ConsultationRequest, RequestTally
from clinic.models.sealed import bound_row
from clinic.services.casework import cases, queue
from clinic.services.casework.queue import QueueFilters
from clinic.triage.enums import Priority, RequestStatus

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
R = ConsultationRequest


def tallies() -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(RequestTally.status, RequestTally.priority, RequestTally.n))
    return {(RequestStatus(s).value, Priority(p).value): n for s, p, n in rows if n}


def grouped() -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(R.status, R.priority, func.count()).group_by(R.status, R.priority))
    return {(RequestStatus(s).value, Priority(p).value): n for s, p, n in rows}


def test_a_fresh_database_has_every_pair_at_zero(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RequestTally)) == len(RequestStatus) * len(
            Priority
        )
        assert tallies() == {}


def test_tallies_follow_every_kind_of_write(app, make_staff, add_request):
    staff_id = make_staff()
    ids = [add_request(priority=p, created_at=NOW) for p in ("urgent", "high", "routine", "routine")]
    with app.app_context():
        assert tallies() == grouped() == {("new", "urgent"): 1, ("new", "high"): 1, ("new", "routine"): 2}

        # The staff workflow (ORM, one row at a time).
        cases.change_status(ids[0], RequestStatus.CONTACTED, actor_id=staff_id, now=NOW)
        cases.change_status(ids[2], RequestStatus.DECLINED, actor_id=staff_id, now=NOW)
        assert tallies() == grouped()
        assert tallies()[("contacted", "urgent")] == 1 and ("new", "urgent") not in tallies()

        # A change that leaves status and priority alone changes nothing.
        cases.assign(ids[1], staff_id, actor_id=staff_id, now=NOW)
        assert tallies() == grouped()

        # A bulk insert (as a data load does), a bulk update across pairs, a re-triage, deletes.
        template = db.session.get(R, ids[3])
        columns = {
            c.key: getattr(template, c.key) for c in R.__table__.columns if c.key not in ("id", "seal")
        }
        db.session.execute(
            sa.insert(R.__table__),
            [
                bound_row(
                    R.__table__, {**columns, "reference": f"KT-BULK{i:02d}", "public_id": f"bulk{i:028d}"}
                )
                for i in range(30)
            ],
        )
        db.session.execute(
            sa.update(R).where(R.status == RequestStatus.NEW).values(status=RequestStatus.COMPLETED)
        )
        db.session.execute(
            sa.update(R)
            .where(R.id == ids[1])
            .values(priority=Priority.URGENT, priority_rank=Priority.URGENT.rank)
        )
        db.session.execute(sa.delete(R).where(R.reference.like("KT-BULK1%")))
        db.session.commit()
        assert tallies() == grouped()
        assert sum(tallies().values()) == 4 + 30 - 10

        # Counts that come back to the same values still show that something moved.
        with app.test_request_context():
            before = queue.counts(QueueFilters(), tz=NY).revision
        added = db.session.scalar(
            sa.insert(R.__table__)
            .values(bound_row(R.__table__, {**columns, "reference": "KT-BULKZZ", "public_id": "z" * 32}))
            .returning(R.id)
        )
        db.session.execute(sa.delete(R).where(R.id == added))
        db.session.commit()
        with app.test_request_context():
            after = queue.counts(QueueFilters(), tz=NY).revision
        assert tallies() == grouped() and before != after

        # A rolled-back change leaves the tallies as they were.
        before = tallies()
        db.session.execute(sa.update(R).values(status=RequestStatus.NO_SHOW))
        db.session.rollback()
        assert tallies() == before


def test_counts_from_tallies_match_counts_by_grouping(app, add_request):
    for priority, status in [
        ("urgent", "new"),
        ("urgent", "contacted"),
        ("urgent", "completed"),
        ("high", "new"),
        ("high", "scheduled"),
        ("routine", "declined"),
        ("routine", "new"),
    ]:
        add_request(priority=priority, status=status, created_at=NOW - timedelta(days=3))
    with app.test_request_context():
        for filters in [
            QueueFilters(open_only=True),
            QueueFilters(),
            QueueFilters(status=RequestStatus.NEW),
            QueueFilters(priority=Priority.HIGH, open_only=True),
            QueueFilters(status=RequestStatus.NEW, priority=Priority.URGENT),
        ]:
            fast = queue.counts(filters, tz=NY)
            slow = queue._counted(filters, tz=NY)
            assert (fast.by_status, fast.urgent_open, fast.urgent_new) == (
                slow.by_status,
                slow.urgent_open,
                slow.urgent_new,
            ), filters
            listed = db.session.scalar(
                select(func.count()).select_from(R).where(*queue.filter_conditions(filters, NY))
            )
            assert fast.matching == listed, filters
        assert queue.counts(QueueFilters(q="robin"), tz=NY).matching is None  # a search is counted


def test_the_queue_page_counts_with_the_tallies(staff_client, app, add_request):
    add_request(priority="urgent", status="new", created_at=NOW)
    add_request(priority="high", status="contacted", created_at=NOW)
    with app.app_context():
        db.session.execute(sa.update(RequestTally).values(n=RequestTally.n + 40))  # visibly from the tallies
        db.session.commit()
    page = staff_client.get("/staff/?status=all").get_data(as_text=True)
    assert "Page 1 of 34" in page  # 2 + 21 x 40 requests as the tallies say, 25 a page


def test_opposite_status_moves_at_once_neither_deadlock_nor_drift(app, add_request):
    """Two writers move requests between the same two statuses in opposite directions, many times over,
    each in its own transaction and connection: the triggers lock tally rows in key order, so neither
    waits on the other in a cycle (PostgreSQL would abort one with a deadlock), and the tallies still
    match the rows. On SQLite the writers take turns."""
    ids = [add_request(priority="high", status=s, created_at=NOW) for s in ("new", "contacted") * 6]
    forward = ids[0::2]  # new -> contacted
    backward = ids[1::2]  # contacted -> new
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def mover(mine: list[int], first: RequestStatus, second: RequestStatus) -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(15):
                    for src, dst in ((first, second), (second, first)):
                        # Each statement moves one of mine and touches both pairs: a real two-row change.
                        db.session.execute(
                            sa.update(R).where(R.id.in_(mine), R.status == src).values(status=dst)
                        )
                        db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=mover, args=(forward, RequestStatus.NEW, RequestStatus.CONTACTED)),
        threading.Thread(target=mover, args=(backward, RequestStatus.CONTACTED, RequestStatus.NEW)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        assert tallies() == grouped() == {("new", "high"): 6, ("contacted", "high"): 6}


def test_check_tallies_reports_a_difference_and_fix_recounts(app, add_request):
    add_request(priority="urgent", status="new", created_at=NOW)
    add_request(priority="routine", status="completed", created_at=NOW)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check-tallies"])
    assert result.exit_code == 0 and "match" in result.output
    with app.app_context():
        # What a load with the triggers off, or a hand edit, leaves behind.
        db.session.execute(
            sa.update(RequestTally)
            .where(RequestTally.status == RequestStatus.NEW, RequestTally.priority == Priority.URGENT)
            .values(n=7)
        )
        db.session.commit()
        before = queue_revision(app)
    result = runner.invoke(args=["check-tallies"])
    assert result.exit_code == 1
    assert "new/urgent: tally 7, requests 1" in result.output and "--fix" in result.output
    result = runner.invoke(args=["check-tallies", "--fix"])
    assert result.exit_code == 0 and "Recounted: 1" in result.output
    with app.app_context():
        assert tallies() == grouped()
    assert queue_revision(app) != before  # the queue's kept overview is drawn again
    assert "match" in runner.invoke(args=["check-tallies"]).output


def queue_revision(app) -> tuple:
    with app.test_request_context():
        return queue.counts(QueueFilters(), tz=NY).revision
