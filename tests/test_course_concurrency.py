"""No chair is ever held twice: many staff booking overlapping courses into two chairs at once.

Attempts come from threads (one app, many sessions and connections) and from separate processes (each its
own app on the same database), all posting the booking form over the test client with CSRF on. Every
attempt ends in a 303 (booked) or a 409 (a chair taken: nothing stored), never anything else; afterwards
no two sessions overlap in a chair, every session holds exactly its quarter hours, and the losers' requests
have no course, no session and no email.
"""

import itertools
import multiprocessing
import threading
import traceback
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import ChairClaim, OutboxMessage, StaffUser, TreatmentCourse, TreatmentSession
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_courses import INFUSION_DAYS, NOW, local

THREADS = 20
PROCESSES = 4  # each builds its own app; the threads test races twenty
SHIFTS = [0, 30, 60, 90]  # minutes after 09:00: neighbours overlap (a session holds its chair 85 minutes)


def app_config(database_url: str) -> dict:
    return {
        **base_config(database_url),
        "NOW_OVERRIDE": NOW.astimezone(UTC),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0, "pool_timeout": 60},
    }


def starts_for(i: int) -> list[str]:
    shift = timedelta(minutes=SHIFTS[i % len(SHIFTS)])
    return [(local(day) + shift).strftime("%Y-%m-%dT%H:%M") for day in INFUSION_DAYS]


@pytest.fixture
def racers(app, completed_request, make_staff):
    """Completed requests, one per attempt, and a member of staff (with two-factor sign-in, which staff
    pages require); returns (request ids, staff session id)."""
    staff_id = make_staff(email="racer.nurse@clinic.example", name="Rita Racer", two_factor=True)
    ids = [completed_request(email=f"racer{i}@example.com") for i in range(THREADS)]
    with app.app_context():
        session_id = db.session.get(StaffUser, staff_id).get_id()
    return ids, session_id


def signed_in_client(app, session_id: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
        session["login_at"] = session["seen_at"] = NOW.astimezone(UTC).isoformat()
        session.permanent = True
    return client


def attempt(app, session_id: str, request_id: int, i: int, wait) -> int:
    client = signed_in_client(app, session_id)
    page = client.get(f"/staff/requests/{request_id}")
    assert page.status_code == 200, page.status_code
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": "infusion",
        "session": starts_for(i),
    }
    wait()
    return client.post(f"/staff/requests/{request_id}/course", data=data).status_code


def assert_no_chair_held_twice(app, outcomes: dict[int, int]) -> None:
    """Winners have a course of six sessions each holding exactly its quarter hours; nothing overlaps in a
    chair; losers have nothing; one email per winner."""
    winners = {request_id for request_id, status in outcomes.items() if status == 303}
    with app.app_context():
        courses = db.session.scalars(select(TreatmentCourse)).all()
        assert {c.request_id for c in courses} == winners and len(courses) == len(winners)
        sessions = db.session.scalars(select(TreatmentSession)).all()
        assert len(sessions) == 6 * len(winners)
        by_chair: dict[int, list[TreatmentSession]] = {}
        for session in sessions:
            by_chair.setdefault(session.chair_id, []).append(session)
            units = sorted(
                db.session.scalars(select(ChairClaim.unit_start).where(ChairClaim.session_id == session.id))
            )
            assert units == hold_units(Interval(session.starts_at, session.ends_at))
        for held in by_chair.values():
            held.sort(key=lambda s: s.starts_at)
            for before, after in itertools.pairwise(held):
                assert before.ends_at <= after.starts_at, f"chair {before.chair_id} held twice"
        assert db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "course_booked")
        ) == len(winners)


@pytest.fixture
def shared_app(database_url):
    app = create_app(app_config(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_twenty_threads_booking_overlapping_courses(shared_app, racers):
    ids, session_id = racers
    barrier = threading.Barrier(THREADS, timeout=120)
    results: dict[int, object] = {}

    def run(i: int) -> None:
        try:
            results[ids[i]] = attempt(shared_app, session_id, ids[i], i, barrier.wait)
        except BaseException:
            results[ids[i]] = traceback.format_exc()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "an attempt hung"
    failures = [r for r in results.values() if not isinstance(r, int)]
    assert not failures, failures[0]
    assert set(results.values()) <= {303, 409}, sorted(results.values())
    assert 2 <= list(results.values()).count(303) < THREADS
    assert_no_chair_held_twice(shared_app, results)


def _process_attempt(database_url: str, session_id: str, request_id: int, i: int, barrier, queue) -> None:
    try:
        app = create_app(app_config(database_url))
        status = attempt(app, session_id, request_id, i, barrier.wait)
        with app.app_context():
            db.engine.dispose()
        queue.put((request_id, status))
    except BaseException:
        queue.put((request_id, traceback.format_exc()))


@pytest.mark.slow
def test_separate_processes_booking_overlapping_courses(shared_app, database_url, racers):
    ids, session_id = racers
    ids = ids[:PROCESSES]
    with shared_app.app_context():
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=240)
    queue = context.Queue()
    processes = [
        context.Process(target=_process_attempt, args=(database_url, session_id, ids[i], i, barrier, queue))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = dict(queue.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    failures = [o for o in outcomes.values() if not isinstance(o, int)]
    assert not failures, failures[0]
    assert set(outcomes.values()) <= {303, 409}, sorted(outcomes.values())
    assert list(outcomes.values()).count(303) >= 2
    assert_no_chair_held_twice(shared_app, outcomes)
