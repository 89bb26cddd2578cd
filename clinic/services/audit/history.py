"""Audit events told in plain words for a request's history (ids only are stored; names come from staff)."""

from __future__ import annotations

from clinic.models import AuditEvent
from clinic.triage.enums import RequestStatus

PLAIN = {
    "request.view": "Viewed the request",
    "request.note": "Added a note",
    "request.export": "Exported the queue",
    "request.cancel": "Cancelled the booking",
    "request.reschedule": "Moved the booking",
    "request.create": "Request received",
    "booking.create": "Booked a slot",
    "booking.cancel": "Cancelled the booking",
    "booking.reschedule": "Moved the booking",
}


def _status(value: object) -> str:
    try:
        return RequestStatus(str(value)).label
    except ValueError:
        return "?"


def describe_event(event: AuditEvent, *, names: dict[int, str]) -> str:
    details = event.details or {}
    if event.action == "request.status":
        return f"Status {_status(details.get('from'))} → {_status(details.get('to'))}"
    if event.action == "request.assign":
        target = details.get("to")
        if target is None:
            return "Unassigned"
        return f"Assigned to {names.get(target, 'a former staff member')}"
    return PLAIN.get(event.action, event.action.replace(".", " ").replace("_", " ").capitalize())
