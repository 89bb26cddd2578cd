"""Fixtures for treatment courses: a clock before the 2027 spring DST change, completed requests, REMS.

- `course_now`: the app's clock set to Monday 2027-02-22 09:00 in New York (returns that instant).
- `completed_request(**overrides)` -> request id: a request (see `make_request`) whose consultation is
  completed, so it may get a course.
- `enrol(request_id)`: records the patient's REMS enrollment through the service.
- `local(day, hour, minute)`: an aware datetime in the clinic's timezone.
- `book(request_id, kind, starts)` -> course id: books through the service at the app's clock.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from clinic.services.courses import booking, rems
from clinic.timeutil import utcnow

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 2, 22, 9, 0, tzinfo=NY)  # a Monday, three weeks before the spring change (03-14)
FIRST_MONDAY = date(2027, 3, 1)  # two weeks before the change


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


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
