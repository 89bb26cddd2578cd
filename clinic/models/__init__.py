"""The clinic's tables. The schema itself comes from the Alembic migrations in migrations/."""

from clinic.models.audit import AuditEvent
from clinic.models.bookings import Booking, SlotClaim
from clinic.models.checkins import CheckIn, CheckInReason
from clinic.models.courses import (
    Chair,
    ChairClaim,
    CourseStatus,
    KindKey,
    RemsEnrolment,
    SessionStatus,
    TreatmentCourse,
    TreatmentKind,
    TreatmentSession,
)
from clinic.models.outbox import OutboxMessage
from clinic.models.requests import ConsultationRequest, Note, RequestTally
from clinic.models.settings import ClinicSettings, Closure, OpeningHours
from clinic.models.staff import LoginFailure, LoginThrottle, StaffUser
from clinic.models.two_factor import RecoveryCode
from clinic.models.types import UTCDateTime

__all__ = [
    "AuditEvent",
    "Booking",
    "Chair",
    "ChairClaim",
    "CheckIn",
    "CheckInReason",
    "ClinicSettings",
    "Closure",
    "ConsultationRequest",
    "CourseStatus",
    "KindKey",
    "LoginFailure",
    "LoginThrottle",
    "Note",
    "OpeningHours",
    "OutboxMessage",
    "RecoveryCode",
    "RemsEnrolment",
    "RequestTally",
    "SessionStatus",
    "SlotClaim",
    "StaffUser",
    "TreatmentCourse",
    "TreatmentKind",
    "TreatmentSession",
    "UTCDateTime",
]
