"""The waitlist pages (SPEC 13): join and leave from the manage page, the wishes shown back, staff's view of
the line, and the offer page's answers, expired offers refused with a 409."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest, OfferStatus, WaitlistEntry, WaitlistOffer
from clinic.services.booking import links, offers, seats
from clinic.services.jobs import run_all
from tests.conftest import csrf_token_from
from tests.services.helpers import local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def manage_path(app, request_id: int) -> str:
    with app.app_context():
        return "/appointments/" + links.manage_token(db.session.get(ConsultationRequest, request_id))


def join(client, path: str, **fields):
    page = client.get(path)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "earliest": "2026-11-23", **fields}
    return client.post(path + "/waitlist", data=data)


TUESDAY_10 = local(24, 10)


def offered(app, make_request, slot=TUESDAY_10) -> str:
    """Someone else cancels at `slot` and run-jobs runs; returns the open offer's path."""
    other = make_request(slot=slot, email="other@example.com")
    with app.app_context():
        seats.cancel_for_patient(db.session.get(ConsultationRequest, other), now=NOW)
        run_all(now=NOW)
        offer = db.session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.status == OfferStatus.OPEN)
        ).one()
        return "/offers/" + offers.offer_token(offer)


def test_join_from_the_manage_page_and_see_the_wishes(app, client, make_request):
    path = manage_path(app, make_request(slot=local(30, 10)))
    form = soup(client.get(path)).find("form", action=path + "/waitlist")
    assert form is not None and form.find("input", attrs={"name": "earliest", "type": "date"})
    assert {i["value"] for i in form.find_all("input", attrs={"name": "days"})} == {
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
    }
    response = join(client, path, days=["tue", "thu"], part_of_day="morning")
    assert response.status_code == 303 and response.headers["Location"].startswith(path)
    page = soup(client.get(path))
    wishes = page.find(id="waitlist-wishes").get_text(" ", strip=True)
    assert "Monday, November 23, 2026" in wishes
    assert "Tuesday, Thursday" in wishes and "Mornings" in wishes
    assert page.find("form", action=path + "/waitlist/leave")
    with app.app_context():
        entry = db.session.scalars(select(WaitlistEntry)).one()
        assert (entry.days, entry.part_of_day.value, entry.joined_at) == ("tue,thu", "morning", NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"earliest": "23/11/2026"}, "month, day and year"),
        ({"earliest": "2026-02-30"}, "a day that exists"),
        ({"earliest": ""}, "earliest day"),
        ({"earliest": "2026-11-20"}, "today or a later day"),
        ({"earliest": "2026-12-01"}, "on or before the day of your booking"),
        ({"days": ["sun"]}, "only the options shown"),
        ({"part_of_day": "night"}, "one of the options shown"),
    ],
)
def test_bad_wishes_are_refused_beside_the_field(app, client, make_request, fields, message):
    path = manage_path(app, make_request(slot=local(30, 10)))
    response = join(client, path, **fields)
    assert response.status_code == 422
    section = soup(response).find(id="waitlist")
    assert message in section.find(class_="error").get_text()
    with app.app_context():
        assert db.session.scalar(select(WaitlistEntry)) is None


def test_leave_the_waitlist(app, client, make_request):
    path = manage_path(app, make_request(slot=local(30, 10)))
    join(client, path)
    page = client.get(path)
    response = client.post(
        path + "/waitlist/leave", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 303
    assert soup(client.get(path)).find(id="waitlist-wishes") is None
    with app.app_context():
        assert db.session.scalars(select(WaitlistEntry)).one().left_reason == "left"


def test_staff_see_who_waits_in_order(app, client, make_request, staff_client):
    routine = make_request(slot=local(30, 9), email="r@example.com", last_name="Routine")
    urgent = make_request(slot=local(30, 11), email="u@example.com", last_name="Urgentone", urgent=True)
    join(client, manage_path(app, routine))
    join(client, manage_path(app, urgent))
    page = soup(staff_client.get("/staff/waitlist"))
    rows = page.find(id="waitlist-table").find("tbody").find_all("tr")
    assert ["Urgentone" in rows[0].get_text(), "Routine" in rows[1].get_text()] == [True, True]
    detail = soup(staff_client.get(f"/staff/requests/{routine}"))
    assert "2 of 2" in detail.find(id="waitlist").get_text(" ", strip=True)


def test_accept_an_offer_moves_the_booking(app, client, make_request):
    waiting = make_request(slot=local(30, 10))
    path = manage_path(app, waiting)
    join(client, path)
    offer_path = offered(app, make_request)
    page = client.get(offer_path)
    assert page.status_code == 200
    text = soup(page).get_text(" ", strip=True)
    assert "Tuesday, November 24, 2026 at 10:00 AM Eastern Time" in text
    assert "Monday, November 23, 2026 at 8:30 AM Eastern Time" in text
    response = client.post(
        offer_path + "/accept", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 303 and response.headers["Location"] == path
    assert "Tuesday, November 24, 2026 at 10:00 AM" in soup(client.get(path)).get_text(" ", strip=True)
    again = client.post(
        offer_path + "/accept", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert again.status_code == 409
    assert "already accepted" in soup(again).find(id="offer-problem").get_text()


def test_accepting_after_expiry_is_a_409_and_the_seat_goes_to_the_next_in_line(
    app, client, clock, make_request
):
    path = manage_path(app, make_request(slot=local(30, 10)))
    join(client, path)
    second = make_request(slot=local(30, 11), email="second@example.com")
    join(client, manage_path(app, second))
    offer_path = offered(app, make_request)
    page = client.get(offer_path)
    later = clock.set(NOW + timedelta(minutes=31))
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(offer_path + "/accept", data={"csrf_token": token})
    assert response.status_code == 409
    problem = soup(response).find(id="offer-problem").get_text(" ", strip=True)
    assert "this offer has expired" in problem and "8:30 AM Eastern Time" in problem
    assert "Monday, November 30, 2026 at 10:00 AM" in soup(client.get(path)).get_text(" ", strip=True)
    with app.app_context():
        run_all(now=later)
        offer = db.session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.status == OfferStatus.OPEN)
        ).one()
        assert (offer.request_id, offer.starts_at) == (second, TUESDAY_10)


def test_decline_an_offer(app, client, make_request):
    path = manage_path(app, make_request(slot=local(30, 10)))
    join(client, path)
    offer_path = offered(app, make_request)
    page = client.get(offer_path)
    response = client.post(
        offer_path + "/decline", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 303 and response.headers["Location"] == offer_path
    assert "let this time go" in soup(client.get(offer_path)).get_text(" ", strip=True)


def test_a_bad_offer_link_is_a_404(client):
    assert client.get("/offers/not-a-real-token").status_code == 404
