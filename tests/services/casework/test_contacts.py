"""clinic.services.casework.contacts: a contact logged with all it carries in one transaction, and the
day's call list."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest, ContactAttempt
from clinic.services.casework import cases, contacts
from clinic.triage.enums import ContactOutcome, Priority, RequestStatus
from clinic.triage.workflow import FollowUpError, WorkflowError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
TODAY = date(2026, 11, 23)
pytestmark = pytest.mark.usefixtures("now")


class InjectedFailure(RuntimeError):
    """Stands for anything going wrong at the last step of the use case."""


def log(request_id: int, actor_id: int, outcome=ContactOutcome.REACHED, **kwargs):
    return contacts.log_contact(request_id, outcome, actor_id=actor_id, now=NOW, today=TODAY, **kwargs)


def snapshot(request_id: int) -> tuple:
    db.session.remove()
    request = db.session.get(ConsultationRequest, request_id)
    found = (
        request.status,
        request.assigned_to_id,
        request.follow_up_on,
        db.session.scalar(select(func.count()).select_from(ContactAttempt)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    db.session.remove()
    return found


def test_a_contact_carries_a_move_a_follow_up_and_the_assignment(app, make_request, make_staff):
    nurse = make_staff()
    request_id = make_request()
    with app.app_context():
        logged = log(
            request_id,
            nurse,
            note="  Reached; booked a call back.  ",
            status=RequestStatus.CONTACTED,
            follow_up_on=TODAY + timedelta(days=2),
            assign_to_me=True,
        )
        assert (logged.assigned, logged.moved_to, logged.follow_up_on) == (
            True,
            RequestStatus.CONTACTED,
            TODAY + timedelta(days=2),
        )
        db.session.remove()
        request = db.session.get(ConsultationRequest, request_id)
        assert (request.status, request.assigned_to_id, request.follow_up_on) == (
            RequestStatus.CONTACTED,
            nurse,
            TODAY + timedelta(days=2),
        )
        [contact] = contacts.for_request(request_id)
        assert (contact.outcome, contact.note, contact.author.id, contact.created_at) == (
            ContactOutcome.REACHED,
            "Reached; booked a call back.",
            nurse,
            NOW,
        )
        stored = db.session.scalar(select(sa.type_coerce(ContactAttempt.note, sa.Text)))
        assert "booked" not in stored and ":" in stored  # sealed at rest, like the staff notes
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.details, AuditEvent.actor_id)
            .where(AuditEvent.action != "request.create")
            .order_by(AuditEvent.id)
        ).all()
        assert events == [
            ("request.contact", {"contact_id": contact.id}, nurse),
            ("request.assign", {"from": None, "to": nurse}, nurse),
            ("request.status", {"from": "new", "to": "contacted"}, nurse),
        ]


def test_a_failure_at_the_last_step_keeps_nothing(app, make_request, make_staff, monkeypatch):
    nurse = make_staff()
    request_id = make_request()
    real_record = contacts.record

    def record(action, **kwargs):
        if action == "request.status":
            db.session.flush()
            raise InjectedFailure(action)
        return real_record(action, **kwargs)

    monkeypatch.setattr(contacts, "record", record)
    with app.app_context():
        before = snapshot(request_id)
        with pytest.raises(InjectedFailure):
            log(
                request_id,
                nurse,
                note="x",
                status=RequestStatus.CONTACTED,
                assign_to_me=True,
                follow_up_on=TODAY,
            )
        assert snapshot(request_id) == before


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"status": RequestStatus.DECLINED}, WorkflowError, "asks first"),
        ({"status": RequestStatus.CANCELLED}, WorkflowError, "asks first"),
        ({"status": RequestStatus.COMPLETED}, WorkflowError, "cannot become completed"),
        ({"follow_up_on": TODAY - timedelta(days=1)}, FollowUpError, "has passed"),
        ({"follow_up_on": TODAY + timedelta(days=400)}, FollowUpError, "within a year"),
        ({"note": "x" * 4001}, contacts.ContactError, "4000"),
    ],
)
def test_a_refused_contact_keeps_nothing(app, make_request, make_staff, kwargs, error, message):
    nurse = make_staff()
    request_id = make_request()
    with app.app_context():
        before = snapshot(request_id)
        with pytest.raises(error, match=message):
            log(request_id, nurse, assign_to_me=True, **kwargs)
        assert snapshot(request_id) == before


def test_a_status_already_reached_is_no_move_and_the_contact_is_kept(app, make_request, make_staff):
    nurse = make_staff()
    request_id = make_request()
    with app.app_context():
        cases.change_status(request_id, RequestStatus.CONTACTED, actor_id=nurse, now=NOW)
        logged = log(request_id, nurse, ContactOutcome.VOICEMAIL, status=RequestStatus.CONTACTED)
        assert logged.moved_to is None
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "request.status")) == 1
        assert len(contacts.for_request(request_id)) == 1


def test_a_closing_move_takes_no_follow_up(app, add_request, make_staff):
    nurse = make_staff()
    request_id = add_request(slot=NOW - timedelta(hours=1))  # the appointment has happened
    with app.app_context():
        db.session.get(ConsultationRequest, request_id).status = RequestStatus.SCHEDULED
        db.session.commit()
        with pytest.raises(FollowUpError, match="completed request needs no follow-up"):
            log(request_id, nurse, status=RequestStatus.COMPLETED, follow_up_on=TODAY)


def test_a_contact_cannot_mark_completed_before_the_appointment(app, add_request, make_staff):
    nurse = make_staff()
    request_id = add_request(slot=NOW + timedelta(days=1))
    with app.app_context():
        db.session.get(ConsultationRequest, request_id).status = RequestStatus.SCHEDULED
        db.session.commit()
        before = snapshot(request_id)
        with pytest.raises(WorkflowError, match="has not happened yet"):
            log(request_id, nurse, status=RequestStatus.COMPLETED)
        assert snapshot(request_id) == before


def test_each_contact_replaces_the_follow_up(app, make_request, make_staff):
    nurse = make_staff()
    request_id = make_request()
    with app.app_context():
        log(request_id, nurse, ContactOutcome.NO_ANSWER, follow_up_on=TODAY + timedelta(days=1))
        assert db.session.get(ConsultationRequest, request_id).follow_up_on == TODAY + timedelta(days=1)
        log(request_id, nurse, ContactOutcome.REACHED)
        db.session.remove()
        assert db.session.get(ConsultationRequest, request_id).follow_up_on is None


def test_an_unknown_request_is_not_found(app, make_staff):
    nurse = make_staff()
    with app.app_context(), pytest.raises(cases.RequestNotFound):
        log(999_999, nurse)


def test_the_call_list_of_a_day(app, add_request, make_staff):
    nurse = make_staff(name="Nora Nurse")
    tomorrow = TODAY + timedelta(days=1)
    day_slot = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York, tomorrow
    new_routine = add_request(created_at=NOW - timedelta(hours=5))
    new_urgent = add_request(created_at=NOW - timedelta(hours=1), priority=Priority.URGENT, phq9=(2,) * 9)
    follow_up = add_request(created_at=NOW - timedelta(days=3), status="contacted", follow_up_on=tomorrow)
    overdue = add_request(created_at=NOW - timedelta(days=3), status="contacted", follow_up_on=TODAY)
    consultation = add_request(created_at=NOW - timedelta(days=3), status="scheduled", slot=day_slot)
    add_request(
        created_at=NOW - timedelta(days=3), status="contacted", follow_up_on=tomorrow + timedelta(days=1)
    )
    add_request(created_at=NOW - timedelta(days=3), status="completed", follow_up_on=TODAY)
    add_request(created_at=NOW - timedelta(days=3), status="contacted")
    with app.app_context():
        log(follow_up, nurse, ContactOutcome.VOICEMAIL, follow_up_on=tomorrow)
        log(follow_up, nurse, ContactOutcome.NO_ANSWER, note="not printed", follow_up_on=tomorrow)
        listed = contacts.call_list(tomorrow, tz=NY)
        assert [row.request.id for row in listed.rows] == [
            new_urgent,
            new_routine,
            consultation,
            follow_up,
            overdue,
        ]
        why = {
            row.request.id: (row.first_contact, row.follow_up_due, row.slot_that_day) for row in listed.rows
        }
        assert why[new_routine] == (True, False, False)
        assert why[follow_up] == (False, True, False)
        assert why[overdue] == (False, True, False)
        assert why[consultation] == (False, False, True)
        last = {row.request.id: row.last for row in listed.rows}
        assert last[new_routine] is None
        assert (last[follow_up].contact.outcome, last[follow_up].attempts) == (ContactOutcome.NO_ANSWER, 2)
        assert last[follow_up].contact.author.name == "Nora Nurse"
        assert not listed.truncated
        # today: tomorrow's follow-up and consultation are not due yet
        assert [row.request.id for row in contacts.call_list(TODAY, tz=NY).rows] == [
            new_urgent,
            new_routine,
            overdue,
        ]


def test_a_long_call_list_is_cut(app, add_request, monkeypatch):
    monkeypatch.setattr(contacts, "CALL_LIST_MAX", 2)
    for _ in range(3):
        add_request(created_at=NOW)
    with app.app_context():
        listed = contacts.call_list(TODAY, tz=NY)
        assert len(listed.rows) == 2 and listed.truncated


def test_contacts_logged_at_once_move_the_request_once(
    database_url, make_request, make_staff, app, monkeypatch
):
    """Eight nurses log "reached, move to contacted" at the same moment: eight contacts, one move. Each waits
    between reading the status and writing, so that without the row lock every one would see `new`."""
    import time

    from clinic import create_app
    from tests.test_concurrency import run_threads

    real_move = contacts.contact_move

    def slow_move(current, target):
        time.sleep(0.2)
        return real_move(current, target)

    monkeypatch.setattr(contacts, "contact_move", slow_move)
    nurse = make_staff()
    request_id = make_request()
    shared = create_app(
        {**app.config, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 0, "pool_timeout": 60}}
    )

    def attempt(i, barrier):
        with shared.app_context():
            barrier.wait()
            try:
                logged = log(request_id, nurse, status=RequestStatus.CONTACTED)
            except WorkflowError:
                return "refused"
            return "moved" if logged.moved_to else "logged"

    try:
        results = run_threads(8, attempt)
    finally:
        with shared.app_context():
            db.engine.dispose()
    assert sorted(results) == ["logged"] * 7 + ["moved"], results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContactAttempt)) == 8
        moves = db.session.scalar(select(func.count()).where(AuditEvent.action == "request.status"))
        assert moves == 1
