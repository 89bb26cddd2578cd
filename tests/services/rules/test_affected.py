"""clinic.services.rules.affected (and the flags of changes.py): whose bookings an admin change affects,
telling those patients, resolving flags, and flags that clear by themselves."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ConsultationRequest, OutboxMessage
from clinic.scheduling import DayHours
from clinic.services.booking.links import load_token
from clinic.services.rules import affected, closures, hours
from clinic.services.rules.changes import ConfirmationNeeded
from clinic.triage.enums import Priority
from tests.services.helpers import at, booking_flag

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}
SHORT_MONDAY = WEEK | {0: DayHours(time(8), time(12))}


@pytest.fixture
def booked(app, add_request):
    """`booked(hour, priority)` -> (request id, booking id) of an active booking on Monday at `hour`."""

    def book(hour: int, priority: str = "routine", **fields) -> tuple[int, int]:
        phq9 = (1, 1, 1, 1, 1, 1, 1, 1, 1 if priority == "urgent" else 0)
        request_id = add_request(slot=at(MONDAY, hour), priority=priority, phq9=phq9, **fields)
        with app.app_context():
            return request_id, db.session.scalar(select(Booking.id).where(Booking.request_id == request_id))

    return book


def test_the_question_names_the_patients_urgent_first(app, make_staff, booked):
    admin = make_staff(role="admin")
    _, routine = booked(13, first_name="Rory", last_name="Routine", phone="+12125550131")
    _, urgent = booked(15, "urgent", first_name="Una", last_name="Urgent", phone="+12125550140")
    booked(9)  # inside the new hours: not affected
    with app.test_request_context(), pytest.raises(ConfirmationNeeded) as asked:
        hours.update_hours(SHORT_MONDAY, actor_id=admin, now=NOW, confirmed=False)
    listed = asked.value.affected
    assert [b.booking_id for b in listed] == [urgent, routine]  # urgent first, although later in the day
    assert (listed[0].name, listed[0].phone, listed[0].priority) == (
        "Una Urgent",
        "+12125550140",
        Priority.URGENT,
    )
    assert listed[1].name == "Rory Routine" and listed[1].priority == Priority.ROUTINE


def test_flags_clear_by_themselves_when_the_hours_cover_the_booking_again(app, make_staff, booked):
    admin = make_staff(role="admin")
    request_id, late = booked(15)
    with app.test_request_context():
        assert hours.update_hours(SHORT_MONDAY, actor_id=admin, now=NOW, confirmed=True) == [late]
    assert booking_flag(app, late)[0] == NOW
    with app.test_request_context():
        assert hours.update_hours(WEEK, actor_id=admin, now=NOW + timedelta(hours=1), confirmed=True) == []
    assert booking_flag(app, late) == (None, None)
    with app.app_context():
        change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.hours")).all()[-1]
        assert change.details["cleared_flags"] == [late]
        cleared = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.flag_cleared")
        ).one()
        assert (cleared.record_type, cleared.record_id, cleared.actor_id) == ("request", request_id, admin)
        assert cleared.details == {"booking_id": late, "by": "admin.hours"}


def test_a_flag_still_outside_the_rules_stays(app, make_staff, booked):
    admin = make_staff(role="admin")
    _, late = booked(15)
    with app.test_request_context():
        hours.update_hours(SHORT_MONDAY, actor_id=admin, now=NOW, confirmed=True)
        # a wider Monday that still closes before 15:00 leaves it flagged
        hours.update_hours(WEEK | {0: DayHours(time(8), time(14))}, actor_id=admin, now=NOW, confirmed=True)
    assert booking_flag(app, late)[0] == NOW


def test_the_list_names_whose_bookings_are_flagged_urgent_first(app, make_staff, booked):
    admin = make_staff(role="admin")
    booked(14, first_name="Rory", last_name="Routine")
    booked(16, "urgent", first_name="Una", last_name="Urgent")
    booked(10)  # not flagged
    with app.test_request_context():
        hours.update_hours(SHORT_MONDAY, actor_id=admin, now=NOW, confirmed=True)
        listed = affected.flagged_bookings(now=NOW)
        assert [b.name for b in listed] == ["Una Urgent", "Rory Routine"]
        assert all(b.flag_reason.startswith("Outside opening hours") for b in listed)
        assert all(b.resolved_at is None and b.notified_at is None for b in listed)
        assert affected.flagged_bookings(now=at(MONDAY, 17)) == []  # past bookings are not listed


def test_emailing_the_patients_sends_a_neutral_note_with_a_working_manage_link(app, make_staff, booked, sent):
    admin = make_staff(role="admin")
    request_id, late = booked(15, first_name="Una", email="una@example.com")
    with app.test_request_context():
        closures.add_closure(
            closures.ClosureInput(MONDAY, MONDAY, "Burst pipe in the waiting room"),
            actor_id=admin,
            now=NOW,
            confirmed=True,
        )
        assert affected.email_patients([late], actor_id=admin, now=NOW) == 1
    [email] = sent
    assert email.to == ["una@example.com"]
    assert email.subject == "Your consultation with Northfield Clinic"
    assert "choose a new time" in email.body and "Monday, November 23, 2026 at 3:00 PM" in email.body
    assert "Burst pipe" not in email.body  # neutral: no reason given
    link = re.search(r"http://\S+/appointments/(\S+)", email.body)
    assert link, email.body
    with app.app_context():
        assert load_token(link.group(1), now=NOW).id == request_id
        booking = db.session.get(Booking, late)
        assert booking.flag_notified_at == NOW and booking.flagged_at is not None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.new_time_requested")
        ).one()
        message_id = db.session.scalar(select(OutboxMessage.id))
        assert (event.actor_id, event.record_type, event.record_id) == (admin, "request", request_id)
        assert event.details == {"booking_id": late, "message_id": message_id}  # ids only


def test_only_flagged_active_bookings_are_emailed(app, make_staff, booked, sent):
    admin = make_staff(role="admin")
    _, fine = booked(10)
    with app.test_request_context():
        assert affected.email_patients([fine, 999_999], actor_id=admin, now=NOW) == 0
    assert sent == []


def test_staff_mark_a_flag_resolved_once(app, make_staff, booked):
    admin = make_staff(role="admin")
    nurse = make_staff()
    request_id, late = booked(15)
    with app.test_request_context():
        hours.update_hours(SHORT_MONDAY, actor_id=admin, now=NOW, confirmed=True)
        affected.resolve(request_id, actor_id=nurse, now=NOW)
        with pytest.raises(affected.FlagNotFound):
            affected.resolve(request_id, actor_id=nurse, now=NOW)
        [listed] = affected.flagged_bookings(now=NOW)
        assert listed.resolved_at == NOW
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking.flag_resolved")
        ).one()
        assert (event.actor_id, event.record_id, event.details) == (nurse, request_id, {"booking_id": late})
        # a resolved flag is known to staff: a later change does not list it again
        hours.update_hours(
            WEEK | {0: DayHours(time(8), time(12, 30))}, actor_id=admin, now=NOW, confirmed=True
        )
        assert db.session.get(Booking, late).flag_resolved_at == NOW
        assert db.session.get(ConsultationRequest, request_id).active_booking.id == late
