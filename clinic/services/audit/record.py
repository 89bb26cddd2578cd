"""The audit log: append-only. Ids and settings only, never screening answers or contact details."""

from typing import Any

from clinic.extensions import db
from clinic.models import AuditEvent


def record(
    action: str,
    *,
    actor_id: int | None,
    record_type: str | None = None,
    record_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller's commit writes it with the change."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        record_type=record_type,
        record_id=record_id,
        details=details or None,
    )
    db.session.add(event)
    return event
