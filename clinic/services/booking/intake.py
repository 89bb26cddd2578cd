"""Submitting a consultation request: screening, the request and its booking, in one transaction."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking import availability, drafts, seats
from clinic.services.booking.references import new_public_id, new_reference
from clinic.services.casework import urgent
from clinic.services.mail import notifications, outbox
from clinic.triage.enums import Modality, PreferredContact, RequestStatus
from clinic.triage.screening import Screening, screen

# Bump when the wording of the consent checkboxes or of the privacy notice (/privacy) changes; stored with
# each request, and shown on the notice.
CONSENT_VERSION = "2026-11-26"
REFERENCE_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class IntakeData:
    """A validated intake form, as plain values."""

    starts_at: datetime
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    date_of_birth: date
    preferred_contact: PreferredContact
    phq9: Sequence[int]
    antidepressant_trials: int
    modality: Modality
    conditions: Sequence[str] = field(default=())
    medications: str = ""
    notes: str = ""
    phq9_difficulty: int | None = None  # the PHQ-9's unscored closing question, when answered
    language: str = "en"  # the language the patient used: "en" or "es"


def submit(data: IntakeData, *, now: datetime, draft_token: str | None = None) -> ConsultationRequest:
    """Store the request with its screening and a booking of the chosen slot, then send the emails.

    One transaction: SlotUnavailable (nothing stored) when the slot is not offered or its last seat went
    meanwhile. Item 9 above 0 also tells the clinic at once. The form resumed from a saved draft
    (`draft_token`, its link's token) deletes that draft in the same transaction.
    """
    screening = screen(data.phq9, data.antidepressant_trials, data.conditions)
    with unit_of_work():
        slot = availability.offered_slot(data.starts_at, now=now)
        consultation = _insert(data, screening, now=now)
        held = seats.hold(consultation, slot)
        record("request.create", actor_id=None, record_type="request", record_id=consultation.id)
        messages = [notifications.add_confirmation(consultation, held, now=now)]
        if screening.self_harm:
            messages.append(urgent.escalate(consultation, now=now))
        drafts.discard_submitted(draft_token)
    outbox.deliver(messages)
    return consultation


def _insert(data: IntakeData, screening: Screening, *, now: datetime) -> ConsultationRequest:
    """Insert the request under a fresh reference code, drawing another one on the rare collision."""
    error: IntegrityError | None = None
    for _ in range(REFERENCE_ATTEMPTS):
        consultation = ConsultationRequest(
            reference=new_reference(),
            public_id=new_public_id(),
            status=RequestStatus.NEW,
            priority=screening.priority,
            priority_rank=screening.priority.rank,
            first_name=data.first_name,
            last_name=data.last_name,
            email=data.email,
            phone=data.phone,
            date_of_birth=data.date_of_birth,
            preferred_contact=data.preferred_contact,
            language=data.language,
            phq9_answers=list(data.phq9),
            phq9_score=screening.score,
            phq9_band=screening.band,
            phq9_difficulty=data.phq9_difficulty,
            antidepressant_trials=data.antidepressant_trials,
            treatment_resistant=screening.treatment_resistant,
            conditions=list(data.conditions),
            modality=data.modality,
            medications=data.medications,
            notes=data.notes,
            consent_version=CONSENT_VERSION,
            consented_at=now,
            created_at=now,
            updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(consultation)
        except IntegrityError as collision:
            error = collision
            continue
        return consultation
    raise error or RuntimeError("no reference code could be drawn")
