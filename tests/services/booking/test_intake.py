"""clinic.services.booking.intake: a request, its screening and its booking stored in one transaction."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.scheduling import OutsideOpeningHours, SlotUnavailable
from clinic.services.booking import intake
from clinic.triage.enums import Priority, RequestStatus
from tests.services.helpers import count, get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")


def test_submit_stores_request_booking_claim_and_audit(app, make_request, sent, ctx):
    request_id = make_request(slot=local(24, 9), phq9=[2] * 8 + [0], antidepressant_trials=3)
    consultation = get(request_id)
    assert re.fullmatch(r"KT-[2-9A-HJ-NP-Z]{6}", consultation.reference)
    assert len(consultation.public_id) >= 20
    assert consultation.status is RequestStatus.NEW
    assert (consultation.phq9_score, consultation.phq9_band.value) == (16, "moderately_severe")
    assert consultation.priority is Priority.ROUTINE and consultation.priority_rank == 2
    assert consultation.treatment_resistant is True
    assert consultation.consent_version == intake.CONSENT_VERSION
    assert consultation.consented_at == NOW
    assert consultation.appointment_at == local(24, 9)
    active = consultation.active_booking
    assert (active.starts_at, active.ends_at) == (local(24, 9), local(24, 9, 30))
    assert active.claim.seat == 1 and active.claim.starts_at == local(24, 9)
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.actor_id, e.record_type, e.record_id, e.details) for e in events] == [
        ("request.create", None, "request", request_id, None)
    ]


@pytest.mark.parametrize(
    "starts_at",
    [
        local(29, 10),  # Sunday: closed
        local(23, 9),  # today, inside the two hours' notice
        local(23, 10, 15),  # off the slot grid
        local(23, 17, 30),  # ends after closing
        datetime(2027, 3, 1, 15, 0, tzinfo=UTC),  # past the 60-day horizon
    ],
)
def test_submit_refuses_a_slot_not_offered_and_stores_nothing(make_request, sent, ctx, starts_at):
    with pytest.raises(SlotUnavailable):
        make_request(slot=starts_at)
    assert count(ConsultationRequest) == count(Booking) == count(SlotClaim) == count(OutboxMessage) == 0
    assert count(AuditEvent) == 0
    assert sent == []


def test_sunday_is_outside_opening_hours(make_request, ctx):
    with pytest.raises(OutsideOpeningHours):
        make_request(slot=local(29, 10))


def test_a_full_slot_refuses_the_next_request_and_keeps_nothing_of_it(make_request, sent, ctx):
    make_request(slot=local(24, 9))
    with pytest.raises(SlotUnavailable):
        make_request(slot=local(24, 9), email="second@example.com")
    assert count(ConsultationRequest) == count(Booking) == count(SlotClaim) == 1
    assert len(sent) == 1


def test_reference_collision_draws_another_code(make_request, monkeypatch, ctx):
    first = get(make_request(slot=local(24, 9))).reference
    codes = iter([first, first, "KT-AAAAAA"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(codes))
    second = get(make_request(slot=local(24, 10)))
    assert second.reference == "KT-AAAAAA"
    assert second.active_booking is not None
    assert count(ConsultationRequest) == 2
