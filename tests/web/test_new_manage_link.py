"""A patient asks for a fresh manage link from the manage page (issue 15, finding 11): the old link stops
working at once, the new one goes only to the patient's email, and the request is audited."""

import re

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest
from clinic.services.booking.links import load_token, manage_token
from tests.conftest import csrf_token_from


def manage_path(app, request_id: int) -> str:
    with app.app_context():
        return "/appointments/" + manage_token(db.session.get(ConsultationRequest, request_id))


def ask(client, path: str):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(f"{path}/new-link", data={"csrf_token": token})


def test_the_manage_page_offers_a_new_link(app, client, make_request):
    path = manage_path(app, make_request())
    html = client.get(path).get_data(as_text=True)
    assert f'action="{path}/new-link"' in html and "Email me a new link" in html


def test_a_new_link_ends_the_old_one_and_is_only_emailed(app, client, make_request):
    sent = app.extensions["mailman"].outbox = []
    request_id = make_request(email="patient.link@example.com")
    old = manage_path(app, request_id)
    response = ask(client, old)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "new link" in html
    assert client.get(old).status_code == 404
    assert client.get(f"{old}/calendar.ics").status_code == 404
    [email] = [m for m in sent if "asked for a new link" in m.body]
    assert email.to == ["patient.link@example.com"]
    assert email.subject == "Your consultation with Northfield Clinic"
    fresh = re.search(r"https?://[^/\s]+(/appointments/[^\s]+)", email.body).group(1)
    assert fresh != old
    assert fresh not in html  # never shown on the page: whoever holds the old link may not be the patient
    assert client.get(fresh).status_code == 200
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "patient.link_renewed")
        ).one()
        assert event.record_id == request_id and event.actor_id is None
        assert load_token(fresh.rsplit("/", 1)[1]).id == request_id
        assert load_token(old.rsplit("/", 1)[1]) is None


def test_a_new_link_can_be_renewed_again(app, client, make_request):
    sent = app.extensions["mailman"].outbox = []
    request_id = make_request(email="twice@example.com")
    ask(client, manage_path(app, request_id))
    second = re.search(r"(/appointments/[^\s]+)", sent[-1].body).group(1)
    assert ask(client, second).status_code == 200
    assert client.get(second).status_code == 404
    assert client.get(manage_path(app, request_id)).status_code == 200


def test_asking_needs_the_csrf_token_and_a_valid_link(app, client, make_request):
    path = manage_path(app, make_request())
    assert client.post(f"{path}/new-link").status_code == 400
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    assert client.post("/appointments/forged/new-link", data={"csrf_token": token}).status_code == 404
    assert client.get(path).status_code == 200  # nothing changed


def test_asking_too_often_is_limited(app, client, make_request):
    request_id = make_request()
    statuses = []
    for _ in range(6):
        statuses.append(ask(client, manage_path(app, request_id)).status_code)
    assert statuses == [200] * 5 + [429]


def test_tokens_of_other_shapes_are_refused(app, make_request):
    from itsdangerous import URLSafeSerializer

    request_id = make_request()
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        signer = URLSafeSerializer(app.config["SECRET_KEY"], salt="clinic.manage-appointment")
        for payload in ([consultation.public_id, True], [consultation.public_id], {"id": 1}, 5):
            assert load_token(signer.dumps(payload)) is None
        assert load_token(signer.dumps([consultation.public_id, 1])).id == request_id
