"""The crisis rule's effect on a request, one step shared by the intake and every check-in.

When a patient answers PHQ-9 item 9 above 0 (screening.is_self_harm), wherever they answer it: the request
becomes urgent, opens again if it was closed (workflow.status_after_self_harm), so it is back in the open
queue and the urgent count, and the clinic is emailed at once. The change goes through the model, so its
queue position is kept (before_update) and the tally triggers count it in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from clinic.extensions import db
from clinic.models import ConsultationRequest, OutboxMessage
from clinic.services.audit.record import record
from clinic.services.mail import notifications
from clinic.triage.enums import Priority
from clinic.triage.workflow import status_after_self_harm


def escalate(
    consultation: ConsultationRequest, *, now: datetime, check_in_id: int | None = None
) -> OutboxMessage:
    """Mark the request urgent and open, audit any change, and add the clinic's notice (an inner step:
    it flushes, the caller's unit of work commits and delivers the notice)."""
    db.session.flush()  # nothing pending is lost to the refresh
    db.session.refresh(consultation, with_for_update=True)  # concurrent staff moves wait for this one
    before_status, before_priority = consultation.status, consultation.priority
    consultation.priority = Priority.URGENT
    consultation.priority_rank = Priority.URGENT.rank
    consultation.status = status_after_self_harm(consultation.status)
    if (before_status, before_priority) != (consultation.status, consultation.priority):
        consultation.updated_at = now
        details = {"from": before_status.value, "to": consultation.status.value, "priority": "urgent"}
        if check_in_id is not None:
            details["check_in_id"] = check_in_id
        record(
            "request.urgent", actor_id=None, record_type="request", record_id=consultation.id, details=details
        )
    db.session.flush()
    return notifications.add_urgent_notice(consultation, check_in=check_in_id is not None)
