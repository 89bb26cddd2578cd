"""`flask --app clinic run-jobs`: every time-driven job in one command, each item done once however many
hosts run it in the same minute."""

import multiprocessing
import traceback
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, OutboxMessage, TreatmentSession
from clinic.services import jobs
from tests.conftest import base_config
from tests.fixtures_courses import NOW, local

TODAY = NOW.date()  # Monday 2027-02-22, 09:00 in New York
TOMORROW = TODAY + timedelta(days=1)
PROCESSES = 4


def later_days(first: date) -> list[date]:
    """Five more infusion days after `first`, two days apart (Sundays skipped)."""
    days, day = [], first
    while len(days) < 5:
        day += timedelta(days=2)
        if day.weekday() != 6:
            days.append(day)
    return days


@pytest.fixture
def due_tomorrow(app, completed_request, book, make_request):
    """Ten sessions starting within 24 hours (four starts today in each chair, 08:00 tomorrow in each) and
    three consultations this afternoon; returns (session ids due, booking ids due)."""
    firsts = [local(TODAY, h, m) for h, m in ((11, 0), (12, 30), (14, 0), (15, 30))] * 2
    firsts += [local(TOMORROW, 8)] * 2
    for i, first in enumerate(firsts):
        request_id = completed_request(email=f"due{i}@example.com")
        day = first.date()
        at = first.timetz()
        book(request_id, "infusion", [first, *(local(d, at.hour, at.minute) for d in later_days(day))])
    booking_ids = []
    for hour, minute in ((16, 0), (16, 30), (17, 0)):  # consultations late today (the course patients'
        # own consultations took the slots from 11:00), within the next 24 hours too
        slot = datetime.combine(TODAY, time(hour, minute), tzinfo=NOW.tzinfo)
        request_id = make_request(slot=slot, email=f"consult{hour}{minute}@example.com")
        with app.app_context():
            booking_ids.append(db.session.scalar(select(Booking.id).where(Booking.request_id == request_id)))
    with app.app_context():
        due = db.session.scalars(
            select(TreatmentSession.id).where(TreatmentSession.starts_at <= NOW + timedelta(hours=24))
        ).all()
    assert len(due) == 10
    return due, booking_ids


def reminder_counts() -> tuple[int, int]:
    kinds = dict(
        db.session.execute(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all()
    )
    return kinds.get("course_session_reminder", 0), kinds.get("reminder", 0)


def test_run_jobs_sends_every_reminder_once_and_reports_each_job(app, runner, due_tomorrow):
    sessions_due, _ = due_tomorrow
    result = runner.invoke(args=["run-jobs"])
    assert result.exit_code == 0, result.output
    assert "consultation reminders (24 hours ahead): 3" in result.output
    assert "session reminders asking to confirm the driver: 10" in result.output
    again = runner.invoke(args=["run-jobs"])
    assert "session reminders asking to confirm the driver: 0" in again.output
    with app.app_context():
        assert reminder_counts() == (10, 3)
        reminded = db.session.scalars(
            select(TreatmentSession.id).where(TreatmentSession.reminder_sent_at.is_not(None))
        ).all()
        assert sorted(reminded) == sorted(sessions_due)
        assert (
            db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
            )
            == 0
        )


def test_a_job_that_loses_its_database_does_not_stop_the_others(app):
    from sqlalchemy.exc import OperationalError

    calls = []

    def broken(now):
        raise OperationalError("SELECT 1", {}, Exception("gone"))

    def fine(now):
        calls.append(now)
        return 2

    with app.app_context():
        results = jobs.run_all(
            now=NOW, jobs=[jobs.Job("broken", "broken job", broken), jobs.Job("fine", "fine job", fine)]
        )
    assert [(r.job.name, r.count, r.failed) for r in results] == [("broken", 0, True), ("fine", 2, False)]
    assert calls == [NOW]


def test_the_command_fails_when_a_job_failed(runner, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(now):
        raise OperationalError("SELECT 1", {}, Exception("gone"))

    monkeypatch.setattr(jobs, "JOBS", [jobs.Job("broken", "broken job", broken)])
    result = runner.invoke(args=["run-jobs"])
    assert result.exit_code == 1 and "broken job: failed, will retry next run" in result.output


def _run_jobs_process(database_url: str, barrier, results) -> None:
    """One host's cron run: its own app, engine and connections on the shared database."""
    try:
        app = create_app({**base_config(database_url), "NOW_OVERRIDE": NOW.astimezone(NOW.tzinfo)})
        with app.app_context():
            db.session.execute(select(1))  # connected before the start, so the runs really overlap
            db.session.rollback()
            barrier.wait()
            outcome = {r.job.name: r.count for r in jobs.run_all(now=NOW)}
            db.engine.dispose()
        results.put(outcome)
    except BaseException:
        results.put(traceback.format_exc())


@pytest.mark.slow
def test_four_hosts_at_the_same_minute_send_each_reminder_exactly_once(app, database_url, due_tomorrow):
    sessions_due, bookings_due = due_tomorrow
    with app.app_context():
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=240)
    results = context.Queue()
    processes = [
        context.Process(target=_run_jobs_process, args=(database_url, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    failures = [o for o in outcomes if not isinstance(o, dict)]
    assert not failures, failures[0]
    assert sum(o["session-reminders"] for o in outcomes) == len(sessions_due)
    assert sum(o["consultation-reminders"] for o in outcomes) == len(bookings_due)
    with app.app_context():
        assert reminder_counts() == (len(sessions_due), len(bookings_due))
        reminders = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind.in_(["course_session_reminder", "reminder"]))
        ).all()
        assert all(m.sent_at is not None and m.attempts == 1 for m in reminders)  # each sent once
        recipients = sorted(m.recipients[0] for m in reminders if m.kind == "course_session_reminder")
        assert len(set(recipients)) == len(sessions_due)  # one patient per session here: none twice
