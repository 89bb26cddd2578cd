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
