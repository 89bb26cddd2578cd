"""clinic.services.audit.log: the audit log read back, and every event told in one wording."""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
from clinic.services.audit import log

NY = ZoneInfo("America/New_York")


def test_audit_summary_shows_changes_only():
    details = {
        "before": {"mon": "08:00-17:30", "tue": "08:00-17:30"},
        "after": {"mon": "09:00-12:00", "tue": "08:00-17:30"},
        "flagged_bookings": [4, 7],
    }
    assert log.summarize(details) == "mon: 08:00-17:30 → 09:00-12:00; flagged bookings: 4, 7"
    assert log.summarize({"before": {"reason": "Holiday"}}) == "was reason: Holiday"
    assert log.summarize(None) == ""
    assert len(log.summarize({"note": "x" * 1000})) == log.SUMMARY_LIMIT


def event(action: str, *, actor: StaffUser | None = None, details: dict | None = None) -> AuditEvent:
    return AuditEvent(action=action, actor=actor, actor_id=actor.id if actor else None, details=details)


def test_one_wording_of_actors_for_the_admin_log_and_a_requests_history():
    nurse = StaffUser(id=3, email="nurse@clinic.example", name="Nora Nurse")
    assert log.actor_label(event("request.view", actor=nurse)) == "nurse@clinic.example"
    assert log.actor_label(event("request.view", actor=nurse), by_name=True) == "Nora Nurse"
    for action in ("request.create", "booking.cancel", "booking.reschedule", "appointment.cancel"):
        assert log.actor_label(event(action)) == log.PATIENT == "patient"
    assert log.actor_label(event("admin.settings", details={"by": "patient"})) == "patient"
    for action in ("course.session_cancelled", "course.driver_confirmed"):
        assert log.actor_label(event(action)) == "patient"
    for action in ("admin.settings", "auth.login_failed", "auth.lockout"):
        assert log.actor_label(event(action)) == log.SYSTEM == "system"


def test_events_in_plain_words():
    names = {5: "Sam Rivera"}
    assert log.event_text(
        event("request.status", details={"from": "new", "to": "contacted"}), names=names
    ) == ("Status New → Contacted")
    assert log.event_text(event("request.status", details={"from": "??"}), names=names) == "Status ? → ?"
    assert log.event_text(event("request.assign", details={"to": 5}), names=names) == "Assigned to Sam Rivera"
    assert log.event_text(event("request.assign", details={"to": 9}), names=names) == (
        "Assigned to a former staff member"
    )
    assert log.event_text(event("request.assign", details={"to": None}), names=names) == "Unassigned"
    assert log.event_text(event("booking.cancel"), names=names) == "Cancelled the booking"
    assert log.event_text(event("admin.closure_add"), names=names) == "Added a closure"
    assert log.event_text(event("somebody.did_something"), names=names) == "Somebody did something"


def test_request_links_only_for_request_records():
    assert log.request_link_id(AuditEvent(action="x", record_type="request", record_id=4)) == 4
    assert log.request_link_id(AuditEvent(action="x", record_type="closure", record_id=4)) is None
    assert log.request_link_id(AuditEvent(action="x", record_type="request", record_id=None)) is None


def test_events_page_filters_by_actor_action_and_dates(ctx, make_staff):
    nurse = make_staff(email="nurse@clinic.example")
    db.session.add_all(
        [
            AuditEvent(action="request.view", actor_id=nurse, at=datetime(2026, 11, 20, 15, tzinfo=UTC)),
            AuditEvent(action="admin.settings", actor_id=None, at=datetime(2026, 11, 21, 15, tzinfo=UTC)),
            AuditEvent(action="admin.hours", actor_id=None, at=datetime(2026, 11, 22, 15, tzinfo=UTC)),
        ]
    )
    db.session.commit()

    def actions(**filters) -> list[str]:
        page = log.events_page(log.AuditFilters(**filters), page=1, tz=NY)
        return [e.action for e in page.items]

    assert actions() == ["admin.hours", "admin.settings", "request.view"]  # newest first
    assert actions(actor=str(nurse)) == actions(actor="NURSE@clinic.example") == ["request.view"]
    assert actions(actor="system") == ["admin.hours", "admin.settings"]
    assert actions(action="admin.") == ["admin.hours", "admin.settings"]
    assert actions(action="admin_") == []  # the prefix is taken literally
    assert actions(from_date=date(2026, 11, 21), to_date=date(2026, 11, 21)) == ["admin.settings"]


def test_waitlist_events_name_the_patient_or_the_system():
    for action in ("waitlist.join", "waitlist.leave", "waitlist.offer_accept", "waitlist.offer_decline"):
        assert log.actor_label(event(action)) == log.PATIENT
    for action in ("waitlist.offer", "waitlist.offer_expire", "waitlist.offer_withdraw"):
        assert log.actor_label(event(action)) == log.SYSTEM
    assert (
        log.event_text(event("waitlist.offer_expire"), names={})
        == "The earlier time offered lapsed unanswered"
    )


def test_every_action_the_app_records_is_in_the_catalogue(app):
    """The audit page filters by a select of known actions: an action recorded anywhere in the services must
    have its line (and words) in log.ACTION_GROUPS. Endpoint names (links) are not actions."""
    root = Path(__file__).resolve().parents[3] / "clinic" / "services"
    literal = re.compile(
        r'"((?:auth|admin|request|booking|patient|course|rems|appointment|intake|waitlist|checkin)\.[a-z_]+)"'
    )
    endpoints = set(app.view_functions)
    found = {
        name
        for path in root.rglob("*.py")
        if path.name != "log.py"
        for name in literal.findall(path.read_text(encoding="utf-8"))
        if name not in endpoints
    }
    found |= {f"course.session_{outcome}" for outcome in ("completed", "no_show", "cancelled")}  # f-string
    assert found - set(log.ACTIONS) == set()
    choices = [value for value, _, _ in log.action_choices()]
    assert set(log.ACTIONS) <= set(choices) and "admin." in choices and choices[0] == ""


def test_a_visit_of_several_views_is_told_in_one_line():
    start = datetime(2026, 11, 20, 15, tzinfo=UTC)
    first = AuditEvent(id=1, action="request.view", actor_id=3, record_type="request", record_id=9, at=start)
    visits = {1: log.Visit(3, start.replace(minute=20))}
    assert log.event_text(first, names={}, visits=visits, tz=NY) == "Viewed the request (3 views until 10:20)"
    assert log.event_text(first, names={}, visits={1: log.Visit(1, start)}, tz=NY) == "Viewed the request"
