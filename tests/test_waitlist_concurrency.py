"""A seat offered from the waitlist is held by the database, like a booking (SPEC 13).

Ten threads (one app, many sessions and connections) aim at the same seat at once: some accept the offer
holding it (the patient's double click, a second tab), the others book it directly through intake. Exactly
one ends up holding it; the rest are refused cleanly (OfferClosed/OfferExpired, SlotUnavailable), never
another exception. Then the same race once the offer has lapsed: the seat goes to exactly one newcomer.
Both on SQLite and PostgreSQL, from threads and from separate processes posting the forms.
"""

import multiprocessing
import traceback
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OfferStatus, SlotClaim, WaitlistOffer
from clinic.scheduling import SlotUnavailable
from clinic.scheduling.waitlist import Wishes
from clinic.services.booking import offers, seats, waitlist
from clinic.services.booking.intake import submit
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data
from tests.test_concurrency import (  # noqa: F401
    NOW,
    SLOT,
    SLOT_UTC,
    app_config,
    intake_data,
    run_threads,
    shared_app,
)

ATTEMPTS = 10
PROCESSES = 6  # each builds its own app: three accepts and three bookings are race enough
NEXT_WEEK = SLOT_UTC + timedelta(days=6)


def offer_the_slot(app) -> tuple[int, int]:
    """A patient booked next week waits; the holder of SLOT cancels; run-jobs offers SLOT. Returns the
    waiting request's id and the offer's id."""
    with app.app_context():
        waiting = submit(intake_data(100, NEXT_WEEK), now=NOW)
        waitlist.join(waiting, Wishes(date(2026, 11, 23)), now=NOW)
        holder = submit(intake_data(101), now=NOW)
        seats.cancel_for_patient(holder, now=NOW)
        assert offers.offer_freed_seats(now=NOW) == 1
        offer = db.session.scalars(select(WaitlistOffer)).one()
        assert (offer.request_id, offer.starts_at) == (waiting.id, SLOT_UTC)
        return waiting.id, offer.id


def race(app, offer_id: int, *, now) -> list[str]:
    def attempt(i, barrier):
        with app.app_context():
            barrier.wait()
            try:
                if i % 2 == 0:
                    offers.accept(offer_id, now=now)
                    return "accepted"
                submit(intake_data(i), now=now)
                return "booked"
            except (offers.OfferClosed, offers.OfferExpired):
                return "offer refused"
            except SlotUnavailable:
                return "unavailable"

    results = run_threads(ATTEMPTS, attempt)
    unexpected = [r for r in results if r not in {"accepted", "booked", "offer refused", "unavailable"}]
    assert not unexpected, unexpected[0]
    return results


def holders(app) -> list[Booking]:
    with app.app_context():
        active = db.session.scalars(
            select(Booking).where(Booking.cancelled_at.is_(None), Booking.starts_at == SLOT_UTC)
        ).all()
        claims = db.session.scalars(select(SlotClaim).where(SlotClaim.starts_at == SLOT_UTC)).all()
        assert [c.booking_id for c in claims] == [b.id for b in active]
        assert (
            db.session.scalar(
                select(func.count()).select_from(SlotClaim).where(SlotClaim.offer_id.isnot(None))
            )
            == 0
        )
        all_active = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.cancelled_at.is_(None))
        )
        assert all_active == db.session.scalar(select(func.count()).select_from(SlotClaim))
        db.session.expunge_all()
        return list(active)


def test_accepts_and_direct_bookings_at_an_offered_seat_leave_one_holder(shared_app):  # noqa: F811
    waiting, offer_id = offer_the_slot(shared_app)
    results = race(shared_app, offer_id, now=NOW)
    assert results.count("accepted") == 1
    assert results.count("booked") == 0
    assert results.count("offer refused") == ATTEMPTS // 2 - 1
    assert results.count("unavailable") == ATTEMPTS // 2
    (holder,) = holders(shared_app)
    assert holder.request_id == waiting
    with shared_app.app_context():
        consultation = db.session.get(ConsultationRequest, waiting)
        assert [b.starts_at for b in consultation.bookings if b.cancelled_at is None] == [SLOT_UTC]
        assert db.session.get(WaitlistOffer, offer_id).status is OfferStatus.ACCEPTED


def test_once_the_offer_lapsed_the_seat_goes_to_exactly_one(shared_app):  # noqa: F811
    waiting, offer_id = offer_the_slot(shared_app)
    later = NOW + timedelta(minutes=31)
    results = race(shared_app, offer_id, now=later)
    assert results.count("accepted") == 0
    assert results.count("offer refused") == ATTEMPTS // 2
    assert results.count("booked") <= 1
    booked = holders(shared_app)
    assert len(booked) == results.count("booked")
    with shared_app.app_context():
        assert db.session.get(WaitlistOffer, offer_id).status is OfferStatus.EXPIRED
        assert db.session.get(ConsultationRequest, waiting).active_booking.starts_at == NEXT_WEEK


def _process_attempt(database_url: str, i: int, offer_path: str, barrier, results) -> None:
    """One browser in its own process: its own app, engine and connections on the shared database."""
    try:
        app = create_app(app_config(database_url))
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.2.0.{i + 1}"}
        if i % 2 == 0:
            page = client.get(offer_path, environ_base=address)
            data = {"csrf_token": csrf_token_from(page.get_data(as_text=True))}
            path = offer_path + "/accept"
        else:
            page = client.get(f"/consultation?slot={SLOT}", environ_base=address)
            data = intake_form_data(
                SLOT, csrf_token_from(page.get_data(as_text=True)), email=f"w{i}@example.com"
            )
            path = "/consultation"
        barrier.wait()
        status = client.post(path, data=data, environ_base=address).status_code
        results.put((i, ("accept" if i % 2 == 0 else "book", status)))
        with app.app_context():
            db.engine.dispose()
    except BaseException:
        results.put((i, traceback.format_exc()))


@pytest.mark.slow
def test_separate_processes_accepting_and_booking_an_offered_seat(shared_app, database_url):  # noqa: F811
    waiting, offer_id = offer_the_slot(shared_app)
    with shared_app.app_context():
        offer_path = "/offers/" + offers.offer_token(db.session.get(WaitlistOffer, offer_id))
        db.engine.dispose()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=240)
    results = context.Queue()
    processes = [
        context.Process(target=_process_attempt, args=(database_url, i, offer_path, barrier, results))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    failures = [o for o in outcomes.values() if not isinstance(o, tuple)]
    assert not failures, failures[0]
    assert sorted(outcomes.values()) == sorted(
        [("accept", 303)] + [("accept", 409)] * (PROCESSES // 2 - 1) + [("book", 409)] * (PROCESSES // 2)
    )
    (holder,) = holders(shared_app)
    assert holder.request_id == waiting
