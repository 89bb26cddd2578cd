"""The staff course pages through the test client, CSRF on: plan, book, REMS, the board, session actions."""

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import ChairClaim, SessionStatus, TreatmentCourse, TreatmentSession
from tests.conftest import csrf_token_from
from tests.fixtures_courses import FIRST_MONDAY, INFUSION_DAYS, SPRAY_DAYS, local, spray_starts


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def token(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def text(response) -> str:
    """The page's words, spaced once; ranges written 09:00–09:15 whatever the markup around the times."""
    return re.sub(r"\s*–\s*", "–", " ".join(soup(response).get_text(" ").split()))


def course_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TreatmentCourse))


def form_values(starts) -> list[str]:
    return [s.strftime("%Y-%m-%dT%H:%M") for s in starts]


@pytest.fixture
def spray_request(completed_request, enrol):
    request_id = completed_request(modality="nasal_spray", first_name="Marisol", last_name="Quintero")
    enrol(request_id)
    return request_id


def test_the_planner_proposes_every_session_editable(staff_client, spray_request):
    page = staff_client.get(
        f"/staff/requests/{spray_request}/course/new?kind=nasal_spray&start=2027-03-01&time=09:00"
    )
    assert page.status_code == 200
    inputs = soup(page).select("input[name=session]")
    assert [i["value"] for i in inputs] == form_values(local(d) for d in SPRAY_DAYS)
    assert all(soup(page).select_one(f"label[for={i['id']}]") for i in inputs)
    assert "Book all 12 sessions" in text(page)
    assert "11:15" in text(page)  # discharge not before, after dose and monitoring


def test_without_rems_the_planner_explains_and_offers_the_enrolment_form(staff_client, completed_request):
    request_id = completed_request(modality="nasal_spray")
    page = staff_client.get(f"/staff/requests/{request_id}/course/new?kind=nasal_spray&start=2027-03-01")
    assert page.status_code == 200
    assert "REMS enrollment first" in text(page)
    assert soup(page).select_one(f"form[action='/staff/requests/{request_id}/rems'] input[name=rems_id]")
    assert "Book all" not in text(page)


def test_bad_planner_parameters_say_what_to_fix(staff_client, completed_request):
    request_id = completed_request()
    page = staff_client.get(f"/staff/requests/{request_id}/course/new?start=2027-13-01&time=9am&kind=pills")
    assert page.status_code == 400
    assert "YYYY-MM-DD" in text(page) and "HH:MM" in text(page) and "Choose a treatment" in text(page)
    assert soup(page).select_one("#course-start")["value"] == "2027-13-01"
    assert staff_client.get("/staff/requests/9999/course/new").status_code == 404


def test_booking_the_whole_course_redirects_to_it(app, staff_client, spray_request):
    path = f"/staff/requests/{spray_request}/course/new?kind=nasal_spray&start=2027-03-01"
    response = staff_client.post(
        f"/staff/requests/{spray_request}/course",
        data={
            "csrf_token": token(staff_client, path),
            "kind": "nasal_spray",
            "session": form_values(spray_starts()),
        },
    )
    assert response.status_code == 303
    assert re.fullmatch(r"/staff/courses/\d+", response.headers["Location"])
    page = staff_client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Course booked: 12 sessions" in text(page)
    with app.app_context():
        assert course_count() == 1


def test_esketamine_without_rems_is_refused_with_the_reason(app, staff_client, completed_request):
    request_id = completed_request(modality="nasal_spray")
    response = staff_client.post(
        f"/staff/requests/{request_id}/course",
        data={
            "csrf_token": token(staff_client, f"/staff/requests/{request_id}"),
            "kind": "nasal_spray",
            "session": form_values(spray_starts()),
        },
    )
    assert response.status_code == 422
    assert "REMS enrollment first" in text(response)
    assert [i["value"] for i in soup(response).select("input[name=session]")] == form_values(spray_starts())
    with app.app_context():
        assert course_count() == 0


def test_a_taken_chair_is_a_409_with_the_sessions_lost_and_alternatives(
    app, staff_client, completed_request, book
):
    for i in range(2):
        book(completed_request(email=f"holder{i}@example.com"), "infusion", [local(d) for d in INFUSION_DAYS])
    request_id = completed_request(email="late@example.com")
    starts = [local(d) for d in INFUSION_DAYS]
    response = staff_client.post(
        f"/staff/requests/{request_id}/course",
        data={
            "csrf_token": token(staff_client, f"/staff/requests/{request_id}"),
            "kind": "infusion",
            "session": form_values(starts),
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "Nothing was booked: sessions 1, 2, 3, 4, 5, 6 could not hold a chair" in page
    assert len(soup(response).select("ul.alternatives")) == 6
    with app.app_context():
        assert course_count() == 2


def test_unreadable_times_come_back_with_what_was_typed(app, staff_client, completed_request):
    request_id = completed_request()
    values = form_values(local(d) for d in INFUSION_DAYS)
    values[2] = "next tuesday"
    response = staff_client.post(
        f"/staff/requests/{request_id}/course",
        data={
            "csrf_token": token(staff_client, f"/staff/requests/{request_id}"),
            "kind": "infusion",
            "session": values,
        },
    )
    assert response.status_code == 422
    assert soup(response).select("input[name=session]")[2]["value"] == "next tuesday"
    assert "Give a date and time" in text(response)


def test_rules_broken_are_shown_beside_each_session(staff_client, completed_request):
    request_id = completed_request()
    values = form_values(local(d) for d in INFUSION_DAYS)
    values[1] = "2027-03-07T09:00"  # a Sunday
    response = staff_client.post(
        f"/staff/requests/{request_id}/course",
        data={
            "csrf_token": token(staff_client, f"/staff/requests/{request_id}"),
            "kind": "infusion",
            "session": values,
        },
    )
    assert response.status_code == 422
    assert "closed that day" in text(response)


def test_rems_enrolment_form_keeps_values_and_explains_errors(app, staff_client, completed_request):
    request_id = completed_request()
    path = f"/staff/requests/{request_id}"
    bad = staff_client.post(
        f"{path}/rems",
        data={"csrf_token": token(staff_client, path), "enrolled_on": "2031-01-01", "rems_id": "!"},
    )
    assert bad.status_code == 422
    assert "cannot be in the future" in text(bad) and "REMS ID" in text(bad)
    assert soup(bad).select_one("input[name=enrolled_on]")["value"] == "2031-01-01"
    good = staff_client.post(
        f"{path}/rems",
        data={"csrf_token": token(staff_client, path), "enrolled_on": "2027-02-01", "rems_id": "RP-77"},
    )
    assert good.status_code == 303 and good.headers["Location"].startswith(path)
    assert "RP-77" in text(staff_client.get(path))


@pytest.fixture
def booked_spray(app, spray_request, book):
    course_id = book(spray_request, "nasal_spray", spray_starts())
    with app.app_context():
        return course_id, [s.id for s in db.session.get(TreatmentCourse, course_id).sessions]


def test_the_chair_board_shows_each_session_with_its_phases(staff_client, booked_spray):
    page = staff_client.get("/staff/chairs?date=2027-03-01")
    assert page.status_code == 200
    body = text(page)
    assert "Marisol Quintero" in body and "Esketamine nasal spray, session 1" in body
    assert "Dose 09:00–09:15" in body and "Monitoring 09:15–11:15" in body and "Turnover 11:15–11:30" in body
    assert "Discharge not before 11:15" in body
    assert "Driver not confirmed" in body and "REMS enrolled" in body
    cells = soup(page).select("td.phase")
    assert [c["rowspan"] for c in cells] == ["1", "8", "1"]
    assert [th.get_text(strip=True) for th in soup(page).select("thead th")] == ["Time", "Chair 1", "Chair 2"]
    assert soup(page).select_one("link[href*='/static/css/courses.css?v=']")
    assert staff_client.get("/staff/chairs?date=2027-02-30").status_code == 400
    assert staff_client.get("/staff/chairs").status_code == 200


def test_cancelling_asks_first_then_frees_the_chair(app, staff_client, booked_spray):
    course_id, ids = booked_spray
    path = f"/staff/courses/{course_id}"
    ask = staff_client.post(
        f"/staff/sessions/{ids[1]}/status",
        data={"csrf_token": token(staff_client, path), "status": "cancelled", "back": "course"},
    )
    assert ask.status_code == 200 and "Cancel session 2?" in text(ask)
    with app.app_context():
        assert db.session.get(TreatmentSession, ids[1]).status == SessionStatus.SCHEDULED
    confirm = soup(ask).select_one("form[action$='/status']")
    data = {i["name"]: i.get("value", "") for i in confirm.select("input[name]")}
    done = staff_client.post(f"/staff/sessions/{ids[1]}/status", data=data)
    assert done.status_code == 303 and done.headers["Location"] == path
    with app.app_context():
        assert db.session.get(TreatmentSession, ids[1]).status == SessionStatus.CANCELLED
        assert (
            db.session.scalar(
                select(func.count()).select_from(ChairClaim).where(ChairClaim.session_id == ids[1])
            )
            == 0
        )


def test_an_outcome_before_the_start_is_refused_with_a_message(staff_client, booked_spray):
    course_id, ids = booked_spray
    path = f"/staff/courses/{course_id}"
    response = staff_client.post(
        f"/staff/sessions/{ids[0]}/status",
        data={"csrf_token": token(staff_client, path), "status": "completed"},
    )
    assert response.status_code == 409 and "not started yet" in text(response)
    wrong = staff_client.post(
        f"/staff/sessions/{ids[0]}/status", data={"csrf_token": token(staff_client, path), "status": "gone"}
    )
    assert wrong.status_code == 422


def test_moving_a_session_from_its_course_page(app, staff_client, booked_spray):
    course_id, ids = booked_spray
    path = f"/staff/courses/{course_id}"
    moved = staff_client.post(
        f"/staff/sessions/{ids[0]}/reschedule",
        data={"csrf_token": token(staff_client, path), "start": "2027-03-01T10:00", "back": "board"},
    )
    assert moved.status_code == 303 and moved.headers["Location"] == "/staff/chairs?date=2027-03-01"
    sunday = staff_client.post(
        f"/staff/sessions/{ids[0]}/reschedule",
        data={"csrf_token": token(staff_client, path), "start": "2027-02-28T10:00"},
    )
    assert sunday.status_code == 422 and "closed" in text(sunday)
    assert soup(sunday).select_one(f"#move-{ids[0]}")["value"] == "2027-02-28T10:00"
    garbled = staff_client.post(
        f"/staff/sessions/{ids[0]}/reschedule",
        data={"csrf_token": token(staff_client, path), "start": "soon"},
    )
    assert garbled.status_code == 422


def test_a_move_into_held_chairs_offers_free_times(
    staff_client, booked_spray, completed_request, enrol, book
):
    course_id, ids = booked_spray
    other = completed_request(modality="nasal_spray", email="other@example.com")
    enrol(other)
    book(other, "nasal_spray", spray_starts(11, 30))
    holder = completed_request(email="holder@example.com")  # takes the other chair at 11:30 on the Monday
    book(holder, "infusion", [local(d, 11, 30) if d == FIRST_MONDAY else local(d, 15) for d in INFUSION_DAYS])
    path = f"/staff/courses/{course_id}"
    response = staff_client.post(
        f"/staff/sessions/{ids[0]}/reschedule",
        data={"csrf_token": token(staff_client, path), "start": "2027-03-01T11:30"},
    )
    assert response.status_code == 409
    assert "No chair is free" in text(response)
    assert soup(response).select("form.move-form ul.alternatives li")


def test_staff_confirm_a_driver_and_mark_rems_forms(app, staff_client, booked_spray, clock):
    course_id, ids = booked_spray
    path = f"/staff/courses/{course_id}"
    confirmed = staff_client.post(
        f"/staff/sessions/{ids[2]}/driver", data={"csrf_token": token(staff_client, path), "back": "course"}
    )
    assert confirmed.status_code == 303
    clock.set(local(date(2027, 3, 1), 12))
    done = staff_client.post(
        f"/staff/sessions/{ids[0]}/status",
        data={"csrf_token": token(staff_client, path), "status": "completed"},
    )
    assert done.status_code == 303
    due = staff_client.get("/staff/rems")
    assert due.status_code == 200 and "Marisol Quintero" in text(due) and "Mon Mar 08" in text(due)
    sent = staff_client.post(
        f"/staff/sessions/{ids[0]}/rems-form",
        data={"csrf_token": token(staff_client, "/staff/rems"), "back": "rems"},
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/staff/rems"
    assert "No REMS form is due" in text(staff_client.get("/staff/rems"))
    again = staff_client.post(
        f"/staff/sessions/{ids[0]}/rems-form", data={"csrf_token": token(staff_client, "/staff/rems")}
    )
    assert again.status_code == 303
    assert (
        staff_client.post(
            "/staff/sessions/999/driver", data={"csrf_token": token(staff_client, path)}
        ).status_code
        == 404
    )


def test_the_request_page_links_the_course_and_plans_one(
    staff_client, booked_spray, spray_request, completed_request
):
    page = staff_client.get(f"/staff/requests/{spray_request}")
    assert page.status_code == 200
    card = soup(page).select_one("section#course")
    assert card.select_one("a[href^='/staff/courses/']")
    other = completed_request(email="x@example.com")
    plan = soup(staff_client.get(f"/staff/requests/{other}")).select_one("section#course form[method=get]")
    assert plan["action"] == f"/staff/requests/{other}/course/new"
    nav = soup(page).select_one("nav[aria-label=Main]")
    assert nav.select_one("a[href='/staff/chairs']") and nav.select_one("a[href='/staff/rems']")
