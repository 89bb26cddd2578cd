"""One answer per check-in link and one check-in per session, under concurrency: threads (each its own
session and connection) answer one link at once, or run the check-in job at once. The database decides
(a guarded UPDATE, a unique session): exactly one answer is stored and the rest are told it was answered;
each session gets one check-in and one email."""

from datetime import timedelta

from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import CheckIn, OutboxMessage
from clinic.services.casework import checkins
from clinic.timeutil import utcnow
from tests.fixtures_courses import INFUSION_DAYS, local
from tests.test_concurrency import run_threads

THREADS = 8


def test_many_submits_of_one_link_store_one_answer(app, now, make_request):
    request_id = make_request()
    with app.app_context():
        check_in_id = checkins.send(request_id, actor_id=None, now=utcnow()).id

    def attempt(i: int, barrier):
        with app.app_context():
            barrier.wait()
            try:
                checkins.answer(check_in_id, (i % 4,) * 8 + (0,), None, now=utcnow())
            except checkins.AlreadyAnswered:
                return "refused"
            return "stored"

    results = run_threads(THREADS, attempt)
    assert sorted(results) == ["refused"] * (THREADS - 1) + ["stored"], results
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(CheckIn.answered_at.is_not(None))) == 1


def test_many_runners_send_one_check_in_per_session(app, clock, completed_request, book):
    request_id = completed_request(email="race.checkin@example.com")
    book(request_id, "infusion", [local(day) for day in INFUSION_DAYS])
    when = local(INFUSION_DAYS[0]) - timedelta(hours=23)
    clock.set(when)

    def attempt(i: int, barrier):
        with app.app_context():
            barrier.wait()
            return checkins.send_due(now=when)

    results = run_threads(THREADS, attempt)
    assert sorted(results) == [0] * (THREADS - 1) + [1], results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
        emails = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "check_in")
        )
        assert emails == 1
