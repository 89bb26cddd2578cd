"""The audit log: append-only. Ids and settings only, never screening answers or contact details."""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

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
    on: Connection | None = None,
) -> None:
    """Record a view like any event, marked a repeat when the same person (a colleague, or the patient: no
    actor) viewed the same record less than VISIT_GAP before: every view stays in the log, folded into its
    visit when read. One statement (the repeat found by an index), in the current transaction, or `on` a
    connection of its own (a kept page sent again outside any request)."""
    now = now or utcnow()
    parameters = {
        "at": now,
        "actor_id": actor_id,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "details": details or None,
        "since": now - VISIT_GAP,
    }
    (on or db.session).execute(_VIEW_INSERTS[actor_id is None], parameters)


def _view_insert(by_patient: bool) -> sa.Insert:
    """INSERT … VALUES (…, EXISTS (an earlier view within the gap)), written once per actor kind (a NULL
    actor is matched with IS NULL: an index serves both, where IS NOT DISTINCT FROM would not)."""
    events = AuditEvent.__table__
    earlier = sa.exists().where(
        events.c.record_type == sa.bindparam("record_type"),
        events.c.record_id == sa.bindparam("record_id"),
        events.c.action == sa.bindparam("action"),
        events.c.actor_id.is_(None) if by_patient else events.c.actor_id == sa.bindparam("actor_id"),
        events.c.at > sa.bindparam("since", type_=events.c.at.type),
    )
    return sa.insert(events).values(
        at=sa.bindparam("at", type_=events.c.at.type),
        actor_id=sa.bindparam("actor_id", type_=events.c.actor_id.type),
        action=sa.bindparam("action", type_=events.c.action.type),
        record_type=sa.bindparam("record_type", type_=events.c.record_type.type),
        record_id=sa.bindparam("record_id", type_=events.c.record_id.type),
        details=sa.bindparam("details", type_=events.c.details.type),
        is_repeat_view=earlier,
    )


_VIEW_INSERTS = {by_patient: _view_insert(by_patient) for by_patient in (False, True)}
