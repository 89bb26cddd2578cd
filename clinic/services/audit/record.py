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
    visit when read (and counted into it as it is written: models.AuditVisit). One statement (the repeat
    found by an index), in the current transaction, or `on` a connection of its own."""
    parameters = view_parameters(
        action, actor_id=actor_id, record_type=record_type, record_id=record_id, details=details, now=now
    )
    (on or db.session).execute(_VIEW_INSERTS[actor_id is None], parameters)


def view_parameters(
    action: str,
    *,
    actor_id: int | None,
    record_type: str,
    record_id: int,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What a view insert (`view_insert`) is executed with."""
    now = now or utcnow()
    return {
        "at": now,
        "actor_id": actor_id,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "details": details or None,
        "since": now - VISIT_GAP,
    }


def view_insert(*, by_patient: bool, provided: sa.ColumnElement[bool] | None = None) -> sa.Insert:
    """INSERT … SELECT …, EXISTS (an earlier view within the gap), written once per actor kind (a NULL actor
    is matched with IS NULL: an index serves both, where IS NOT DISTINCT FROM would not). With `provided`,
    the view is written only while that holds, in the same statement; it returns the new event's id (no
    row: nothing written)."""
    events = AuditEvent.__table__
    earlier = sa.exists().where(
        events.c.action == sa.bindparam("action"),
        events.c.record_type == sa.bindparam("record_type"),
        events.c.record_id == sa.bindparam("record_id"),
        events.c.actor_id.is_(None) if by_patient else events.c.actor_id == sa.bindparam("actor_id"),
        events.c.at > sa.bindparam("since", type_=events.c.at.type),
    )
    columns = ("at", "actor_id", "action", "record_type", "record_id", "details")
    values = sa.select(
        *(sa.bindparam(name, type_=events.c[name].type) for name in columns), earlier.label("is_repeat_view")
    )
    if provided is None:
        return sa.insert(events).from_select([*columns, "is_repeat_view"], values)
    return (
        sa.insert(events)
        .from_select([*columns, "is_repeat_view"], values.where(provided))
        .returning(events.c.id)
    )


_VIEW_INSERTS = {by_patient: view_insert(by_patient=by_patient) for by_patient in (False, True)}
