"""clinic.services.audit.record: an event joins the caller's transaction, and leaves with it."""

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent
from clinic.services import unit_of_work
from clinic.services.audit.record import record


def test_an_event_is_written_with_the_change_it_reports(ctx, make_staff):
    staff_id = make_staff()
    with unit_of_work():
        event = record(
            "request.note", actor_id=staff_id, record_type="request", record_id=7, details={"a": 1}
        )
        db.session.flush()
        event_id = event.id
    db.session.remove()
    stored = db.session.get(AuditEvent, event_id)
    assert (stored.action, stored.actor_id, stored.record_type, stored.record_id) == (
        "request.note",
        staff_id,
        "request",
        7,
    )
    assert stored.details == {"a": 1}


def test_empty_details_are_stored_as_none_and_a_rolled_back_change_keeps_no_event(ctx):
    with pytest.raises(RuntimeError), unit_of_work():
        record("admin.hours", actor_id=None, details={})
        db.session.flush()
        assert db.session.scalars(select(AuditEvent.details)).one() is None
        raise RuntimeError("the change failed")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
