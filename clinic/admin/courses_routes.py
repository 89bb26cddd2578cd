"""/admin/chairs and /admin/treatments: the treatment chairs and the kinds' minutes. Registered on the admin
blueprint, so its admin guard applies. Changes that would break booked sessions list them and ask first."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.admin.courses_forms import ChairForm, KindForm
from clinic.admin.routes import _attempt, bp
from clinic.services.courses import admin, chairs, kinds
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow


def _flagged(flagged: list[int], saved: str) -> str:
    if not flagged:
        return saved
    return f"{saved} {len(flagged)} session(s) that no longer fit were kept as booked and flagged for staff."


@bp.route("/chairs", methods=["GET", "POST"], endpoint="chairs")
def chairs_page():
    """Every chair, each renamed or taken in or out of use, and a new one added."""
    form = ChairForm() if request.method == "POST" else ChairForm(formdata=None, active=True)
    affected, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            saved, affected, status = _attempt(
                form,
                lambda confirmed: admin.save_chair(
                    form.chosen_id(),
                    form.name.data or "",
                    bool(form.active.data),
                    actor_id=current_user.id,
                    now=utcnow(),
                    confirmed=confirmed,
                ),
            )
            if saved is not None:
                chair, flagged = saved
                flash(_flagged(flagged, f"{chair.name} saved."), "success")
                return redirect(url_for(".chairs"), 303)
        else:
            status = 422
    return render_template(
        "admin/chairs.html",
        chairs=chairs.all_chairs(),
        form=form,
        editing=form.chosen_id() if request.method == "POST" else None,
        posted_new=request.method == "POST" and form.chosen_id() is None,
        affected=affected,
        tz=clinic_info().rules.tz,
    ), status


@bp.route("/treatments", methods=["GET", "POST"], endpoint="treatments")
def treatments_page():
    """Each treatment kind's name, dose, monitoring and turnover minutes (esketamine monitoring >= 120)."""
    form = KindForm() if request.method == "POST" else None
    affected, status = None, 200
    if form is not None:
        if form.validate_on_submit():
            changed, affected, status = _attempt(
                form,
                lambda confirmed: admin.update_kind(
                    admin.KindInput(
                        form.kind.data or "",
                        form.name.data or "",
                        form.dose_minutes.data,
                        form.monitoring_minutes.data,
                        form.turnover_minutes.data,
                    ),
                    actor_id=current_user.id,
                    now=utcnow(),
                    confirmed=confirmed,
                ),
            )
            if status == 200:
                message = (
                    "Nothing changed."
                    if changed is None
                    else _flagged(changed[1], f"{changed[0].name} saved.")
                )
                flash(message, "success")
                return redirect(url_for(".treatments"), 303)
        else:
            status = 422
    all_kinds = kinds.all_kinds()
    forms = {
        k.key.value: (
            form
            if form is not None and form.kind.data == k.key.value
            else KindForm(
                formdata=None,
                kind=k.key.value,
                name=k.name,
                dose_minutes=k.dose_minutes,
                monitoring_minutes=k.monitoring_minutes,
                turnover_minutes=k.turnover_minutes,
            )
        )
        for k in all_kinds
    }
    return render_template(
        "admin/treatments.html",
        kinds=all_kinds,
        forms=forms,
        patterns={k.key.value: kinds.describe_pattern(k) for k in all_kinds},
        affected=affected,
        tz=clinic_info().rules.tz,
    ), status
