"""Reading the audit log back: /admin/audit's filtered pages, and every event told in one wording.

The admin log and a request's history on the staff pages name actors the same way (`actor_label`): the
staff member, "patient" (self-service, stored without an actor) or "system".
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from clinic.extensions import db
from clinic.models import AuditEvent, StaffUser
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
    }
)
PATIENT = "patient"
SYSTEM = "system"
PLAIN = {
    "request.view": "Viewed the request",
    "request.note": "Added a note",
    "request.contact": "Logged a contact attempt",
    "request.export": "Exported the queue",
    "request.cancel": "Cancelled the booking",
    "request.reschedule": "Moved the booking",
    "request.create": "Request received",
    "booking.create": "Booked a slot",
    "booking.cancel": "Cancelled the booking",
    "booking.reschedule": "Moved the booking",
    "waitlist.join": "Joined the waitlist for an earlier time",
    "waitlist.update": "Changed the waitlist wishes",
    "waitlist.leave": "Left the waitlist",
    "waitlist.offer": "Offered an earlier time from the waitlist",
    "waitlist.offer_accept": "Accepted the earlier time offered",
    "waitlist.offer_decline": "Declined the earlier time offered",
    "waitlist.offer_expire": "The earlier time offered lapsed unanswered",
    "waitlist.offer_withdraw": "Withdrew the earlier time offered",
    "checkin.send": "Check-in sent",
    "checkin.view": "Check-in opened",
    "checkin.answer": "Check-in answered",
    "request.urgent": "Marked urgent: thoughts of self-harm reported at a check-in",
}
SUMMARY_LIMIT = 300


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    from_date: date | None = None
    to_date: date | None = None


def events_page(filters: AuditFilters, *, page: int, tz: ZoneInfo, per_page: int = PER_PAGE) -> Pagination:
    """A page of events, newest first, actors loaded: a count and a page query, whatever the page."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    actor = filters.actor.strip()
    if actor.isdigit():
        query = query.where(AuditEvent.actor_id == int(actor))
    elif actor.lower() in {SYSTEM, PATIENT}:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif actor:
        query = query.where(
            AuditEvent.actor_id.in_(select(StaffUser.id).where(func.lower(StaffUser.email) == actor.lower()))
        )
    action = filters.action.strip()
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if filters.from_date:
        query = query.where(AuditEvent.at >= datetime.combine(filters.from_date, time(0), tz))
    if filters.to_date:
        query = query.where(
            AuditEvent.at < datetime.combine(filters.to_date + timedelta(days=1), time(0), tz)
        )
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=per_page)


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


def event_text(event: AuditEvent, *, names: dict[int, str]) -> str:
    """What happened, in plain words for a request's history (ids only are stored; `names` are staff's)."""
    details = event.details or {}
    if event.action == "request.status":
        return f"Status {_status(details.get('from'))} → {_status(details.get('to'))}"
    if event.action == "request.assign":
        target = details.get("to")
        if target is None:
            return "Unassigned"
        return f"Assigned to {names.get(target, 'a former staff member')}"
    return PLAIN.get(event.action, event.action.replace(".", " ").replace("_", " ").capitalize())


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
