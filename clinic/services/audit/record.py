"""The audit log: append-only. Ids and settings only, never screening answers or contact details."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.timeutil import utcnow

# Views of one record by one person less than this apart are one visit: each view is kept, the log and a
# request's history show the visit once (migration 0010 marks older views by the same rule).
VISIT_GAP = timedelta(minutes=30)


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


def record_view(
    action: str,
    *,
    actor_id: int | None,
    record_type: str,
    record_id: int,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Record a view like any event, marked a repeat when the same person (a colleague, or the patient: no
    actor) viewed the same record less than VISIT_GAP before (one indexed query): every view stays in the
    log, folded into its visit when read."""
    now = now or utcnow()
    previous = db.session.scalar(
        select(AuditEvent.at)
        .where(
            AuditEvent.record_type == record_type,
            AuditEvent.record_id == record_id,
            AuditEvent.action == action,
            AuditEvent.actor_id.is_(None) if actor_id is None else AuditEvent.actor_id == actor_id,
        )
        .order_by(AuditEvent.at.desc())
        .limit(1)
    )
    event = record(action, actor_id=actor_id, record_type=record_type, record_id=record_id, details=details)
    event.at = now
    event.is_repeat_view = previous is not None and now - previous < VISIT_GAP
    return event
