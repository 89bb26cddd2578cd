"""/admin/chairs and /admin/treatments: changes that would break booked sessions are listed and confirmed."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Chair, ChairClaim, KindKey, TreatmentKind, TreatmentSession
from clinic.scheduling.courses import hold_units
from clinic.scheduling.slots import Interval
from tests.conftest import csrf_token_from
from tests.fixtures_courses import INFUSION_DAYS, local


def text(response) -> str:
    return " ".join(BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ").split())


def token(client, path: str) -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def chairs_now(app) -> list[tuple[str, bool]]:
    with app.app_context():
        return [(c.name, c.is_active) for c in db.session.scalars(select(Chair).order_by(Chair.id))]


def test_admins_add_and_rename_chairs(app, admin_client):
    page = admin_client.get("/admin/chairs")
    assert page.status_code == 200
    names = [
        i["value"]
        for i in BeautifulSoup(page.get_data(as_text=True), "html.parser").select("input[name=name]")
    ]
    assert names == ["Chair 1", "Chair 2", ""]
    added = admin_client.post(
        "/admin/chairs",
        data={"csrf_token": token(admin_client, "/admin/chairs"), "name": "Window chair", "active": "y"},
    )
    assert added.status_code == 303
    renamed = admin_client.post(
        "/admin/chairs",
        data={
            "csrf_token": token(admin_client, "/admin/chairs"),
            "chair_id": "2",
            "name": "Chair B",
            "active": "y",
        },
    )
    assert renamed.status_code == 303
    assert chairs_now(app) == [("Chair 1", True), ("Chair B", True), ("Window chair", True)]
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.record_type == "chair").limit(1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "chair 1", "active": "y"}, "Another chair has that name"),
        ({"name": "", "active": "y"}, "Give the chair a name"),
        ({"name": "x" * 61}, "at most 60"),
        ({"chair_id": "999", "name": "Ghost"}, "no longer exists"),
    ],
)
def test_bad_chair_input_is_refused_beside_the_field(app, admin_client, data, message):
    response = admin_client.post(
        "/admin/chairs", data={"csrf_token": token(admin_client, "/admin/chairs"), **data}
    )
    assert response.status_code == 422
    assert message in text(response)
    assert chairs_now(app) == [("Chair 1", True), ("Chair 2", True)]


def test_the_last_chair_in_use_stays_in_use(app, admin_client):
    path = "/admin/chairs"
    admin_client.post(
        path, data={"csrf_token": token(admin_client, path), "chair_id": "2", "name": "Chair 2"}
    )
    refused = admin_client.post(
        path, data={"csrf_token": token(admin_client, path), "chair_id": "1", "name": "Chair 1"}
    )
    assert refused.status_code == 422 and "at least one chair in use" in text(refused)
    assert chairs_now(app) == [("Chair 1", True), ("Chair 2", False)]


def test_taking_a_booked_chair_out_of_use_lists_its_sessions_then_flags_them(
    app, admin_client, completed_request, book
):
    book(completed_request(), "infusion", [local(d) for d in INFUSION_DAYS])
    path = "/admin/chairs"
    ask = admin_client.post(
        path, data={"csrf_token": token(admin_client, path), "chair_id": "1", "name": "Chair 1"}
    )
    assert ask.status_code == 409
    assert "6 booked sessions would no longer fit" in text(ask)
    assert chairs_now(app)[0] == ("Chair 1", True)
    page = BeautifulSoup(ask.get_data(as_text=True), "html.parser")
    confirm = page.select_one("input[name=confirm][value=yes]").find_parent("form")
    data = {
        i["name"]: i.get("value", "") for i in confirm.select("input[name]") if i.get("type") != "checkbox"
    }
    done = admin_client.post(path, data=data)
    assert done.status_code == 303
    assert chairs_now(app)[0] == ("Chair 1", False)
    with app.app_context():
        sessions = db.session.scalars(select(TreatmentSession)).all()
        assert all(s.flagged_at and "Chair 1 was taken out of use" in s.flag_reason for s in sessions)
        assert all(s.chair_id == 1 for s in sessions)  # kept as booked


def test_treatments_page_shows_each_kind_and_guards_the_rems_minimum(app, admin_client):
    page = admin_client.get("/admin/treatments")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("#nasal_spray-monitoring_minutes")["value"] == "120"
    assert soup.select_one("label[for=infusion-dose_minutes]")
    data = {
        "csrf_token": token(admin_client, "/admin/treatments"),
        "kind": "nasal_spray",
        "name": "Esketamine nasal spray",
        "dose_minutes": "15",
        "monitoring_minutes": "90",
        "turnover_minutes": "15",
    }
    refused = admin_client.post("/admin/treatments", data=data)
    assert refused.status_code == 422 and "at least 120 minutes" in text(refused)
    refused_soup = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    assert refused_soup.select_one("#nasal_spray-monitoring_minutes")["value"] == "90"
    garbled = admin_client.post("/admin/treatments", data={**data, "dose_minutes": "lots"})
    assert garbled.status_code == 422
    same = admin_client.post("/admin/treatments", data={**data, "monitoring_minutes": "120"})
    assert same.status_code == 303
    assert "Nothing changed" in text(admin_client.get("/admin/treatments"))


def test_longer_monitoring_applies_where_it_fits_and_flags_the_rest(
    app, admin_client, completed_request, book
):
    fits = book(completed_request(email="a@example.com"), "infusion", [local(d, 9) for d in INFUSION_DAYS])
    # A second course in the same chair right after the first on its first day: 30 more minutes of
    # monitoring would run the first day's session of course one into it.
    book(
        completed_request(email="b@example.com"),
        "infusion",
        [local(INFUSION_DAYS[0], 10, 30), *(local(d, 13) for d in INFUSION_DAYS[1:])],
    )
    with app.app_context():
        db.session.execute(db.update(Chair).where(Chair.id == 2).values(is_active=False))
        db.session.commit()
    data = {
        "csrf_token": token(admin_client, "/admin/treatments"),
        "kind": "infusion",
        "name": "IV ketamine infusion",
        "dose_minutes": "40",
        "monitoring_minutes": "60",
        "turnover_minutes": "15",
    }
    ask = admin_client.post("/admin/treatments", data=data)
    assert ask.status_code == 409 and "1 booked session would no longer fit" in text(ask)
    done = admin_client.post("/admin/treatments", data={**data, "confirm": "yes"})
    assert done.status_code == 303
    with app.app_context():
        kind = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.INFUSION))
        assert kind.monitoring_minutes == 60
        first = db.session.scalars(select(TreatmentSession).where(TreatmentSession.course_id == fits)).all()
        broken, moved = first[0], first[1]
        assert broken.flagged_at and broken.ends_at - broken.starts_at == timedelta(minutes=85)
        assert moved.flagged_at is None and moved.ends_at - moved.starts_at == timedelta(minutes=115)
        assert moved.care_ends_at - moved.starts_at == timedelta(minutes=100)
        claims = sorted(
            db.session.scalars(select(ChairClaim.unit_start).where(ChairClaim.session_id == moved.id))
        )
        assert claims == hold_units(Interval(moved.starts_at, moved.ends_at))
