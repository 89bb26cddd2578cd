"""Reading the audit log back: /admin/audit's filtered pages, and every event told in one wording.

The admin log and a request's history on the staff pages name actors the same way (`actor_label`): the
staff member, "patient" (self-service, stored without an actor) or "system".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from clinic.extensions import db
from clinic.models import AuditEvent, AuditVisit, ConsultationRequest, StaffUser
from clinic.triage.enums import RequestStatus

PER_PAGE = 50
REQUEST_RECORD_TYPES = frozenset({"request", "consultation_request"})
PATIENT_ACTION_PREFIXES = ("patient.", "appointment.", "intake.")
# What patients do through the public pages is stored without an actor; staff always leave their id.
PATIENT_ACTIONS = frozenset(
    {
        "request.create",
        "booking.cancel",
        "booking.reschedule",
        "waitlist.join",
        "waitlist.update",
        "waitlist.leave",
        "waitlist.offer_accept",
        "waitlist.offer_decline",
        "course.session_cancelled",
        "course.driver_confirmed",
        "checkin.view",
        "checkin.answer",
    }
)
PATIENT = "patient"
SYSTEM = "system"
# Views are folded into visits (services/audit/record.py) and each visit's views counted by a trigger as they
# are recorded (migration 0018, which names these actions: a new kind of view needs a migration with it).
VIEW_ACTIONS = frozenset({"request.view", "checkin.view"})

# Every action the app records, by family, in words: the admin log's action filter offers exactly these
# (a family as a whole, or one action). A new action gets its line here (tests/services/audit checks).
ACTION_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "request.": (
        "Requests",
        {
            "request.create": "Request received",
            "request.view": "Viewed the request",
            "request.status": "Changed the status",
            "request.note": "Added a note",
            "request.assign": "Changed who it is assigned to",
            "request.export": "Exported the queue",
            "request.cancel": "Cancelled the booking",
            "request.reschedule": "Moved the booking",
            "request.contact": "Logged a contact attempt",
            "request.urgent": "Marked urgent: thoughts of self-harm reported at a check-in",
        },
    ),
    "waitlist.": (
        "Waitlist",
        {
            "waitlist.join": "Joined the waitlist for an earlier time",
            "waitlist.update": "Changed the waitlist wishes",
            "waitlist.leave": "Left the waitlist",
            "waitlist.offer": "Offered an earlier time from the waitlist",
            "waitlist.offer_accept": "Accepted the earlier time offered",
            "waitlist.offer_decline": "Declined the earlier time offered",
            "waitlist.offer_expire": "The earlier time offered lapsed unanswered",
            "waitlist.offer_withdraw": "Withdrew the earlier time offered",
        },
    ),
    "checkin.": (
        "Check-ins",
        {
            "checkin.send": "Check-in sent",
            "checkin.view": "Check-in opened",
            "checkin.answer": "Check-in answered",
        },
    ),
    "booking.": (
        "Bookings",
        {
            "booking.create": "Booked a slot",
            "booking.cancel": "Cancelled the booking",
            "booking.reschedule": "Moved the booking",
            "booking.new_time_requested": "Asked the patient to choose a new time",
            "booking.flag_resolved": "Marked the booking's flag resolved",
            "booking.flag_cleared": "Flag cleared: the booking is within the rules again",
        },
    ),
    "patient.": ("Patients", {"patient.link_renewed": "Patient asked for a fresh link"}),
    "intake.": (
        "Unfinished requests",
        {
            "intake.draft_save": "Saved an unfinished request to finish later",
            "intake.draft_resume": "Opened an unfinished request to finish it",
        },
    ),
    "course.": (
        "Treatment courses",
        {
            "course.booked": "Booked a treatment course",
            "course.session_completed": "Session completed",
            "course.session_no_show": "Session no-show",
            "course.session_cancelled": "Session cancelled",
            "course.session_moved": "Session moved",
            "course.driver_confirmed": "Driver confirmed",
        },
    ),
    "rems.": (
        "REMS",
        {
            "rems.enrolment_recorded": "REMS enrolment recorded",
            "rems.enrolment_corrected": "REMS enrolment corrected",
            "rems.form_sent": "REMS monitoring form sent",
        },
    ),
    "auth.": (
        "Sign-in and accounts",
        {
            "auth.login": "Signed in",
            "auth.login_failed": "Sign-in refused",
            "auth.lockout": "Sign-in paused after failures",
            "auth.second_factor_failed": "Wrong two-factor code",
            "auth.logout": "Signed out",
            "auth.password_change": "Changed their password",
            "auth.password_change_failed": "Password change refused",
            "auth.two_factor_enabled": "Turned on two-factor sign-in",
        },
    ),
    "admin.": (
        "Admin changes",
        {
            "admin.hours": "Changed the opening hours",
            "admin.closure_add": "Added a closure",
            "admin.closure_delete": "Removed a closure",
            "admin.settings": "Changed the settings",
            "admin.staff_create": "Created a staff account",
            "admin.staff_role": "Changed a role",
            "admin.staff_deactivate": "Deactivated an account",
            "admin.staff_reactivate": "Reactivated an account",
            "admin.staff_password_reset": "Reset a password",
            "admin.staff_two_factor_reset": "Reset two-factor sign-in",
            "admin.chair_add": "Added a chair",
            "admin.chair_change": "Changed a chair",
            "admin.treatment_change": "Changed a treatment",
        },
    ),
}
ACTIONS: dict[str, str] = {
    code: label for _, actions in ACTION_GROUPS.values() for code, label in actions.items()
}
# Where each kind of record is seen (the admin log links it): an endpoint and its id argument, if any.
RECORD_PAGES = {
    "staff_user": ("admin.staff_detail", "user_id"),
    "closure": ("admin.closures", None),
    "opening_hours": ("admin.hours", None),
    "clinic_settings": ("admin.settings", None),
    "chair": ("admin.chairs", None),
    "treatment_kind": ("admin.treatments", None),
}
SUMMARY_LIMIT = 300


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    from_date: date | None = None
    to_date: date | None = None
    every_view: bool = False


@dataclass(frozen=True, slots=True)
class Visit:
    """Views of one record by one person, none more than VISIT_GAP after the one before: shown once."""

    views: int
    last_at: datetime


def action_choices() -> list[tuple[str, str, str | None]]:
    """The action filter's options as (value, label, group): every action, each family as a whole first."""
    choices: list[tuple[str, str, str | None]] = [("", "All actions", None)]
    for prefix, (group, actions) in ACTION_GROUPS.items():
        choices.append((prefix, f"All: {group.lower()}", group))
        choices.extend((code, label, group) for code, label in actions.items())
    return choices


def action_label(action: str) -> str:
    return ACTIONS.get(action) or action.replace(".", " ").replace("_", " ").capitalize()


def _patient_actions():
    return or_(
        AuditEvent.action.in_(sorted(PATIENT_ACTIONS)),
        *(AuditEvent.action.startswith(prefix) for prefix in PATIENT_ACTION_PREFIXES),
    )


def events_page(filters: AuditFilters, *, page: int, tz: ZoneInfo, per_page: int = PER_PAGE) -> Pagination:
    """A page of events, newest first, actors loaded: a count and a page query, whatever the page.

    Repeat views are left out (their visit's first view stands for them) unless `every_view`."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    actor = filters.actor.strip()
    if actor.isdigit():
        query = query.where(AuditEvent.actor_id == int(actor))
    elif actor.lower() == PATIENT:
        query = query.where(AuditEvent.actor_id.is_(None), _patient_actions())
    elif actor.lower() == SYSTEM:
        query = query.where(AuditEvent.actor_id.is_(None), ~_patient_actions())
    elif actor:
        query = query.where(
            AuditEvent.actor_id.in_(select(StaffUser.id).where(func.lower(StaffUser.email) == actor.lower()))
        )
    action = filters.action.strip()
    if action.endswith("."):
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    elif action:
        query = query.where(AuditEvent.action == action)
    if not filters.every_view:
        query = query.where(AuditEvent.is_repeat_view.is_(False))
    if filters.from_date:
        query = query.where(AuditEvent.at >= datetime.combine(filters.from_date, time(0), tz))
    if filters.to_date:
        query = query.where(
            AuditEvent.at < datetime.combine(filters.to_date + timedelta(days=1), time(0), tz)
        )
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=per_page)


def visits_of(events: Sequence[AuditEvent]) -> dict[int, Visit]:
    """How many views each visit on a page of the log holds, by its first view's id: one query, one probe
    per visit (counted as the views are recorded: models.AuditVisit)."""
    starts = [e.id for e in events if e.action in VIEW_ACTIONS and not e.is_repeat_view]
    if not starts:
        return {}
    rows = db.session.execute(
        select(AuditVisit.first_view_id, AuditVisit.views, AuditVisit.last_at).where(
            AuditVisit.first_view_id.in_(starts)
        )
    )
    return {first: Visit(views, last_at) for first, views, last_at in rows}


def request_references(events: Sequence[AuditEvent]) -> dict[int, str]:
    """The references of the requests a page of events is about (one query), to name them in links."""
    ids = {e.record_id for e in events if request_link_id(e) is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(ConsultationRequest.id, ConsultationRequest.reference).where(ConsultationRequest.id.in_(ids))
    )
    return dict(rows.all())


def staff_names(events: Sequence[AuditEvent]) -> dict[int, str]:
    """The names of the staff a page's assignments name (event_text's `names`): one query, if any."""
    ids = {
        target
        for e in events
        if e.action == "request.assign" and isinstance(target := (e.details or {}).get("to"), int)
    }
    if not ids:
        return {}
    return dict(db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all())


def record_page(event: AuditEvent) -> tuple[str, dict] | None:
    """(endpoint, arguments) of the page where the event's record is seen, requests aside."""
    page = RECORD_PAGES.get(event.record_type or "")
    if page is None:
        return None
    endpoint, argument = page
    if argument is None:
        return endpoint, {}
    return (endpoint, {argument: event.record_id}) if event.record_id is not None else None


def actor_label(event: AuditEvent, *, by_name: bool = False) -> str:
    """Who did it: the staff member's email (or name); for events stored without one, "patient" or "system".

    Deleting an account sets its events' actor to NULL, so every event has one of these three readings.
    """
    if event.actor is not None:
        return event.actor.name if by_name else event.actor.email
    details = event.details or {}
    if (
        details.get("by") == PATIENT
        or event.action in PATIENT_ACTIONS
        or event.action.startswith(PATIENT_ACTION_PREFIXES)
    ):
        return PATIENT
    return SYSTEM


def _status(value: object) -> str:
    try:
        return RequestStatus(str(value)).label
    except ValueError:
        return "?"


def event_text(
    event: AuditEvent,
    *,
    names: dict[int, str],
    visits: dict[int, Visit] | None = None,
    tz: ZoneInfo | None = None,
) -> str:
    """What happened, in plain words for a request's history (ids only are stored; `names` are staff's).
    A view that starts a visit of several says how many views and until when (`visits`, `tz`)."""
    details = event.details or {}
    visit = (visits or {}).get(event.id)
    if visit is not None and visit.views > 1:
        until = visit.last_at.astimezone(tz).strftime("%H:%M") if tz else ""
        return f"{action_label(event.action)} ({visit.views} views{' until ' + until if until else ''})"
    if event.action == "request.status":
        return f"Status {_status(details.get('from'))} → {_status(details.get('to'))}"
    if event.action == "request.assign":
        target = details.get("to")
        if target is None:
            return "Unassigned"
        return f"Assigned to {names.get(target, 'a former staff member')}"
    return action_label(event.action)


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return str(value)


def summarize(details: dict[str, Any] | None) -> str:
    """A one-line reading of an event's details: changed values as `key: before → after`, then the rest."""
    if not details:
        return ""
    parts = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            if before.get(key) != after.get(key):
                parts.append(f"{key}: {_short(before.get(key))} → {_short(after.get(key))}")
    elif isinstance(after, dict):
        parts.extend(f"{key}: {_short(value)}" for key, value in after.items())
    elif isinstance(before, dict):
        parts.append("was " + ", ".join(f"{key}: {_short(value)}" for key, value in before.items()))
    for key, value in details.items():
        if key in {"before", "after"}:
            continue
        if key == "flagged_bookings" and not value:
            continue
        parts.append(f"{key.replace('_', ' ')}: {_short(value)}")
    text = "; ".join(parts)
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def request_link_id(event: AuditEvent) -> int | None:
    """The request id to link to for request records, else None."""
    if event.record_type in REQUEST_RECORD_TYPES and event.record_id is not None:
        return event.record_id
    return None
