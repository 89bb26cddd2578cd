"""The check-in pages: the patient's /check-ins/<token> (the intake's questions, one answer, 72 hours) and
the staff request page's trajectory (chart and table: baseline, response, remission), in a fixed number of
statements whatever the number of check-ins."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from clinic.extensions import db
from clinic.models import CheckIn
from clinic.services.casework import checkins
from clinic.timeutil import utcnow
from tests.conftest import csrf_token_from, forget_process_caches

ROUTINE = {**{f"phq9_{i}": "1" for i in range(1, 9)}, "phq9_9": "0"}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def radio_names(page: BeautifulSoup) -> list[str]:
    return sorted({i["name"] for i in page.find_all("input", type="radio")})


@pytest.fixture
def link(app, now, make_request):
    """`link(request_id=None)` -> (request id, check-in path), sent now."""

    def make(request_id: int | None = None) -> tuple[int, str]:
        request_id = request_id or make_request()
        with app.app_context():
            check_in = checkins.send(request_id, actor_id=None, now=utcnow())
            return request_id, f"/check-ins/{checkins.token_for(check_in)}"

    return make


def test_the_check_in_asks_the_intakes_questions_in_the_same_words(app, client, link):
    _, path = link()
    check_in = soup(client.get(path))
    intake = soup(client.get("/consultation"))
    names = radio_names(check_in)
    assert names == sorted([f"phq9_{i}" for i in range(1, 10)] + ["phq9_difficulty"])
    ours, theirs = check_in.find(id="phq9-heading").parent, intake.find(id="phq9-heading").parent
    assert ours.get_text(" ", strip=True) == theirs.get_text(" ", strip=True)


def test_a_missing_answer_is_422_with_the_choices_kept(app, client, link):
    _, path = link()
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    data = {**ROUTINE, "csrf_token": token}
    del data["phq9_4"]
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = soup(response)
    assert page.find(id="error-summary-title") is not None
    assert page.find("input", {"name": "phq9_1", "value": "1"}).has_attr("checked")


def test_one_answer_per_link(app, client, link):
    _, path = link()
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    first = client.post(path, data={**ROUTINE, "csrf_token": token})
    assert first.status_code == 303
    page = soup(client.get(path))
    assert page.find(id="check-in-received") is not None and page.find(id="crisis-help") is None
    again = client.post(path, data={**ROUTINE, "phq9_1": "3", "csrf_token": token})
    assert again.status_code == 409
    with app.app_context():
        assert db.session.query(CheckIn.phq9_score).scalar() == 8


def test_an_expired_link_says_so_clearly(app, client, clock, link):
    _, path = link()
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    clock.set(utcnow_of(app) + timedelta(hours=72))
    response = client.get(path)
    assert response.status_code == 410
    assert soup(response).find(id="check-in-expired") is not None
    assert client.post(path, data={**ROUTINE, "csrf_token": token}).status_code == 410


def utcnow_of(app):
    with app.app_context():
        return utcnow()


def test_a_forged_link_is_404(client):
    assert client.get("/check-ins/not-a-token").status_code == 404


def test_staff_send_a_check_in_from_the_request_page(app, staff_client, make_request, sent):
    request_id = make_request()
    page = staff_client.get(f"/staff/requests/{request_id}")
    token = csrf_token_from(page.get_data(as_text=True))
    response = staff_client.post(f"/staff/requests/{request_id}/check-ins", data={"csrf_token": token})
    assert response.status_code == 303
    assert any("/check-ins/" in m.body for m in sent)
    assert "waiting for an answer" in staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True)


def answer_at(app, clock, request_id: int, answers: tuple[int, ...], when) -> None:
    clock.set(when)
    with app.app_context():
        check_in = checkins.send(request_id, actor_id=None, now=when)
        checkins.answer(check_in.id, answers, None, now=when)


@pytest.mark.parametrize(
    ("baseline", "later", "response", "remission"),
    [
        ((3, 3, 3, 3, 3, 3, 3, 3, 3), (2, 2, 2, 2, 2, 2, 1, 0, 0), True, False),  # 27 -> 13: a response
        ((2, 2, 2, 2, 2, 1, 1, 0, 0), (1, 1, 1, 1, 0, 0, 0, 0, 0), True, True),  # 12 -> 4: remission
        ((2, 2, 2, 2, 2, 1, 1, 0, 0), (2, 2, 1, 1, 1, 0, 0, 0, 0), False, False),  # 12 -> 7: neither
    ],
    ids=["27-13-response", "12-4-remission", "12-7-neither"],
)
def test_the_trajectory_shows_baseline_response_and_remission(
    app, clock, now, staff_client, make_request, baseline, later, response, remission
):
    request_id = make_request(phq9=baseline)
    answer_at(app, clock, request_id, later, now + timedelta(days=7))
    page = soup(staff_client.get(f"/staff/requests/{request_id}"))
    section = page.find(id="trajectory")
    words = section.find(id="trajectory-response").get_text(" ", strip=True)
    assert words.startswith("Response since") is response
    assert (
        section.find(id="trajectory-remission").get_text(" ", strip=True).startswith("Remission since")
        is remission
    )
    rows = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in section.find(id="trajectory-table").tbody.find_all("tr")
    ]
    assert rows[0][1:3] == ["Baseline (intake)", str(sum(baseline))]
    assert rows[1][2] == str(sum(later))
    assert rows[1][5:] == ["Yes" if response else "No", "Yes" if remission else "No"]
    svg = section.find("svg")
    kinds = {line["class"][1] for line in svg.find_all("line", class_="chart-line")}
    assert kinds == {"chart-line-baseline", "chart-line-response", "chart-line-remission"}
    assert len(svg.find_all("circle", class_="chart-point")) == 2
    assert f"{sum(baseline) / 2:g} or less" in svg.get_text()


def test_the_queue_row_shows_the_latest_score_and_its_change(app, clock, now, staff_client, make_request):
    request_id = make_request(phq9=(3, 3, 3, 3, 3, 3, 3, 3, 0))  # 24
    answer_at(app, clock, request_id, (1, 1, 1, 1, 1, 1, 1, 1, 0), now + timedelta(hours=1))  # 8
    row = soup(staff_client.get("/staff/")).find("span", class_="latest-score")
    assert row.get_text(strip=True) == "latest 8 (-16)"


def test_the_request_page_and_the_queue_cost_the_same_with_one_check_in_or_eight(
    app, clock, now, staff_client, make_request, queries
):
    request_id = make_request(phq9=(3, 3, 3, 3, 3, 3, 3, 3, 0))
    pages = (f"/staff/requests/{request_id}", "/staff/")

    def count(path: str) -> int:
        forget_process_caches(app)
        with queries() as statements:
            assert staff_client.get(path).status_code == 200
        return len(statements)

    answer_at(app, clock, request_id, (2,) * 8 + (0,), now + timedelta(days=1))
    for path in pages:
        staff_client.get(path)
    one = [count(path) for path in pages]
    for day in range(2, 9):
        answer_at(app, clock, request_id, (1,) * 8 + (0,), now + timedelta(days=day))
    assert [count(path) for path in pages] == one
    assert max(one) <= 17  # the detail (its history read with each visit's count: models.AuditVisit)


def test_staff_see_that_the_self_harm_answer_came_from_a_check_in(
    app, clock, now, staff_client, make_request
):
    request_id = make_request(status="completed")
    answer_at(app, clock, request_id, (1,) * 8 + (2,), now + timedelta(hours=1))
    page = soup(staff_client.get(f"/staff/requests/{request_id}"))
    banner = page.find(class_="notice-crisis").get_text(" ", strip=True)
    assert "at a check-in" in banner and "Not at all" not in banner
    sent = page.find(id="check-ins-sent").get_text(" ", strip=True)
    assert "thoughts of self-harm (item 9): more than half the days" in sent
