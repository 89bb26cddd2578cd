"""A request's detail page and what staff do there: workflow, notes, assignment, cancel and reschedule."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, Note, OutboxMessage, SlotClaim, StaffUser
from clinic.services.booking import availability
from clinic.triage.enums import RequestStatus
from clinic.triage.screening import PHQ9_ANSWERS, PHQ9_ITEMS
from tests.conftest import csrf_token_from

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
XSS = "<script>alert(1)</script>"


@pytest.fixture
def nurse_id(app, staff_client):
    with app.app_context():
        return db.session.scalar(select(StaffUser.id).where(StaffUser.email == "nurse@clinic.example"))


def load(app, request_id: int) -> ConsultationRequest:
    with app.app_context():
        consultation = db.session.get(ConsultationRequest, request_id)
        consultation.bookings  # noqa: B018  (load before the context ends)
        consultation.notes_list  # noqa: B018
        db.session.expunge_all()
        return consultation


def events(app, action: str, request_id: int | None = None) -> list[AuditEvent]:
    with app.app_context():
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        if request_id is not None:
            stmt = stmt.where(AuditEvent.record_id == request_id)
        found = list(db.session.scalars(stmt.order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def post(client, request_id: int, action: str, data: dict):
    page = client.get(f"/staff/requests/{request_id}")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"/staff/requests/{request_id}/{action}", data={"csrf_token": token, **data})


def test_detail_shows_the_whole_request(app, staff_client, now, make_request):
    answers = [3, 2, 1, 0, 3, 2, 1, 0, 0]
    request_id = make_request(
        first_name="Ada",
        last_name="Lindgren",
        email="ada.lindgren@example.org",
        phone="+12125550177",
        phq9=answers,
        conditions=("hypertension", "seizures"),
        antidepressant_trials=3,
        modality="infusion",
        medications="Sertraline 50 mg",
        notes="Evenings are best",
    )
    consultation = load(app, request_id)
    response = staff_client.get(f"/staff/requests/{request_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    text = soup.get_text(" ", strip=True)
    for expected in (
        "Ada",
        "Lindgren",
        "ada.lindgren@example.org",
        "(212) 555-0177",
        consultation.reference,
        "Sertraline 50 mg",
        "Evenings are best",
        "Infusion",
        "High blood pressure",
        "Seizures",
        "2+ antidepressants reported",
    ):
        assert expected in text
    assert "+12125550177" not in text  # the phone as people read it, dialled as E.164
    assert {a["href"] for a in soup.select("main a.phone")} == {"tel:+12125550177"}
    assert "treatment-resistant" not in text  # a self-reported count is not a diagnosis
    rows = soup.select("section[aria-labelledby=screening-heading] tbody tr")
    assert len(rows) == 9
    for row, item, value in zip(rows, PHQ9_ITEMS, answers, strict=True):
        cells = [c.get_text(" ", strip=True) for c in row.select("td")]
        assert cells == [item, PHQ9_ANSWERS[value], str(value)]
    assert "score 12 of 27, moderate" in text
    assert "Ticked: high blood pressure" in text  # the review reason
    slot = consultation.appointment_at.astimezone(NY)
    assert slot.strftime("%H:%M") in soup.select_one("section[aria-labelledby=booking-heading]").get_text()


@pytest.mark.parametrize(
    ("answer", "shown"), [(None, "Not answered"), (0, "Not difficult at all"), (2, "Very difficult")]
)
def test_detail_shows_the_unscored_closing_question(app, staff_client, now, make_request, answer, shown):
    request_id = make_request(phq9_difficulty=answer)
    page = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    row = page.find(id="phq9-difficulty")
    assert row.th.get_text(" ", strip=True) == "Difficulty in daily life (not scored)"
    assert row.td.get_text(strip=True) == shown


def test_detail_names_a_label_contraindication_for_the_clinician(app, staff_client, now, make_request):
    request_id = make_request(conditions=("ketamine_allergy",))
    text = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    reasons = text.find("dt", string="Needs clinician review").find_next("dd").get_text(" ", strip=True)
    assert (
        "allergy or bad reaction to ketamine or esketamine (if confirmed, an esketamine contraindication)"
        in reasons
    )


def test_each_view_is_audited_with_ids_only(app, staff_client, now, make_request, nurse_id):
    request_id = make_request()
    staff_client.get(f"/staff/requests/{request_id}")
    staff_client.get(f"/staff/requests/{request_id}")
    views = events(app, "request.view", request_id)
    assert len(views) == 2
    assert all(e.actor_id == nurse_id and e.record_type == "request" and e.details is None for e in views)


@pytest.mark.parametrize(
    ("action", "data", "code"),
    [
        ("status", {"status": "not-a-status"}, 422),
        ("status", {"status": "completed"}, 409),  # not a move the workflow allows from new
        ("notes", {"body": "   "}, 422),
        ("assign", {"staff_id": "999999"}, 422),
    ],
)
def test_a_refused_post_shows_the_page_again_without_logging_a_view(
    app, staff_client, now, make_request, action, data, code
):
    request_id = make_request()
    page = staff_client.get(f"/staff/requests/{request_id}")  # the one view, audited
    token = csrf_token_from(page.get_data(as_text=True))
    response = staff_client.post(f"/staff/requests/{request_id}/{action}", data={"csrf_token": token, **data})
    assert response.status_code == code
    assert "History" in response.get_data(as_text=True)  # the detail page, shown again
    assert len(events(app, "request.view", request_id)) == 1


def test_the_detail_page_reads_the_review_reasons_without_screening_again(
    app, staff_client, now, make_request, monkeypatch
):
    request_id = make_request(phq9_9=1, conditions=("seizures",))

    def screen(*args, **kwargs):
        raise AssertionError("the staff pages re-ran the screening")

    monkeypatch.setattr("clinic.triage.screening.screen", screen)
    text = staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert "Thoughts of self-harm (PHQ-9 item 9): several days" in text
    assert "Ticked: seizures" in text


def test_history_lists_the_requests_events(app, staff_client, now, make_request):
    request_id = make_request()
    post(staff_client, request_id, "status", {"status": "contacted"})
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    history = soup.select_one("section[aria-labelledby=history-heading]").get_text(" ", strip=True)
    assert "Status New → Contacted" in history
    assert "Nora Nurse" in history
    assert "Viewed the request" in history
    assert "Request received" in history


def test_unknown_request_is_404_and_not_audited(app, staff_client, now):
    assert staff_client.get("/staff/requests/999999").status_code == 404
    assert events(app, "request.view") == []


def test_status_form_offers_only_allowed_moves(app, staff_client, now, make_request):
    request_id = make_request()
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    offered = {b["value"] for b in soup.select("#status-form button[name=status]")}
    assert offered == {"contacted", "scheduled", "declined", "cancelled"}


def test_closed_request_offers_no_move(app, staff_client, now, make_request):
    request_id = make_request(status="completed")
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    assert soup.select("#status-form button[name=status]") == []
    assert soup.select(f"form[action='/staff/requests/{request_id}/cancel']") == []
    assert "its booking is kept as a record" in soup.get_text()


def test_legal_move_changes_status_and_is_audited(app, staff_client, now, make_request, nurse_id, clock):
    request_id = make_request()
    response = post(staff_client, request_id, "status", {"status": "contacted"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/requests/{request_id}")
    assert load(app, request_id).status == RequestStatus.CONTACTED
    [event] = events(app, "request.status", request_id)
    assert event.actor_id == nurse_id and event.details == {"from": "new", "to": "contacted"}
    post(staff_client, request_id, "status", {"status": "scheduled"})
    clock.set(load(app, request_id).active_booking.starts_at)  # the appointment has started
    post(staff_client, request_id, "status", {"status": "completed"})
    assert load(app, request_id).status == RequestStatus.COMPLETED


def test_outcomes_are_offered_and_accepted_only_once_the_appointment_has_started(
    app, staff_client, now, make_request, clock
):
    request_id = make_request(status="scheduled")
    starts_at = load(app, request_id).active_booking.starts_at
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    offered = [b["value"] for b in soup.select("#status-form button[name=status]")]
    assert "completed" not in offered and "no_show" not in offered and "contacted" in offered
    assert "offered once the appointment has started" in soup.get_text()
    response = post(staff_client, request_id, "status", {"status": "no_show"})  # a forged form
    assert response.status_code == 409
    assert "The appointment has not happened yet" in response.get_data(as_text=True)
    assert load(app, request_id).status == RequestStatus.SCHEDULED

    clock.set(starts_at)
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    offered = [b["value"] for b in soup.select("#status-form button[name=status]")]
    assert "completed" in offered and "no_show" in offered
    assert post(staff_client, request_id, "status", {"status": "no_show"}).status_code == 303
    assert load(app, request_id).status == RequestStatus.NO_SHOW


def test_illegal_move_is_refused_and_changes_nothing(app, staff_client, now, make_request):
    request_id = make_request()
    response = post(staff_client, request_id, "status", {"status": "completed"})
    assert response.status_code == 409
    assert "A new request cannot become completed." in response.get_data(as_text=True)
    assert load(app, request_id).status == RequestStatus.NEW
    assert events(app, "request.status", request_id) == []


@pytest.mark.parametrize("value", ["", "archived", "NEW"])
def test_unknown_status_value_is_422(app, staff_client, now, make_request, value):
    request_id = make_request()
    response = post(staff_client, request_id, "status", {"status": value})
    assert response.status_code == 422
    assert "Choose one of the statuses offered." in response.get_data(as_text=True)
    assert load(app, request_id).status == RequestStatus.NEW


def test_status_change_needs_csrf(app, staff_client, now, make_request):
    request_id = make_request()
    response = staff_client.post(f"/staff/requests/{request_id}/status", data={"status": "contacted"})
    assert response.status_code == 400
    assert load(app, request_id).status == RequestStatus.NEW


def test_declining_releases_the_slot(app, staff_client, now, make_request):
    request_id = make_request()
    slot = load(app, request_id).appointment_at
    response = post(staff_client, request_id, "status", {"status": "declined", "confirm": "yes"})
    assert response.status_code == 303
    consultation = load(app, request_id)
    assert consultation.status == RequestStatus.DECLINED
    assert consultation.appointment_at is None
    assert all(b.cancelled_at is not None for b in consultation.bookings)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SlotClaim)) == 0
        offered = availability.offered_slot(slot, now=NOW)  # free again
        assert offered.starts_at == slot


def test_note_is_signed_timestamped_and_audited(app, staff_client, now, make_request, nurse_id):
    request_id = make_request()
    response = post(staff_client, request_id, "notes", {"body": "Left a voicemail.\nWill call back at 3."})
    assert response.status_code == 303
    [note] = load(app, request_id).notes_list
    assert note.author_id == nurse_id and note.created_at == NOW
    assert note.body == "Left a voicemail.\nWill call back at 3."
    [event] = events(app, "request.note", request_id)
    assert event.details == {"note_id": note.id}
    soup = BeautifulSoup(
        staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True), "html.parser"
    )
    notes = soup.select_one("#notes").get_text(" ", strip=True)
    assert "Nora Nurse · Wed Nov 18 2026, 10:00" in notes  # clinic time
    assert "Left a voicemail." in notes


@pytest.mark.parametrize(("body", "message"), [("   ", "Write something"), ("x" * 4001, "at most 4000")])
def test_bad_note_is_422_and_kept(app, staff_client, now, make_request, body, message):
    request_id = make_request()
    response = post(staff_client, request_id, "notes", {"body": body})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert load(app, request_id).notes_list == []
    if body.strip():
        assert body in response.get_data(as_text=True)  # what was typed is still there


def test_assign_and_unassign(app, staff_client, now, make_request, make_staff, nurse_id):
    other = make_staff(email="olive@clinic.example", name="Olive Other")
    request_id = make_request()
    assert post(staff_client, request_id, "assign", {"staff_id": str(other)}).status_code == 303
    assert load(app, request_id).assigned_to_id == other
    page = staff_client.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    selected = BeautifulSoup(page, "html.parser").select_one("#assign-form option[selected]")
    assert selected.get_text() == "Olive Other"
    assert post(staff_client, request_id, "assign", {"staff_id": ""}).status_code == 303
    assert load(app, request_id).assigned_to_id is None
    details = [e.details for e in events(app, "request.assign", request_id)]
    assert details == [{"from": None, "to": other}, {"from": other, "to": None}]


def test_assign_to_unknown_or_inactive_staff_is_refused(app, staff_client, now, make_request, make_staff):
    gone = make_staff(email="gone@clinic.example", name="Gone Away")
    with app.app_context():
        db.session.get(StaffUser, gone).is_active = False
        db.session.commit()
    request_id = make_request()
    for value in ("999999", str(gone), "abc"):
        response = post(staff_client, request_id, "assign", {"staff_id": value})
        assert response.status_code == 422
        assert "Choose a member of staff from the list, or nobody." in response.get_data(as_text=True)
    assert load(app, request_id).assigned_to_id is None


def test_cancel_on_the_patients_behalf(app, staff_client, now, make_request, nurse_id):
    request_id = make_request()
    with app.app_context():
        outbox_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    response = post(staff_client, request_id, "cancel", {"confirm": "yes"})
    assert response.status_code == 303
    consultation = load(app, request_id)
    assert consultation.status == RequestStatus.CANCELLED
    [booking] = consultation.bookings
    assert booking.cancelled_by == "staff" and booking.cancelled_by_staff_id == nurse_id
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before + 1
    [event] = events(app, "booking.cancel", request_id)
    assert event.actor_id == nurse_id
    again = post(staff_client, request_id, "cancel", {"confirm": "yes"})
    assert again.status_code == 303  # nothing left to cancel: a message, no error
    follow = staff_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "no booking to cancel" in follow


def test_a_completed_visit_cannot_be_cancelled(app, staff_client, now, make_request):
    request_id = make_request(status="completed")
    response = post(staff_client, request_id, "cancel", {})
    assert response.status_code == 409
    consultation = load(app, request_id)
    assert consultation.status == RequestStatus.COMPLETED
    assert consultation.bookings[0].cancelled_at is None


def test_reschedule_on_the_patients_behalf(app, staff_client, now, make_request, nurse_id):
    request_id = make_request()
    old = load(app, request_id).appointment_at
    page = staff_client.get(f"/staff/requests/{request_id}/reschedule")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    choices = [i["value"] for i in soup.select("input[name=slot]")]
    target = choices[5]
    response = staff_client.post(
        f"/staff/requests/{request_id}/reschedule",
        data={"csrf_token": csrf_token_from(str(soup)), "slot": target},
    )
    assert response.status_code == 303
    consultation = load(app, request_id)
    assert consultation.appointment_at == datetime.fromisoformat(target).astimezone(UTC)
    assert consultation.appointment_at != old
    assert len(consultation.bookings) == 2
    [event] = events(app, "booking.reschedule", request_id)
    assert event.actor_id == nurse_id


def test_reschedule_to_a_taken_slot_is_409(app, staff_client, now, make_request):
    first = make_request()
    second = make_request()
    taken = load(app, second).appointment_at.astimezone(NY).isoformat()
    page = staff_client.get(f"/staff/requests/{first}/reschedule").get_data(as_text=True)
    response = staff_client.post(
        f"/staff/requests/{first}/reschedule", data={"csrf_token": csrf_token_from(page), "slot": taken}
    )
    assert response.status_code == 409
    assert "That time is no longer free" in response.get_data(as_text=True)
    bad = staff_client.post(
        f"/staff/requests/{first}/reschedule",
        data={"csrf_token": csrf_token_from(page), "slot": "next tuesday"},
    )
    assert bad.status_code == 422


def test_detail_makes_a_fixed_number_of_queries(app, staff_client, now, make_request, queries, make_staff):
    request_id = make_request()
    post(staff_client, request_id, "notes", {"body": "first"})
    with queries() as few:
        assert staff_client.get(f"/staff/requests/{request_id}").status_code == 200
    colleague = make_staff(email="colleague@clinic.example", name="Cole League")
    with app.app_context():
        for i in range(15):
            db.session.add(Note(request_id=request_id, author_id=colleague, body=f"note {i}", created_at=NOW))
        db.session.commit()
    post(staff_client, request_id, "status", {"status": "contacted"})
    post(staff_client, request_id, "assign", {"staff_id": str(colleague)})
    with queries() as many:
        assert staff_client.get(f"/staff/requests/{request_id}").status_code == 200
    assert len(few) == len(many)


def test_free_text_is_escaped_on_queue_detail_and_agenda(app, staff_client, now, nurse_id, add_request):
    slot = datetime(2026, 11, 19, 9, 0, tzinfo=NY)
    request_id = add_request(
        created_at=NOW,
        slot=slot,
        first_name=XSS,
        last_name=XSS,
        medications=XSS,
        notes=XSS,
        email="x@example.com",
        flag_reason=XSS,
    )
    post(staff_client, request_id, "notes", {"body": XSS})
    pages = {
        "queue": staff_client.get("/staff/"),
        "detail": staff_client.get(f"/staff/requests/{request_id}"),
        "agenda": staff_client.get("/staff/schedule?date=2026-11-19"),
        "week": staff_client.get("/staff/schedule?date=2026-11-19&view=week"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert XSS not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
    detail = pages["detail"].get_data(as_text=True)
    assert detail.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # names, medications, notes, staff note
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_staff_pages_are_not_cached(app, staff_client, now, make_request):
    request_id = make_request()
    for path in ("/staff/", f"/staff/requests/{request_id}", "/staff/schedule"):
        assert staff_client.get(path).headers["Cache-Control"] == "no-store"


def test_response_target_on_detail(app, staff_client, now, add_request):
    late = add_request(priority="urgent", created_at=NOW - timedelta(hours=6))
    html = staff_client.get(f"/staff/requests/{late}").get_data(as_text=True)
    assert "Overdue: the response target was" in html
