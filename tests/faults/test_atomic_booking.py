"""A crash anywhere between the slot claim and the end of the request leaves nothing half-written:
no claim, no booking, no request (one transaction); a crashed reschedule or cancel changes nothing."""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.services.booking import availability, intake, seats
from clinic.services.mail import notifications
from clinic.timeutil import utcnow


class Crash(RuntimeError):
    """Stands for a process dying mid-request (a bug, a killed worker, a lost connection)."""


def crash(*args, **kwargs):
    raise Crash("simulated crash")


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        counted = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (ConsultationRequest, Booking, SlotClaim, OutboxMessage, AuditEvent)
        }
        db.session.remove()
        return counted


def claim_then_crash(monkeypatch):
    """Let the seat claim be added to the transaction, then crash."""
    original = seats.claim_seat

    def claimed_then_dies(booking, *, capacity):
        original(booking, capacity=capacity)
        assert db.session.scalar(select(func.count()).select_from(SlotClaim)) >= 1  # the claim is there
        raise Crash("after the claim")

    monkeypatch.setattr(seats, "claim_seat", claimed_then_dies)


CRASH_POINTS = {
    "after-claim": claim_then_crash,
    "audit": lambda mp: mp.setattr(intake, "record", crash),
    "confirmation-email": lambda mp: mp.setattr(intake.notifications, "add_confirmation", crash),
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_crash_during_intake_leaves_nothing_behind(app, make_request, monkeypatch, point):
    before = table_counts(app)
    with app.app_context():
        first_free = availability.nearest_slots(None, now=utcnow(), limit=1)[0].starts_at
    CRASH_POINTS[point](monkeypatch)
    with pytest.raises(Crash):
        make_request(slot=first_free, urgent=True)
    with app.app_context():
        db.session.remove()  # what the request teardown does after an unhandled error
    assert table_counts(app) == before
    monkeypatch.undo()
    with app.app_context():
        assert availability.nearest_slots(None, now=utcnow(), limit=1)[0].starts_at == first_free, "slot lost"
    make_request(slot=first_free)  # and it can still be booked
    assert table_counts(app)["slot_claims"] == before["slot_claims"] + 1


def test_a_crash_during_reschedule_keeps_the_old_booking(app, make_request, monkeypatch):
    request_id = make_request()
    before = table_counts(app)
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        old_start = consultation.active_booking.starts_at
        target = next(
            s.starts_at
            for s in availability.nearest_slots(None, now=utcnow(), limit=3)
            if s.starts_at != old_start
        )
        claim_then_crash(monkeypatch)
        with pytest.raises(Crash):
            seats.reschedule_for_patient(consultation, target, now=utcnow())
        db.session.remove()
    assert table_counts(app) == before
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.active_booking.starts_at == old_start
        assert consultation.appointment_at == old_start
        claims = db.session.scalars(select(SlotClaim.starts_at)).all()
        assert claims == [old_start]


def test_a_crash_during_cancel_keeps_the_booking(app, make_request, monkeypatch):
    request_id = make_request()
    before = table_counts(app)
    monkeypatch.setattr(notifications, "add_cancellation", crash)
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        with pytest.raises(Crash):
            seats.cancel_for_patient(consultation, now=utcnow())
        db.session.remove()
    assert table_counts(app) == before
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.active_booking is not None and consultation.active_booking.cancelled_at is None
