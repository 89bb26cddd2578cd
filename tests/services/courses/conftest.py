"""Fixtures for the course service tests (the course data and fixtures they share with the page tests are
in tests/fixtures_courses.py).

- `infusion_course`: a six-infusion course at 09:00 from Monday 2027-03-01, booked by a member of staff;
  returns (course id, session ids, staff id).
"""

import pytest

from clinic.extensions import db
from clinic.models import TreatmentCourse
from tests.fixtures_courses import INFUSION_DAYS, local


@pytest.fixture
def infusion_course(app, completed_request, book, make_staff):
    staff_id = make_staff(email="course.nurse@clinic.example", name="Cora Course")
    request_id = completed_request()
    course_id = book(request_id, "infusion", [local(d) for d in INFUSION_DAYS], staff_id)
    with app.app_context():
        ids = [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]
    return course_id, ids, staff_id
