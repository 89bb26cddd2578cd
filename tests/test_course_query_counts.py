"""Every course page sends a fixed number of SQL statements whatever the data size (like
tests/test_query_counts.py): counted with little data, then again with more courses, sessions and chairs'
holds, the counts must be equal and under a ceiling."""

import pytest
from sqlalchemy import select, update

from clinic.extensions import db
from clinic.models import CourseStatus, SessionStatus, TreatmentCourse, TreatmentSession
from tests.conftest import forget_process_caches
from tests.fixtures_courses import INFUSION_DAYS, SPRAY_DAYS, local

CEILING = 18  # the request page with a course (its history read with its visits in one statement)
TIMES = [(8, 0), (10, 30), (13, 0)]  # three sprays a day fit in each of the two chairs


def count(client, queries, path: str) -> int:
    forget_process_caches(client.application)
    with queries() as statements:
        response = client.get(path)
        response.get_data()
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return len(statements)


@pytest.fixture
def grow(app, completed_request, enrol, book):
    """`grow(n)`: n esketamine courses on the same days (two chairs, three times a day), each patient
    enrolled, the first two sessions of each completed (REMS forms due). Returns the course ids."""
    made: list[int] = []

    def to(n: int) -> list[int]:
        for i in range(len(made), n):
            request_id = completed_request(modality="nasal_spray", email=f"grow{i}@example.com")
            enrol(request_id)
            hour, minute = TIMES[(i // 2) % len(TIMES)]
            made.append(book(request_id, "nasal_spray", [local(d, hour, minute) for d in SPRAY_DAYS]))
        with app.app_context():
            db.session.execute(
                update(TreatmentSession)
                .where(TreatmentSession.number <= 2)
                .values(status=SessionStatus.COMPLETED)
            )
            db.session.commit()
        return list(made)

    return to


def assert_flat(client, queries, grow, path_for) -> None:
    ids = grow(1)
    client.get(path_for(ids))
    small = count(client, queries, path_for(ids))
    ids = grow(6)
    large = count(client, queries, path_for(ids))
    assert small == large, f"{path_for(ids)}: {small} statements with 1 course, {large} with 6"
    assert large <= CEILING, f"{path_for(ids)}: {large} statements"


@pytest.mark.parametrize("path", ["/admin/chairs", "/admin/treatments"])
def test_admin_course_pages_make_a_fixed_number_of_queries(admin_client, queries, grow, path):
    assert_flat(admin_client, queries, grow, lambda ids: path)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/chairs?date=2027-03-01",
        "/staff/chairs?date=2027-03-03",
        "/staff/rems",
    ],
)
def test_board_and_rems_pages_make_a_fixed_number_of_queries(staff_client, queries, grow, path):
    assert_flat(staff_client, queries, grow, lambda ids: path)


def test_the_planner_costs_the_same_however_many_holds(app, staff_client, queries, grow, completed_request):
    request_id = completed_request(email="planner@example.com")
    path = f"/staff/requests/{request_id}/course/new?kind=infusion&start=2027-03-01&time=09:00"
    assert_flat(staff_client, queries, grow, lambda ids: path)


def test_a_course_page_costs_the_same_with_six_sessions_or_twelve(
    app, staff_client, queries, grow, book, completed_request
):
    infusion = book(
        completed_request(email="six@example.com"), "infusion", [local(d, 16) for d in INFUSION_DAYS]
    )
    staff_client.get(f"/staff/courses/{infusion}")
    six = count(staff_client, queries, f"/staff/courses/{infusion}")
    spray = grow(1)[0]
    twelve = count(staff_client, queries, f"/staff/courses/{spray}")
    assert six == twelve <= CEILING


def test_the_request_page_costs_the_same_with_one_course_or_three(
    app, staff_client, queries, book, completed_request
):
    request_id = completed_request(email="many@example.com")
    book(request_id, "infusion", [local(d) for d in INFUSION_DAYS])
    path = f"/staff/requests/{request_id}"
    staff_client.get(path)
    one = count(staff_client, queries, path)
    for hour in (13, 15):
        with app.app_context():
            db.session.execute(update(TreatmentCourse).values(status=CourseStatus.COMPLETED))
            db.session.commit()
        book(request_id, "infusion", [local(d, hour) for d in INFUSION_DAYS])
    three = count(staff_client, queries, path)
    assert one == three <= CEILING
    with app.app_context():
        assert len(db.session.scalars(select(TreatmentCourse)).all()) == 3


def test_the_patients_course_page_costs_the_same_with_six_appointments_or_twelve(
    app, client, queries, grow, book, completed_request
):
    from clinic.services.courses import links

    infusion = book(
        completed_request(email="six@example.com"), "infusion", [local(d, 16) for d in INFUSION_DAYS]
    )
    spray = grow(3)[0]
    with app.app_context():
        paths = [
            f"/courses/{links.course_token(db.session.get(TreatmentCourse, course_id))}"
            for course_id in (infusion, spray)
        ]
    client.get(paths[0])
    six, twelve = (count(client, queries, path) for path in paths)
    assert six == twelve <= CEILING
    assert count(client, queries, paths[1] + "/calendar.ics") == twelve
