"""Rows for the staff dashboard tests, inserted directly so a test can set any time, status or text.

`make_request` (tests/fixtures_intake.py) goes through the real intake and booking services; these
helpers are for what intake never produces on demand: requests created weeks ago, slots in the past,
dozens of rows, flagged bookings.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, SlotClaim
from clinic.triage.enums import Modality, Phq9Band, PreferredContact, Priority, RequestStatus
from clinic.triage.screening import band_for

_numbers = itertools.count(1)
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _reference(n: int) -> str:
    chars = []
    for _ in range(6):
        n, r = divmod(n, len(REF_ALPHABET))
        chars.append(REF_ALPHABET[r])
    return "KT-" + "".join(reversed(chars))


def add_request(
    app,
    *,
    priority: Priority | str = Priority.ROUTINE,
    status: RequestStatus | str = RequestStatus.NEW,
    created_at: datetime | None = None,
    slot: datetime | None = None,
    phq9: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1, 1, 0),
    flag_reason: str | None = None,
    assigned_to_id: int | None = None,
    **fields,
) -> int:
    """Insert one request (and, with `slot`, its active booking and seat claim); return its id."""
    n = next(_numbers)
    priority = Priority(priority)
    score = sum(phq9)
    values = {
        "reference": _reference(1000 + n),
        "public_id": f"pid{n:029d}",
        "status": RequestStatus(status),
        "priority": priority,
        "priority_rank": priority.rank,
        "first_name": "Robin",
        "last_name": f"Tester{n}",
        "email": f"robin{n}@example.com",
        "phone": f"+1212555{n % 10000:04d}",
        "date_of_birth": date(1980, 1, 1),
        "preferred_contact": PreferredContact.PHONE,
        "phq9_answers": list(phq9),
        "phq9_score": score,
        "phq9_band": band_for(score),
        "antidepressant_trials": 2,
        "treatment_resistant": True,
        "conditions": [],
        "modality": Modality.INFUSION,
        "medications": "",
        "notes": "",
        "consent_version": "test",
        "consented_at": created_at or datetime.now(UTC),
        "created_at": created_at or datetime.now(UTC),
        "assigned_to_id": assigned_to_id,
        **fields,
    }
    with app.app_context():
        request = ConsultationRequest(**values)
        db.session.add(request)
        db.session.flush()
        if slot is not None:
            booking = Booking(
                request_id=request.id,
                starts_at=slot,
                ends_at=slot + timedelta(minutes=30),
                created_at=values["created_at"],
                flag_reason=flag_reason,
                flagged_at=datetime.now(UTC) if flag_reason else None,
            )
            db.session.add(booking)
            db.session.flush()
            db.session.add(SlotClaim(starts_at=slot, seat=1 + n, booking_id=booking.id))
            request.appointment_at = slot
        db.session.commit()
        return request.id


def band_of(app, request_id: int) -> Phq9Band:
    with app.app_context():
        return db.session.get(ConsultationRequest, request_id).phq9_band
