"""The admin area: opening hours, closures, booking rules and the audit log (role admin only)."""

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.admin.charts import week_chart
from clinic.admin.forms import AuditFilterForm, ClosureForm, DeleteForm, HoursForm, SettingsForm
from clinic.auth.guards import require_role
from clinic.scheduling import Schedule
from clinic.services.audit import log
from clinic.services.rules import closures, hours, settings
from clinic.services.rules.changes import AdminChangeError, ConfirmationNeeded
from clinic.services.rules.read import clinic_info, closures_between, weekly_hours
from clinic.timeutil import utcnow
from clinic.triage.enums import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, Role.ADMIN)

CHART_DAYS = 14
T = TypeVar("T")


def _apply_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]


def _chart(proposed_hours=None):
    """The picture of the coming days, with the proposed hours when an admin is about to change them."""
    info = clinic_info()
    today = utcnow().astimezone(info.rules.tz).date()
    closures_soon = closures_between(today, today + timedelta(days=CHART_DAYS))
    week = proposed_hours if proposed_hours is not None else weekly_hours()
    return week_chart(Schedule(week, closures_soon, info.rules), today, CHART_DAYS)


def _flagged_message(flagged: list[int] | None, saved: str) -> str:
    if not flagged:
        return saved
    return (
        f"{saved} {len(flagged)} booking(s) outside the offered times were kept and flagged for staff. "
        "Call the patients or email them to choose a new time."
    )


def _after_save(flagged: list[int] | None, here: str):
    """Back to the page; to the list of affected bookings when the change flagged some, so the admin can
    tell those patients at once."""
    return redirect(url_for(".affected" if flagged else here), 303)


def _attempt(form, change: Callable[[bool], T]) -> tuple[T | None, list | None, int]:
    """Run an admin change that may leave bookings outside the offered times.

    Returns (result, None, 200) when saved; (None, affected bookings, 409) when the admin must confirm first
    (the form then carries confirm=yes); (None, None, 422) with the errors beside their fields.
    """
    try:
        return change(form.is_confirmed), None, 200
    except AdminChangeError as error:
        _apply_errors(form, error.errors)
        return None, None, 422
    except ConfirmationNeeded as needed:
        form.confirm.data = "yes"
        return None, needed.affected, 409


@bp.route("/hours", methods=["GET", "POST"], endpoint="hours")
def hours_page():
    """The week's opening hours: a row per weekday; bookings a change leaves outside are listed first."""
    form = HoursForm() if request.method == "POST" else HoursForm(data=HoursForm.initial(weekly_hours()))
    affected, status = None, 200
    if form.validate_on_submit():
        flagged, affected, status = _attempt(
            form,
            lambda confirmed: hours.update_hours(
                form.proposed_hours(), actor_id=current_user.id, now=utcnow(), confirmed=confirmed
            ),
        )
        if status == 200:
            flash(
                _flagged_message(flagged, "Opening hours saved.")
                if flagged is not None
                else "Nothing changed.",
                "success",
            )
            return _after_save(flagged, ".hours")
    elif request.method == "POST":
        status = 422
    chart = _chart(form.proposed_hours() if affected else None)
    return render_template(
        "admin/hours.html", form=form, affected=affected, chart=chart, tz=clinic_info().rules.tz
    ), status


@bp.route("/closures", methods=["GET", "POST"], endpoint="closures")
def closures_page():
    """Closures, upcoming and past, and a form to add one (bookings inside it are listed first)."""
    form = ClosureForm()
    affected, status = None, 200
    if form.validate_on_submit():
        start_time, end_time = form.times()
        closure = closures.ClosureInput(
            form.start_date.data, form.end_date.data, form.reason.data, start_time, end_time
        )
        added, affected, status = _attempt(
            form,
            lambda confirmed: closures.add_closure(
                closure, actor_id=current_user.id, now=utcnow(), confirmed=confirmed
            ),
        )
        if added is not None:
            _, flagged = added
            flash(_flagged_message(flagged, "Closure added."), "success")
            return _after_save(flagged, ".closures")
    elif request.method == "POST":
        status = 422
    tz = clinic_info().rules.tz
    upcoming, past = closures.list_closures(today=utcnow().astimezone(tz).date())
    return render_template(
        "admin/closures.html",
        form=form,
        affected=affected,
        upcoming=upcoming,
        past=past,
        delete_form=DeleteForm(),
        tz=tz,
    ), status


@bp.post("/closures/<int:closure_id>/delete")
def delete_closure(closure_id: int):
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if not closures.delete_closure(closure_id, actor_id=current_user.id, now=utcnow()):
        abort(404)
    flash("Closure removed: those times are offered again.", "success")
    return redirect(url_for(".closures"), 303)


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
def settings_page():
    """Booking rules and contact details; a new slot length or timezone first lists bookings left off-grid."""
    current = settings.current_settings()
    # A form posted without `offer_minutes` (an older page) keeps the current value.
    form = (
        SettingsForm(data={"offer_minutes": current.offer_minutes})
        if request.method == "POST"
        else SettingsForm(obj=current)
    )
    form.set_timezones(settings.timezone_names())
    affected, status = None, 200
    if form.validate_on_submit():
        new = settings.SettingsInput(
            **{
                name: (form[name].data.strip() if isinstance(form[name].data, str) else form[name].data)
                for name in settings.FIELDS
            }
        )
        flagged, affected, status = _attempt(
            form,
            lambda confirmed: settings.update_settings(
                new, actor_id=current_user.id, now=utcnow(), confirmed=confirmed
            ),
        )
        if status == 200:
            flash(
                _flagged_message(flagged, "Settings saved.") if flagged is not None else "Nothing changed.",
                "success",
            )
            return _after_save(flagged, ".settings")
    elif request.method == "POST":
        status = 422
    return render_template(
        "admin/settings.html",
        form=form,
        affected=affected,
        current=current,
        tz=clinic_info().rules.tz,
    ), status


@bp.get("/audit", endpoint="audit")
def audit_page():
    """The audit log, newest first, one line per visit; filters stay in the URL so a filtered page can be
    shared or bookmarked."""
    form = AuditFilterForm(request.args).set_actions(log.action_choices())
    tz = clinic_info().rules.tz
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < len(page_arg) <= 6 else 1
    if request.args and not form.validate():
        return render_template(
            "admin/audit.html", form=form, events=None, tz=tz, audit_log=log, filters={}
        ), 422
    filters = log.AuditFilters(
        form.actor.data or "",
        form.action.data or "",
        form.from_date.data,
        form.to_date.data,
        every_view=bool(form.every_view.data),
    )
    events = log.events_page(filters, page=max(page, 1), tz=tz)
    kept = {
        key: value
        for key, value in request.args.items()
        if key in {"actor", "action", "from", "to", "views"} and value
    }
    return render_template(
        "admin/audit.html",
        form=form,
        events=events,
        visits=log.visits_of(events.items),
        references=log.request_references(events.items),
        names=log.staff_names(events.items),
        tz=tz,
        audit_log=log,
        filters=kept,
    )
