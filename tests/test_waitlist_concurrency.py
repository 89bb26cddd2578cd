"""A seat offered from the waitlist is held by the database, like a booking (SPEC 13).

Ten threads (one app, many sessions and connections) aim at the same seat at once: some accept the offer
holding it (the patient's double click, a second tab), the others book it directly through intake. Exactly
one ends up holding it; the rest are refused cleanly (OfferClosed/OfferExpired, SlotUnavailable), never
another exception. Then the same race once the offer has lapsed: the seat goes to exactly one newcomer.
Both on SQLite and PostgreSQL.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OfferStatus, SlotClaim, WaitlistOffer
from clinic.scheduling import SlotUnavailable
from clinic.scheduling.waitlist import Wishes
from clinic.services.booking import offers, seats, waitlist
from clinic.services.booking.intake import submit
from tests.test_concurrency import NOW, SLOT_UTC, intake_data, run_threads, shared_app  # noqa: F401

ATTEMPTS = 10
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
