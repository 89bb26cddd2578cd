"""The clinic's tables. The schema itself comes from the Alembic migrations in migrations/."""

from clinic.models.audit import AuditEvent, AuditVisit
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
from clinic.models.drafts import IntakeDraft
from clinic.models.outbox import OutboxMessage
from clinic.models.requests import ConsultationRequest, ContactAttempt, Note, RequestTally
from clinic.models.settings import CaseworkVersion, ClinicSettings, Closure, OpeningHours, ScheduleVersion
from clinic.models.staff import LoginFailure, LoginThrottle, StaffUser
from clinic.models.two_factor import RecoveryCode
from clinic.models.types import UTCDateTime
from clinic.models.waitlist import OfferStatus, WaitlistEntry, WaitlistOffer, WaitlistOpening

__all__ = [
    "AuditEvent",
    "AuditVisit",
    "Booking",
    "CaseworkVersion",
    "Chair",
    "ChairClaim",
    "CheckIn",
    "CheckInReason",
    "ClinicSettings",
    "Closure",
    "ConsultationRequest",
    "ContactAttempt",
    "CourseStatus",
    "IntakeDraft",
    "KindKey",
    "LoginFailure",
    "LoginThrottle",
    "Note",
    "OfferStatus",
    "OpeningHours",
    "OutboxMessage",
    "RecoveryCode",
    "RemsEnrolment",
    "RequestTally",
    "ScheduleVersion",
    "SessionStatus",
    "SlotClaim",
    "StaffUser",
    "TreatmentCourse",
    "TreatmentKind",
    "TreatmentSession",
    "UTCDateTime",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistOpening",
]
