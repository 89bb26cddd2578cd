"""A booking flagged by an admin change: staff mark it resolved from the request's page (registered on the
staff blueprint)."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from clinic.services.rules import affected
from clinic.staff.forms import CancelForm
from clinic.staff.routes import bp
from clinic.timeutil import utcnow


@bp.post("/requests/<int:request_id>/resolve-flag")
def resolve_flag(request_id: int):
    """The patient has been dealt with and the time is kept: the flag stops asking for attention."""
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        affected.resolve(request_id, actor_id=current_user.id, now=utcnow())
    except affected.FlagNotFound:
        flash("This booking has no open flag any more.", "info")
    else:
        flash("Flag marked resolved: the booking stays as booked.", "success")
    return redirect(url_for(".detail", request_id=request_id), 303)
