"""Check-ins on the staff pages: the request page's trajectory section and sending a check-in on demand.
Registered on the staff blueprint, so its sign-in guard applies."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from clinic.models import ConsultationRequest
from clinic.services.casework import checkins
from clinic.staff.kept import clock_changes_at
from clinic.staff.routes import bp
from clinic.timeutil import utcnow


class SendCheckInForm(FlaskForm):
    """POST /staff/requests/<id>/check-ins: the CSRF token is all it carries."""


@bp.context_processor
def check_in_helpers() -> dict:
    """`trajectory_card(request)` for the request page's trajectory section (two statements)."""
    return {"trajectory_card": _trajectory_card}


def _trajectory_card(consultation: ConsultationRequest) -> dict:
    card = checkins.trajectory_card(consultation)
    now = utcnow()
    changes_at = card.changes_at(now)
    if changes_at is not None:
        clock_changes_at(changes_at)
    return {"card": card, "send_form": SendCheckInForm(formdata=None), "now": now}


@bp.post("/requests/<int:request_id>/check-ins")
def send_check_in(request_id: int):
    """Email the patient a check-in link now (valid 72 hours)."""
    if not SendCheckInForm().validate_on_submit():
        abort(400)
    try:
        checkins.send(request_id, actor_id=current_user.id, now=utcnow())
    except checkins.RequestNotFound:
        abort(404)
    flash("A check-in link is on its way to the patient (it works for 72 hours).", "success")
    return redirect(url_for(".detail", request_id=request_id, _anchor="trajectory"), 303)
