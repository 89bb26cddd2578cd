"""clinic.services.booking.offers: freed seats offered in waitlist order, held, accepted, declined, lapsed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import (
    AuditEvent,
    ClinicSettings,
    OfferStatus,
    SlotClaim,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from clinic.scheduling import SlotUnavailable
from clinic.scheduling.waitlist import PartOfDay, Wishes
from clinic.services.booking import availability, offers, seats, waitlist
from clinic.services.jobs import run_all
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
TUESDAY_10 = local(24, 10)
NEXT_WEEK = local(30, 10)


def join(request_id: int, earliest: date = date(2026, 11, 23), **wishes) -> None:
    waitlist.join(get(request_id), Wishes(earliest, **wishes), now=NOW)


def open_offers() -> list[WaitlistOffer]:
    return list(
        db.session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.status == OfferStatus.OPEN).order_by(WaitlistOffer.id)
        )
    )


def freed_and_offered(make_request, *, slot=TUESDAY_10, now=NOW) -> int:
    """Someone else cancels their booking at `slot`; run-jobs offers it. Returns how many offers."""
    other = make_request(slot=slot, email="other@example.com")
    seats.cancel_for_patient(get(other), now=now)
    return offers.offer_freed_seats(now=now)


@pytest.fixture
def two_waiting(make_request, ctx):
    """Returns a set-up: an urgent patient, then a routine one, wait for an earlier time; someone else cancels
    Tuesday 10:00 and run-jobs offers it to the first. The set-up returns both request ids."""

    def set_up(first_slot: datetime = NEXT_WEEK) -> tuple[int, int]:
        first = make_request(slot=first_slot, email="first@example.com", urgent=True)
        second = make_request(slot=NEXT_WEEK + timedelta(hours=1), email="second@example.com")
        join(first)
        join(second)
        freed_and_offered(make_request)
        return first, second

    return set_up


def test_a_cancel_leads_to_exactly_one_offer_that_holds_the_seat(make_request, sent, ctx):
    waiting = make_request(slot=NEXT_WEEK)
    join(waiting)
    sent.clear()
    assert freed_and_offered(make_request) == 1
    (offer,) = open_offers()
    assert (offer.request_id, offer.starts_at) == (waiting, TUESDAY_10)
    assert offer.expires_at == NOW + timedelta(minutes=30)
    assert offer.claim is not None and offer.claim.booking_id is None
    # Held through the same constraint as a booking: nobody else can book it meanwhile.
    with pytest.raises(SlotUnavailable):
        availability.offered_slot(TUESDAY_10, now=NOW)
    with pytest.raises(SlotUnavailable):
        make_request(slot=TUESDAY_10, email="late@example.com")
    (email,) = [m for m in sent if m.subject.startswith("An earlier time")]
    assert email.subject == "An earlier time is free at Northfield Clinic"
    body = email.body
    assert "Tuesday, November 24, 2026 at 10:00 AM Eastern Time" in body
    assert "until Monday, November 23, 2026 at 8:30 AM Eastern Time" in body
    assert "/offers/" in body
    assert offers.offer_freed_seats(now=NOW) == 0  # the opening was handled once
    assert db.session.scalar(select(WaitlistOpening.handled_at).limit(1)) == NOW
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "waitlist.offer")).one()
    assert event.details == {"offer_id": offer.id, "entry_id": offer.entry_id}


def test_order_is_urgent_then_high_then_routine_then_earliest_to_join(make_request, ctx):
    routine = make_request(slot=local(30, 9), email="r@example.com")
    high = make_request(slot=local(30, 11), email="h@example.com", conditions=["hypertension"])
    urgent = make_request(slot=local(30, 12), email="u@example.com", urgent=True)
    high_later = make_request(slot=local(30, 13), email="h2@example.com", conditions=["seizures"])
    for request_id in (routine, high, high_later, urgent):
        join(request_id)
    assert [p.request.id for p in waitlist.waiting_line()] == [urgent, high, high_later, routine]
    freed_and_offered(make_request, slot=local(24, 9))
    freed_and_offered(make_request, slot=local(24, 11))
    freed_and_offered(make_request, slot=local(24, 13))
    assert [(o.request_id, o.starts_at) for o in open_offers()] == [
        (urgent, local(24, 9)),
        (high, local(24, 11)),
        (high_later, local(24, 13)),
    ]


def test_only_matching_wishes_and_later_bookings_are_offered(make_request, ctx):
    earlier = make_request(slot=local(24, 9), email="e@example.com")  # already before the freed seat
    mornings = make_request(slot=NEXT_WEEK, email="m@example.com")
    thursdays = make_request(slot=NEXT_WEEK + timedelta(hours=1), email="t@example.com")
    afternoons = make_request(slot=NEXT_WEEK + timedelta(hours=2), email="a@example.com")
    join(earlier)
    join(mornings, part_of_day=PartOfDay.MORNING)
    join(thursdays, days=frozenset({"thu"}))
    join(afternoons, part_of_day=PartOfDay.AFTERNOON)
    freed_and_offered(make_request, slot=local(24, 14))
    assert [o.request_id for o in open_offers()] == [afternoons]


def test_never_an_offer_inside_the_notice_window(make_request, ctx):
    waiting = make_request(slot=NEXT_WEEK)
    join(waiting)
    other = make_request(slot=local(23, 11), email="o@example.com")
    later = NOW + timedelta(hours=1, minutes=30)  # 9:30: the 11:00 seat is inside the two hours' notice
    seats.cancel_for_patient(get(other), now=later)
    assert offers.offer_freed_seats(now=later) == 0
    assert open_offers() == []


def test_an_offer_lapses_before_its_seat_enters_the_notice_window(make_request, ctx):
    waiting = make_request(slot=NEXT_WEEK)
    join(waiting)
    freed_and_offered(make_request, slot=local(23, 10, 30))
    (offer,) = open_offers()
    assert offer.expires_at == local(23, 8, 30).astimezone(UTC)  # 30 minutes; the notice starts at 8:30


def test_at_most_one_open_offer_per_patient(make_request, ctx):
    waiting = make_request(slot=NEXT_WEEK)
    join(waiting)
    freed_and_offered(make_request, slot=local(24, 9))
    freed_and_offered(make_request, slot=local(24, 11))
    assert [o.starts_at for o in open_offers()] == [local(24, 9)]
    # The database refuses a second one whatever the code does.
    entry = db.session.scalar(select(WaitlistEntry))
    db.session.add(
        WaitlistOffer(
            public_id="x" * 32,
            entry_id=entry.id,
            request_id=waiting,
            starts_at=local(24, 11),
            ends_at=local(24, 11, 30),
            expires_at=NOW + timedelta(minutes=30),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_accepting_moves_the_booking_and_offers_the_old_seat_on(two_waiting, sent, ctx):
    first, second = two_waiting(first_slot=local(26, 9))
    (offer,) = open_offers()
    assert offer.request_id == first
    sent.clear()
    new = offers.accept(offer.id, now=NOW)
    consultation = get(first)
    assert consultation.active_booking.id == new.id and new.starts_at == TUESDAY_10
    assert consultation.appointment_at == TUESDAY_10
    assert len([b for b in consultation.bookings if b.cancelled_at is None]) == 1
    claim = db.session.scalar(select(SlotClaim).where(SlotClaim.starts_at == TUESDAY_10))
    assert (claim.booking_id, claim.offer_id) == (new.id, None)
    assert db.session.scalar(select(SlotClaim).where(SlotClaim.starts_at == local(26, 9))) is None
    assert db.session.get(WaitlistEntry, offer.entry_id).left_reason == "accepted"
    assert [m.subject for m in sent] == ["Your consultation with Northfield Clinic"]
    # The old seat goes on to the next in line.
    assert offers.offer_freed_seats(now=NOW) == 1
    (next_offer,) = open_offers()
    assert (next_offer.request_id, next_offer.starts_at) == (second, local(26, 9))
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "waitlist.offer_accept" in actions
    with pytest.raises(offers.OfferClosed):
        offers.accept(offer.id, now=NOW)


def test_an_expired_offer_is_refused_and_the_seat_goes_to_the_next_in_line(two_waiting, ctx):
    first, second = two_waiting()
    (offer,) = open_offers()
    later = offer.expires_at
    with pytest.raises(offers.OfferExpired):
        offers.accept(offer.id, now=later)
    assert db.session.get(WaitlistOffer, offer.id).status is OfferStatus.EXPIRED
    assert get(first).active_booking.starts_at == NEXT_WEEK
    assert offers.offer_freed_seats(now=later) == 1
    (next_offer,) = open_offers()
    assert (next_offer.request_id, next_offer.starts_at) == (second, TUESDAY_10)
    with pytest.raises(offers.OfferExpired):
        offers.accept(offer.id, now=later)


def test_run_jobs_expires_offers_and_offers_the_seat_on(two_waiting, ctx):
    _, second = two_waiting()
    later = NOW + timedelta(minutes=31)
    results = {r.job.name: r.count for r in run_all(now=later)}
    assert results["waitlist-expiry"] == 1 and results["waitlist-offers"] == 1
    (next_offer,) = open_offers()
    assert next_offer.request_id == second
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "waitlist.offer_expire")).one()
    # The one who let it lapse is not offered the same seat again.
    run_all(now=later + timedelta(minutes=31))
    assert open_offers() == []


def test_declining_keeps_the_patient_waiting_and_offers_the_seat_on(two_waiting, ctx):
    first, second = two_waiting()
    (offer,) = open_offers()
    offers.decline(offer.id, now=NOW)
    assert db.session.scalar(select(SlotClaim).where(SlotClaim.starts_at == TUESDAY_10)) is None
    assert waitlist.current_entry(first) is not None
    assert offers.offer_freed_seats(now=NOW) == 1
    assert [o.request_id for o in open_offers()] == [second]
    with pytest.raises(offers.OfferClosed):
        offers.decline(offer.id, now=NOW)


def test_leaving_or_cancelling_withdraws_the_open_offer(two_waiting, ctx):
    first, second = two_waiting()
    waitlist.leave(get(first), now=NOW)
    assert offers.offer_freed_seats(now=NOW) == 1
    (offer,) = open_offers()
    assert offer.request_id == second
    seats.cancel_for_patient(get(second), now=NOW)
    assert db.session.get(WaitlistOffer, offer.id).status is OfferStatus.WITHDRAWN
    assert waitlist.current_entry(second) is None
    assert db.session.scalar(select(SlotClaim).where(SlotClaim.offer_id.isnot(None))) is None


def test_accepting_a_withdrawn_offer_is_refused(make_request, ctx):
    first = make_request(slot=NEXT_WEEK)
    join(first)
    freed_and_offered(make_request)
    (offer,) = open_offers()
    waitlist.leave(get(first), now=NOW)
    with pytest.raises(offers.OfferClosed) as raised:
        offers.accept(offer.id, now=NOW)
    assert raised.value.status is OfferStatus.WITHDRAWN


def test_a_closure_removed_and_capacity_raised_free_seats_for_the_waitlist(make_request, make_staff, ctx):
    admin_id = make_staff(email="admin@clinic.example", role="admin")
    from clinic.services.rules import closures, settings

    waiting = make_request(slot=NEXT_WEEK)
    join(waiting)
    db.session.execute(update(ClinicSettings).values(capacity=1))
    db.session.commit()
    # Every slot until next week is taken; then capacity rises to 2.
    current = settings.current_settings()
    from dataclasses import replace

    settings.update_settings(replace(current, capacity=2), actor_id=admin_id, now=NOW, confirmed=True)
    assert offers.offer_freed_seats(now=NOW) == 1
    (offer,) = open_offers()
    assert offer.starts_at == local(23, 10, 30)  # the first seat the patient has time to answer for
    offers.decline(offer.id, now=NOW)
    closure_id, _ = closures.add_closure(
        closures.ClosureInput(date(2026, 11, 25), date(2026, 11, 25), "Training"),
        actor_id=admin_id,
        now=NOW,
        confirmed=True,
    )
    closures.delete_closure(closure_id, actor_id=admin_id)
    reasons = list(db.session.scalars(select(WaitlistOpening.reason).order_by(WaitlistOpening.id)))
    assert reasons[-1] == "closure_removed"


def test_tokens_load_their_offer_and_refuse_forgeries(make_request, ctx):
    join(make_request(slot=NEXT_WEEK))
    freed_and_offered(make_request)
    (offer,) = open_offers()
    assert offers.load_offer(offers.offer_token(offer)).id == offer.id
    assert offers.load_offer("forged.token") is None
    assert offers.load_offer("") is None
