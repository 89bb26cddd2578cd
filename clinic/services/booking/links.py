"""Manage-link tokens: the request's random public id, signed with SECRET_KEY (itsdangerous).

The token carries no date: it stays the same when the patient reschedules, and it expires a day after
the end of the current (or last) appointment, so a link in an old email stops working on its own.
"""

from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.timeutil import utcnow

SALT = "clinic.manage-appointment"
VALID_AFTER_END = timedelta(days=1)
MAX_TOKEN_LENGTH = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def manage_token(consultation: ConsultationRequest) -> str:
    return _serializer().dumps(consultation.public_id)


def expires_at(consultation: ConsultationRequest) -> datetime | None:
    """A day after the end of the active booking, or of the latest one when none is active."""
    booking = consultation.active_booking or (consultation.bookings[-1] if consultation.bookings else None)
    return booking.ends_at + VALID_AFTER_END if booking else None


def load_token(token: str, *, now: datetime | None = None) -> ConsultationRequest | None:
    """The request a token was issued for, or None when it is forged, malformed or expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        public_id = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(public_id, str):
        return None
    consultation = db.session.scalars(
        select(ConsultationRequest).where(ConsultationRequest.public_id == public_id)
    ).first()
    if consultation is None:
        return None
    until = expires_at(consultation)
    if until is None or (now or utcnow()) > until:
        return None
    return consultation
