"""What the course use cases refuse, each with a message written for the person who has to act on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from clinic.scheduling.courses import CourseCheck, ProposedSession


class CourseError(Exception):
    """A course change that cannot be made."""


class RequestNotFound(CourseError, LookupError):
    """No request has that id."""


class SessionNotFound(CourseError, LookupError):
    """No session has that id (or that number in the course)."""


class CourseRefused(CourseError):
    """The course cannot be booked for this request at all (consultation not completed, no REMS
    enrolment for esketamine, a course already active): `reasons` say why, for staff."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = list(reasons)


class CourseInvalid(CourseError):
    """The sessions as given break the rules (hours, notice, spacing, the pattern): see `check`."""

    def __init__(self, check: CourseCheck) -> None:
        super().__init__("the course breaks the scheduling rules")
        self.check = check


@dataclass(frozen=True, slots=True)
class LostSession:
    """A session whose chair time went to another booking, with the nearest starts that are free now."""

    number: int
    starts_at: datetime
    alternatives: tuple[ProposedSession, ...]


class CourseConflict(CourseError):
    """Some sessions could not hold a chair: nothing was stored. `lost` lists them with alternatives."""

    def __init__(self, lost: Sequence[LostSession], starts: Sequence[datetime]) -> None:
        super().__init__(f"{len(lost)} session(s) could not be held")
        self.lost = list(lost)
        self.starts = list(starts)


class SessionRefused(CourseError):
    """A session change the rules do not allow (a finished session, a start still to come, ...)."""


class SessionInvalid(CourseError):
    """The new time breaks a rule; `problems` say which, for staff."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


class SessionConflict(CourseError):
    """No chair is free at the new time: nothing changed. `alternatives` are the nearest free starts."""

    def __init__(self, alternatives: Sequence[ProposedSession]) -> None:
        super().__init__("no chair is free at that time")
        self.alternatives = list(alternatives)


class FieldErrors(CourseError):
    """Input that breaks a rule: `errors` maps form field names to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)
