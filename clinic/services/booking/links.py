"""Manage-link tokens: the request's random public id, signed with SECRET_KEY (clinic/signing.py).

The token carries no date: it stays the same when the patient reschedules, and it expires a day after
the end of the current (or last) appointment, so a link in an old email stops working on its own. It also
carries the request's link version once a patient has asked for a fresh link: every older link (version 1
tokens carry the bare public id) then stops working.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from clinic import signing
from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.timeutil import utcnow

SALT = "clinic.manage-appointment"
VALID_AFTER_END = timedelta(days=1)


def manage_token(consultation: ConsultationRequest) -> str:
    version = consultation.link_version or 1
    payload = consultation.public_id if version == 1 else [consultation.public_id, version]
    return signing.sign(SALT, payload)


def expires_at(consultation: ConsultationRequest) -> datetime | None:
    """A day after the end of the active booking, or of the latest one when none is active."""
    booking = consultation.active_booking or (consultation.bookings[-1] if consultation.bookings else None)
    return booking.ends_at + VALID_AFTER_END if booking else None


def load_token(token: str, *, now: datetime | None = None) -> ConsultationRequest | None:
    """The request a token was issued for, or None when it is forged, malformed or expired."""
    public_id, version = _read(signing.read(SALT, token))
    if public_id is None:
        return None
    consultation = db.session.scalars(
        select(ConsultationRequest).where(ConsultationRequest.public_id == public_id)
    ).first()
    if consultation is None or (consultation.link_version or 1) != version:
        return None
    until = expires_at(consultation)
    if until is None or (now or utcnow()) > until:
        return None
    return consultation


def _read(payload: object) -> tuple[str | None, int]:
    """(public id, link version) from a token's payload: a bare id is version 1."""
    if isinstance(payload, str):
        return payload, 1
    if (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], str)
        and isinstance(payload[1], int)
        and not isinstance(payload[1], bool)
    ):
        return payload[0], payload[1]
    return None, 0
