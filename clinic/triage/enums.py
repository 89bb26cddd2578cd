"""The vocabularies shared by the models, the forms and the triage rules."""

from enum import StrEnum


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """Sort key: urgent first, then high, then routine."""
        return list(Priority).index(self)


class Phq9Band(StrEnum):
    MINIMAL = "minimal"
    MILD = "mild"
    MODERATE = "moderate"
    MODERATELY_SEVERE = "moderately_severe"
    SEVERE = "severe"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RequestStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ContactOutcome(StrEnum):
    """How an attempt to reach the patient went (the contact log, SPEC 6)."""

    REACHED = "reached"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    EMAIL_SENT = "email_sent"
    TEXT_SENT = "text_sent"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    ContactOutcome.REACHED: "Reached",
    ContactOutcome.VOICEMAIL: "Voicemail left",
    ContactOutcome.NO_ANSWER: "No answer",
    ContactOutcome.WRONG_NUMBER: "Wrong number",
    ContactOutcome.EMAIL_SENT: "Email sent",
    ContactOutcome.TEXT_SENT: "Text sent",
}


class Modality(StrEnum):
    INFUSION = "infusion"
    NASAL_SPRAY = "nasal_spray"
    UNDECIDED = "undecided"


class PreferredContact(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    TEXT = "text"


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"
