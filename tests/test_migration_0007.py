"""Migration 0007 (patient_cancelled_at, queue position): an urgent request closed by its patient's cancel
under the old rule goes back to its previous open status when the audit log tells it, the queue position
of every row is written, and the tally triggers survive, on both databases."""

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic.extensions import db
from clinic.models import AuditEvent, ConsultationRequest, RequestTally
from clinic.services.booking import seats
from clinic.services.casework import cases
from clinic.timeutil import utcnow
from clinic.triage.enums import RequestStatus
from clinic.triage.workflow import QUEUE_OTHER, QUEUE_TO_CONTACT


def old_rule(request_ids: list[int]) -> None:
    """What the old code left: the patient's cancel closed the request."""
    db.session.execute(
        sa.update(ConsultationRequest)
        .where(ConsultationRequest.id.in_(request_ids))
        .values(status=RequestStatus.CANCELLED, patient_cancelled_at=None)
    )
    db.session.commit()


def test_urgent_requests_closed_by_the_patient_reopen(app, make_request, make_staff):
    staff_id = make_staff(email="nurse@clinic.example")
    urgent_new = make_request(urgent=True, cancelled=True)
    urgent_contacted = make_request(urgent=True)
    routine = make_request(cancelled=True)
    urgent_moved_after = make_request(urgent=True, cancelled=True)
    urgent_no_log = make_request(urgent=True, cancelled=True)
    with app.app_context():
        now = utcnow()
        cases.change_status(urgent_contacted, RequestStatus.CONTACTED, actor_id=staff_id, now=now)
        seats.cancel_for_patient(db.session.get(ConsultationRequest, urgent_contacted), now=now)
        old_rule([urgent_new, urgent_contacted, routine, urgent_moved_after, urgent_no_log])
        db.session.add(
            AuditEvent(
                action="request.status",
                actor_id=staff_id,
                record_type="request",
                record_id=urgent_moved_after,
                details={"from": "new", "to": "cancelled"},
                at=now + timedelta(minutes=5),
            )
        )
        db.session.execute(
            sa.delete(AuditEvent).where(
                AuditEvent.record_id == urgent_no_log, AuditEvent.record_type == "request"
            )
        )
        db.session.commit()
        downgrade(revision="0003")
        db.session.remove()
        upgrade()
        db.session.remove()
        got = {r.id: r for r in db.session.scalars(sa.select(ConsultationRequest))}
        assert got[urgent_new].status is RequestStatus.NEW and got[urgent_new].patient_cancelled_at
        assert got[urgent_new].queue_group == QUEUE_TO_CONTACT
        assert got[urgent_contacted].status is RequestStatus.CONTACTED
        assert got[urgent_contacted].queue_group == QUEUE_TO_CONTACT
        assert got[routine].status is RequestStatus.CANCELLED and got[routine].patient_cancelled_at
        assert got[routine].queue_group == QUEUE_OTHER
        assert got[urgent_moved_after].status is RequestStatus.CANCELLED
        assert got[urgent_moved_after].patient_cancelled_at is None
        assert got[urgent_no_log].status is RequestStatus.CANCELLED  # the log cannot tell: left, but marked
        assert got[urgent_no_log].patient_cancelled_at is not None
        assert all(r.queue_at is not None for r in got.values())
        tallies = dict(
            db.session.execute(
                sa.select(RequestTally.status, sa.func.sum(RequestTally.n)).group_by(RequestTally.status)
            ).all()
        )
        assert tallies[RequestStatus.CANCELLED] == 3 and tallies[RequestStatus.NEW] == 1
        assert tallies[RequestStatus.CONTACTED] == 1
