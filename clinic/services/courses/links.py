"""Course-link tokens: the course's random public id and its token version, signed with SECRET_KEY.

Never the row id. Raising the course's `token_version` ends every link sent before. A link stops working
30 days after the end of the course's last session, so an old email does not open the page for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic import signing
from clinic.extensions import db
from clinic.models import TreatmentCourse

SALT = "clinic.treatment-course"
VALID_AFTER_LAST = timedelta(days=30)


def course_token(course: TreatmentCourse) -> str:
    return signing.sign(SALT, [course.public_id, course.token_version])


def expires_at(course: TreatmentCourse) -> datetime | None:
    ends = [s.ends_at for s in course.sessions]
    return max(ends) + VALID_AFTER_LAST if ends else None


def load_token(token: str, *, now: datetime) -> TreatmentCourse | None:
    """The course a token was issued for, its sessions, kind and request loaded; None when the token is
    forged, malformed, of an older version or expired."""
    payload = signing.read(SALT, token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)):
        return None
    public_id, version = payload
    course = db.session.scalar(
        select(TreatmentCourse)
        .where(TreatmentCourse.public_id == public_id)
        .options(
            selectinload(TreatmentCourse.sessions),
            joinedload(TreatmentCourse.kind),
            joinedload(TreatmentCourse.request),
        )
    )
    if course is None or course.token_version != version:
        return None
    until = expires_at(course)
    if until is None or now > until:
        return None
    return course
