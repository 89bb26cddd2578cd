"""The crisis rule (services/casework/urgent.py), tested once for both places a patient answers the PHQ-9:
the intake and a check-in. Item 9 above 0: the crisis panel right after submitting, the request urgent and
open (whatever its status before), counted in the queue's urgent count, and the clinic emailed at once."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from clinic.extensions import db
from clinic.models import ConsultationRequest
from clinic.services.casework import checkins, queue
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow
from clinic.triage.enums import Priority, RequestStatus
from clinic.triage.workflow import OPEN_STATUSES, status_after_self_harm
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data

SELF_HARM = {**{f"phq9_{i}": "1" for i in range(1, 9)}, "phq9_9": "1"}


def through_intake(app, client, make_request) -> tuple[int, str]:
    with app.app_context():
        from clinic.services.booking import availability

        slot = availability.nearest_slots(None, now=utcnow(), limit=1)[0].starts_at.isoformat()
    page = client.get(f"/consultation?slot={slot}")
    data = intake_form_data(slot, csrf_token_from(page.get_data(as_text=True)), **SELF_HARM)
    response = client.post("/consultation", data=data)
    assert response.status_code == 303
    with app.app_context():
        request_id = db.session.query(ConsultationRequest.id).one()[0]
    return request_id, response.headers["Location"]


def through_check_in(app, client, make_request) -> tuple[int, str]:
    """A routine patient whose request was closed (completed) answers a check-in."""
    request_id = make_request(status="completed")
    with app.app_context():
        check_in = checkins.send(request_id, actor_id=None, now=utcnow())
        path = f"/check-ins/{checkins.token_for(check_in)}"
    page = client.get(path)
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **SELF_HARM}
    response = client.post(path, data=data)
    assert response.status_code == 303
    return request_id, response.headers["Location"]


@pytest.mark.parametrize("entry", [through_intake, through_check_in], ids=["intake", "check-in"])
def test_item_9_above_0_shows_crisis_help_makes_the_request_urgent_and_open_and_tells_the_clinic(
    app, client, now, make_request, sent, entry
):
    request_id, page = entry(app, client, make_request)
    main = BeautifulSoup(client.get(page).get_data(as_text=True), "html.parser").find("main")
    assert main.find(id="crisis-help") is not None
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        assert consultation.priority == Priority.URGENT and consultation.priority_rank == Priority.URGENT.rank
        assert consultation.status in OPEN_STATUSES
        assert consultation.queue_group == 0  # first within the urgent requests: to contact
        counts = queue.counts(queue.QueueFilters(open_only=True), tz=clinic_info().rules.tz)
        assert counts.urgent_open == 1 and counts.urgent_new == 1
        clinic_email = clinic_info().email
    notices = [m for m in sent if m.to == [clinic_email]]
    assert len(notices) == 1 and "needs prompt review" in notices[0].subject
    assert f"/staff/requests/{request_id}" in notices[0].body


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (RequestStatus.COMPLETED, RequestStatus.NEW),
        (RequestStatus.DECLINED, RequestStatus.NEW),
        (RequestStatus.CANCELLED, RequestStatus.NEW),
        (RequestStatus.NEW, RequestStatus.NEW),
        (RequestStatus.CONTACTED, RequestStatus.CONTACTED),
        (RequestStatus.SCHEDULED, RequestStatus.SCHEDULED),
        (RequestStatus.NO_SHOW, RequestStatus.NO_SHOW),
    ],
)
def test_a_closed_request_opens_again_as_new_and_an_open_one_keeps_its_status(before, after):
    assert status_after_self_harm(before) == after


def test_escalating_moves_the_tallies_and_audits_the_change(app, ctx, add_request):
    from sqlalchemy import select

    from clinic.models import AuditEvent, RequestTally
    from clinic.services import unit_of_work
    from clinic.services.casework import urgent

    request_id = add_request(status="completed", priority="routine", created_at=utcnow() - timedelta(days=30))
    with unit_of_work():
        urgent.escalate(db.session.get(ConsultationRequest, request_id), now=utcnow(), check_in_id=None)
    tallies = {(t.status, t.priority): t.n for t in db.session.scalars(select(RequestTally))}
    assert tallies[(RequestStatus.NEW, Priority.URGENT)] == 1
    assert tallies[(RequestStatus.COMPLETED, Priority.ROUTINE)] == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.urgent")).one()
    assert event.details == {"from": "completed", "to": "new", "priority": "urgent"}
