"""Fixtures for consultation requests. Owned by the intake area; other areas may use them.

- `make_request(**overrides)` -> request id: a stored request with an active booking (committed), made
  through the intake service, so the screening, reference, booking, slot claim and audit are all real.

  Overrides (all optional):
  * any `IntakeData` field: first_name, last_name, email, phone (E.164), date_of_birth, preferred_contact,
    antidepressant_trials, modality, conditions (codes), medications, notes;
  * `phq9=[...]` (nine answers) or single answers such as `phq9_9=2`; `urgent=True` is item 9 = 1;
  * `slot`: an aware datetime or ISO string of an offered slot (default: the earliest free one at the
    app's clock, so successive calls take successive slots);
  * `status`: a RequestStatus (or its value) set after creation; `cancelled=True` cancels the booking
    through the booking service (use it rather than status="cancelled", which leaves the booking active).

  Inside a test's own `with app.app_context():` it uses that context's session (a second session would
  wait on the first one's SQLite write lock); it always ends with a commit.
- `intake_form_data(slot, csrf_token, **overrides)` -> a complete, valid POST /consultation body.
"""

from contextlib import nullcontext
from datetime import date

import pytest
from flask import current_app, has_app_context

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.scheduling import parse_slot
from clinic.services.booking import availability, seats
from clinic.services.booking.intake import IntakeData, submit
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact, RequestStatus

DEFAULTS = {
    "first_name": "Jordan",
    "last_name": "Avery",
    "email": "jordan.avery@example.com",
    "phone": "+12125550142",
    "date_of_birth": date(1985, 4, 12),
    "preferred_contact": PreferredContact.EMAIL,
    "antidepressant_trials": 2,
    "modality": Modality.UNDECIDED,
    "conditions": (),
    "medications": "",
    "notes": "",
}
ROUTINE_PHQ9 = (1, 1, 1, 1, 1, 1, 1, 1, 0)


@pytest.fixture
def make_request(app):
    def make(**overrides) -> int:
        overrides = dict(overrides)
        phq9 = list(overrides.pop("phq9", ROUTINE_PHQ9))
        for i in range(1, 10):
            if f"phq9_{i}" in overrides:
                phq9[i - 1] = overrides.pop(f"phq9_{i}")
        if overrides.pop("urgent", False):
            phq9[8] = max(phq9[8], 1)
        status = overrides.pop("status", None)
        cancelled = overrides.pop("cancelled", False)
        slot = overrides.pop("slot", None)
        # Inside a test's own app context, use its session: a second session would wait on the first's
        # SQLite write lock.
        reuse = has_app_context() and current_app._get_current_object() is app
        with nullcontext() if reuse else app.app_context():
            now = utcnow()
            if slot is None:
                starts_at = availability.nearest_slots(None, now=now, limit=1)[0].starts_at
            else:
                starts_at = parse_slot(slot) if isinstance(slot, str) else slot
            fields = {**DEFAULTS, **overrides}
            fields["preferred_contact"] = PreferredContact(fields["preferred_contact"])
            fields["modality"] = Modality(fields["modality"])
            fields["conditions"] = tuple(fields["conditions"])
            consultation = submit(IntakeData(starts_at=starts_at, phq9=tuple(phq9), **fields), now=now)
            request_id = consultation.id
            if cancelled:
                seats.cancel_for_patient(consultation, now=now)
            if status is not None:
                consultation = db.session.get(ConsultationRequest, request_id)
                consultation.status = RequestStatus(status)
            db.session.commit()  # also ends the read transaction, so nothing holds a lock afterwards
            return request_id

    return make


def intake_form_data(slot: str, csrf_token: str, **overrides) -> dict:
    """A complete, valid POST /consultation body (field names of docs/http.md); override any field."""
    data = {
        "csrf_token": csrf_token,
        "slot": slot,
        "first_name": "Zoë",
        "last_name": "O'Brien-Núñez",
        "email": "zoe.obrien@example.com",
        "phone": "(212) 555-0142",
        "date_of_birth": "1990-01-02",
        "preferred_contact": "email",
        "antidepressant_trials": "3",
        "conditions": [],
        "modality": "infusion",
        "medications": "",
        "notes": "",
        "consent_privacy": "y",
        "consent_contact": "y",
        "website": "",
        **{f"phq9_{i}": "1" for i in range(1, 9)},
        "phq9_9": "0",
    }
    data.update(overrides)
    return data
