"""No double booking, ever: many concurrent attempts at one slot, exactly `capacity` succeed.

Attempts come from threads (one app, many sessions and connections), from separate processes (the
"spawn" context: each builds its own app on the same database) and, on PostgreSQL, from gunicorn with
four workers over real HTTP. The rest get 409 (over HTTP) or SlotUnavailable (from the service); never a
500 or another exception. Afterwards the active bookings and the slot claims agree.
"""

import multiprocessing
import threading
import traceback
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select, update

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, ClinicSettings, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.scheduling import SlotUnavailable
from clinic.services.booking import availability, seats
from clinic.services.booking.intake import IntakeData, submit
from clinic.services.rules.read import clinic_info
from clinic.triage.enums import Modality, PreferredContact
from tests import servers
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_intake import intake_form_data
from tests.servers import http_request

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
SLOT = "2026-11-24T09:00:00-05:00"
SLOT_UTC = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
ATTEMPTS = 24
PROCESSES = 8
CAPACITIES = [1, 3]


def app_config(database_url: str) -> dict:
    # Plenty of connections, so that every attempt really is in flight at once.
    return {
        **base_config(database_url),
        "NOW_OVERRIDE": NOW,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_size": ATTEMPTS + 2,
            "max_overflow": 0,
            "pool_timeout": 60,
            "hide_parameters": True,
        },
    }


@pytest.fixture
def shared_app(database_url):
    app = create_app(app_config(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def set_capacity(app, capacity: int) -> None:
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(capacity=capacity))
        db.session.commit()


def intake_data(i: int, starts_at: datetime = SLOT_UTC) -> IntakeData:
    return IntakeData(
        starts_at=starts_at,
        first_name=f"Racer{i}",
        last_name="Concurrent",
        email=f"racer{i}@example.com",
        phone="+12125550142",
        date_of_birth=datetime(1980, 1, 1).date(),
        preferred_contact=PreferredContact.EMAIL,
        phq9=(1,) * 8 + (0,),
        antidepressant_trials=2,
        modality=Modality.UNDECIDED,
    )


def assert_consistent(app, capacity: int, starts_at: datetime = SLOT_UTC) -> None:
    """Exactly `capacity` active bookings, each with its claim, on distinct seats 1..capacity."""
    with app.app_context():
        active = db.session.scalars(
            select(Booking).where(Booking.cancelled_at.is_(None), Booking.starts_at == starts_at)
        ).all()
        claims = db.session.scalars(select(SlotClaim).where(SlotClaim.starts_at == starts_at)).all()
        assert len(active) == capacity
        assert sorted(c.seat for c in claims) == list(range(1, capacity + 1))
        assert {c.booking_id for c in claims} == {b.id for b in active}
        assert db.session.scalar(select(func.count()).select_from(ConsultationRequest)) == capacity
        assert db.session.scalar(select(func.count()).select_from(Booking)) == capacity
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == capacity
        all_active = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.cancelled_at.is_(None))
        )
        assert all_active == db.session.scalar(select(func.count()).select_from(SlotClaim))


def run_threads(count: int, attempt) -> list:
    """Start `count` threads that wait at a barrier, then each run `attempt(i)`; return their results."""
    barrier = threading.Barrier(count, timeout=60)
    results: list = [None] * count

    def worker(i: int) -> None:
        try:
            results[i] = attempt(i, barrier)
        except BaseException:
            results[i] = ("unexpected", traceback.format_exc())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "an attempt hung"
    return results


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_threads_calling_the_service(shared_app, capacity):
    set_capacity(shared_app, capacity)

    def attempt(i, barrier):
        with shared_app.app_context():
            barrier.wait()
            try:
                submit(intake_data(i), now=NOW)
            except SlotUnavailable:
                return "unavailable"
            return "booked"

    results = run_threads(ATTEMPTS, attempt)
    unexpected = [r for r in results if r not in {"booked", "unavailable"}]
    assert not unexpected, unexpected[0]
    assert results.count("booked") == capacity
    assert results.count("unavailable") == ATTEMPTS - capacity
    assert_consistent(shared_app, capacity)


@pytest.mark.parametrize("capacity", CAPACITIES)
def test_threads_posting_the_form(shared_app, capacity):
    set_capacity(shared_app, capacity)

    def attempt(i, barrier):
        client = shared_app.test_client()
        address = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}  # one patient per address: the rate limit stays on
        page = client.get(f"/consultation?slot={SLOT}", environ_base=address)
        data = intake_form_data(SLOT, csrf_token_from(page.get_data(as_text=True)), email=f"p{i}@example.com")
        barrier.wait()
        return client.post("/consultation", data=data, environ_base=address).status_code

    statuses = run_threads(ATTEMPTS, attempt)
    assert all(isinstance(s, int) for s in statuses), next(s for s in statuses if not isinstance(s, int))
    assert sorted(statuses) == [303] * capacity + [409] * (ATTEMPTS - capacity)
    assert_consistent(shared_app, capacity)


def test_concurrent_changes_to_one_booking_leave_exactly_one_active(shared_app):
    """Several tabs move (or cancel) the same booking at once: never two active bookings for one request."""
    with shared_app.app_context():
        request_id = submit(intake_data(0), now=NOW).id
        targets = [s.starts_at for s in availability.nearest_slots(SLOT_UTC, now=NOW, limit=9)][1:]

    def attempt(i, barrier):
        with shared_app.app_context():
            barrier.wait()
            consultation = db.session.get(ConsultationRequest, request_id)
            try:
                if i == len(targets):
                    seats.cancel_for_patient(consultation, now=NOW)
                else:
                    seats.reschedule_for_patient(consultation, targets[i], now=NOW)
            except (seats.BookingChanged, seats.NoActiveBooking):
                return "changed meanwhile"
            return "done"

    results = run_threads(len(targets) + 1, attempt)
    assert set(results) <= {"done", "changed meanwhile"}, results
    assert "done" in results
    with shared_app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        active = [b for b in consultation.bookings if b.cancelled_at is None]
        claims = db.session.scalars(select(SlotClaim)).all()
        assert len(active) <= 1 and len(claims) == len(active)
        assert {c.booking_id for c in claims} == {b.id for b in active}
        assert consultation.appointment_at == (active[0].starts_at if active else None)


def _process_attempt(database_url: str, i: int, barrier, results) -> None:
    """One patient in its own process: its own app, engine and connections on the shared database."""
    try:
        app = create_app(app_config(database_url))
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.1.0.{i + 1}"}
        page = client.get(f"/consultation?slot={SLOT}", environ_base=address)
        data = intake_form_data(
            SLOT, csrf_token_from(page.get_data(as_text=True)), email=f"proc{i}@example.com"
        )
        barrier.wait()
        status = client.post("/consultation", data=data, environ_base=address).status_code
        results.put((i, status))
        with app.app_context():
            db.engine.dispose()
    except BaseException:
        results.put((i, traceback.format_exc()))


@pytest.mark.slow
@pytest.mark.parametrize("capacity", [3])  # seats numbered under a race; capacity 1: threads and gunicorn
def test_separate_processes_posting_the_form(shared_app, database_url, capacity):
    set_capacity(shared_app, capacity)
    with shared_app.app_context():
        db.engine.dispose()  # no connection of ours stays open while the children run
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=240)
    results = context.Queue()
    processes = [
        context.Process(target=_process_attempt, args=(database_url, i, barrier, results))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    failures = [o for o in outcomes.values() if not isinstance(o, int)]
    assert not failures, failures[0]
    assert sorted(outcomes.values()) == [303] * capacity + [409] * (PROCESSES - capacity)
    assert_consistent(shared_app, capacity)


# gunicorn, four workers, PostgreSQL, real HTTP


@pytest.fixture
def gunicorn(database_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("the gunicorn run is on PostgreSQL only")
    with servers.gunicorn(database_url, tmp_path, GUNICORN_WORKERS="4") as server:
        yield server.port


@pytest.mark.slow
@pytest.mark.parametrize("capacity", CAPACITIES)
def test_gunicorn_four_workers_over_http(shared_app, gunicorn, capacity):
    set_capacity(shared_app, capacity)
    real_now = datetime.now(UTC)  # gunicorn runs on the real clock: pick a slot free a few days ahead
    with shared_app.app_context():
        starts_at = availability.nearest_slots(real_now + timedelta(days=3), now=real_now, limit=1)[
            0
        ].starts_at
        slot = starts_at.astimezone(clinic_info().rules.tz).isoformat()
    query = urlencode({"slot": slot})

    def attempt(i, barrier):
        status, page, cookies = http_request(gunicorn, "GET", f"/consultation?{query}")
        assert status == 200, status
        token = csrf_token_from(page)
        body = urlencode(intake_form_data(slot, token, email=f"http{i}@example.com"), doseq=True)
        barrier.wait()
        status, page, _ = http_request(gunicorn, "POST", "/consultation", body, cookie="; ".join(cookies))
        assert "Traceback" not in page
        return status

    statuses = run_threads(20, attempt)
    assert all(isinstance(s, int) for s in statuses), next(s for s in statuses if not isinstance(s, int))
    assert sorted(statuses) == [303] * capacity + [409] * (20 - capacity)
    assert_consistent(shared_app, capacity, starts_at)
