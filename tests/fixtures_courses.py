"""Fixtures and data for treatment courses: a clock before the 2027 spring DST change, completed requests,
REMS, and the course days the tests book (shared by the service, page, query-count and concurrency tests).

- `course_now`: the app's clock set to Monday 2027-02-22 09:00 in New York (returns that instant).
- `completed_request(**overrides)` -> request id: a request (see `make_request`) whose consultation is
  completed, so it may get a course.
- `enrol(request_id)`: records the patient's REMS enrollment through the service.
- `book(request_id, kind, starts)` -> course id: books through the service at the app's clock.
- `local(day, hour, minute)`: an aware datetime in the clinic's timezone.
- `SPRAY_DAYS`, `INFUSION_DAYS`: a valid esketamine and IV course from `FIRST_MONDAY`; `spray_starts()`.
- `claims_of(session_id)`: the quarter hours a session holds, in order (inside an app context).
- `DRUG_WORDS`: words no patient-facing subject, calendar or email may carry.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ChairClaim
from clinic.services.courses import booking, rems
from clinic.timeutil import utcnow

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 2, 22, 9, 0, tzinfo=NY)  # a Monday, three weeks before the spring change (03-14)
FIRST_MONDAY = date(2027, 3, 1)  # two weeks before the change
SPRAY_DAYS = [
    date(2027, 3, 1),
    date(2027, 3, 3),
    date(2027, 3, 8),
    date(2027, 3, 10),
    date(2027, 3, 15),
    date(2027, 3, 17),
    date(2027, 3, 22),
    date(2027, 3, 24),
    date(2027, 3, 29),
    date(2027, 4, 5),
    date(2027, 4, 12),
    date(2027, 4, 19),
]
INFUSION_DAYS = [date(2027, 3, d) for d in (1, 3, 5, 8, 10, 12)]
DRUG_WORDS = ("ketamine", "esketamine", "spravato", "spray", "infusion", "nasal", "depress")


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def spray_starts(hour: int = 9, minute: int = 0) -> list[datetime]:
    return [local(day, hour, minute) for day in SPRAY_DAYS]


def claims_of(session_id: int) -> list[datetime]:
    return sorted(
        db.session.scalars(select(ChairClaim.unit_start).where(ChairClaim.session_id == session_id))
    )


@pytest.fixture
def course_now(clock) -> datetime:
    return clock.set(NOW)


@pytest.fixture
def completed_request(make_request, course_now):
    def make(**overrides) -> int:
        return make_request(status="completed", **overrides)

    return make


@pytest.fixture
def enrol(app, make_staff):
    staff = {}

    def record(request_id: int, rems_id: str = "RP-1234567") -> None:
        if "id" not in staff:
            staff["id"] = make_staff(email="rems.nurse@clinic.example", name="Rhea Rems")
        with app.app_context():
            rems.record_enrolment(
                request_id, date(2027, 2, 1), rems_id, actor_id=staff["id"], today=date(2027, 2, 22)
            )

    return record


@pytest.fixture
def book(app):
    def make(request_id: int, kind: str, starts: list[datetime], actor_id: int | None = None) -> int:
        with app.app_context():
            return booking.book_course(request_id, kind, starts, actor_id=actor_id, now=utcnow()).id

    return make
