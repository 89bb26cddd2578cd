"""/admin/affected: the bookings admin changes left outside the offered times, whose they are, and telling
the patients (registered on the admin blueprint)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.admin.forms import AffectedEmailForm, DeleteForm
from clinic.admin.routes import bp
from clinic.services.rules import affected
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow


@bp.get("/affected", endpoint="affected")
def affected_page():
    """Flagged bookings to come, urgent first, with name, phone and priority, and who has been emailed."""
    bookings = affected.flagged_bookings(now=utcnow())
    return render_template(
        "admin/affected.html",
        open_flags=[b for b in bookings if b.resolved_at is None],
        resolved=[b for b in bookings if b.resolved_at is not None],
        form=AffectedEmailForm(),
        resolve_form=DeleteForm(),
        tz=clinic_info().rules.tz,
    )


@bp.post("/affected/email")
def email_affected():
    """Email the chosen patients a neutral "please choose a new time" with their own manage link."""
    form = AffectedEmailForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.booking_id.data:
        flash("Tick at least one patient to email.", "error")
        return redirect(url_for(".affected"), 303)
    sent = affected.email_patients(form.booking_id.data, actor_id=current_user.id, now=utcnow())
    if sent:
        flash(
            f"Emailed {sent} patient{'s' if sent != 1 else ''}: each was asked to choose a new time, "
            "with their own link.",
            "success",
        )
    else:
        flash("Nobody was emailed: those bookings are no longer flagged.", "info")
    return redirect(url_for(".affected"), 303)


@bp.post("/affected/<int:request_id>/resolve")
def resolve_affected(request_id: int):
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        affected.resolve(request_id, actor_id=current_user.id, now=utcnow())
    except affected.FlagNotFound:
        flash("That booking has no open flag any more.", "info")
    else:
        flash("Marked resolved: the booking stays as booked.", "success")
    return redirect(url_for(".affected"), 303)
