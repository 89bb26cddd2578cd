"""The intake form (/consultation) and the patient's self-service pages (/appointments/<token>)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError

from clinic.errors import safe_rollback
from clinic.extensions import limiter
from clinic.i18n import language
from clinic.i18n import lazy_gettext as _l
from clinic.intake.forms import (
    BIRTH_DATE_HINT,
    CancelForm,
    IntakeForm,
    RescheduleForm,
    parse_offered_range,
    summary_items,
)
from clinic.intake.pages import SlotState, slot_state, typed_slot_state
from clinic.intake.phq9 import PHQ9_ATTRIBUTION_TEXT, PHQ9_QUESTION_TEXT
from clinic.models import ConsultationRequest
from clinic.scheduling import SlotUnavailable
from clinic.services.booking import availability, drafts, intake, links, renewal, seats
from clinic.services.mail import notifications
from clinic.services.mail.calendar import describe, describe_time
from clinic.services.rules.read import DEFAULTS, ClinicInfo, clinic_info
from clinic.timeutil import utcnow
from clinic.triage.enums import RequestStatus
from clinic.triage.screening import CONDITIONS, is_self_harm

bp = Blueprint("intake", __name__)

JUST_SUBMITTED = "intake_submitted"  # session key: the public id of the request just made, nothing else
STATUS_TEXT = {
    RequestStatus.NEW: _l("Booked. We will contact you before the appointment."),
    RequestStatus.CONTACTED: _l("Booked. We have been in touch about your request."),
    RequestStatus.SCHEDULED: _l("Confirmed."),
    RequestStatus.COMPLETED: _l("Completed."),
    RequestStatus.CANCELLED: _l("Cancelled."),
    RequestStatus.DECLINED: _l("Closed. Please call us if you have questions."),
    RequestStatus.NO_SHOW: _l("Missed. Please call us to arrange another time."),
}
CALL_US = _l("This booking can no longer be changed online. Please call us.")
INVALID_LINK = _l(
    "This booking link is not valid any more. Links stop working a day after the appointment, and a "
    "link copied only in part does not work. If you need help with a booking, please call us."
)


def _intake_limit() -> str:
    return current_app.config["INTAKE_RATE_LIMIT"]


def _info_or_none() -> ClinicInfo | None:
    """The clinic's settings, or None while the database cannot be reached."""
    try:
        return clinic_info()
    except DBAPIError:
        safe_rollback()
        return None


def _slot_state(text: str, *, now: datetime, taken: bool = False) -> SlotState:
    return slot_state(text, now=now, timezone=clinic_info().timezone, taken=taken)


def _render_form(
    form: IntakeForm,
    slot: SlotState,
    status: int,
    *,
    unavailable: bool = False,
    crisis: bool = False,
    resumed: bool = False,
):
    errors = summary_items(form, skip=("csrf_token", "slot"))
    if form.slot.errors:
        errors.insert(0, ("time-heading", form.slot.label.text, form.slot.errors[0]))
    info = None if unavailable else clinic_info()
    return render_template(
        "intake/consultation.html",
        form=form,
        slot=slot,
        error_summary=[] if unavailable else errors,
        phq9_question=PHQ9_QUESTION_TEXT,
        phq9_attribution=PHQ9_ATTRIBUTION_TEXT,
        conditions=CONDITIONS,
        info=info,
        unavailable=unavailable,
        birth_date_hint=BIRTH_DATE_HINT,
        crisis=crisis,
        resumed=resumed,
    ), status


def _today(now: datetime) -> date:
    """Today in the clinic's timezone (the default one while the database cannot be reached)."""
    info = _info_or_none()
    return now.astimezone(ZoneInfo(info.timezone if info else DEFAULTS["timezone"])).date()


def _render_unavailable(form: IntakeForm):
    """The database failed mid-submit: the form again with everything typed, 503 and Retry-After."""
    safe_rollback()
    html, _ = _render_form(form, typed_slot_state(form.slot.data), 503, unavailable=True)
    return html, 503, {"Retry-After": "5"}


@bp.route("/consultation", methods=["GET", "POST"])
@limiter.limit(_intake_limit, methods=["POST"])
def consultation():
    """The intake form: 303 to the manage page, 422 on bad input, 409 when the slot went. Nothing is lost."""
    now = utcnow()
    form = IntakeForm(today=_today(now))
    if request.method == "GET":
        form.slot.data = request.args.get("slot", "")[:64]
        return _render_form(form, _slot_state(form.slot.data, now=now), 200)
    if form.website.data:
        return redirect(url_for(".received"), 303)  # a bot: look successful, keep nothing
    try:
        if not form.validate():
            return _render_form(form, _slot_state(form.slot.data or "", now=now), 422)
        try:
            created = intake.submit(form.intake_data(), now=now, draft_token=form.draft.data or None)
        except SlotUnavailable:
            return _render_form(form, _slot_state(form.slot.data, now=now, taken=True), 409)
        token = links.manage_token(created)
        session[JUST_SUBMITTED] = created.public_id
    except DBAPIError:
        return _render_unavailable(form)
    return redirect(url_for(".manage", token=token), 303)


@bp.post("/consultation/save")
@limiter.limit(_intake_limit)
def save_draft():
    """Save the form to finish later: a valid email only; emails a link that resumes it for 7 days.

    The PHQ-9 is never saved. Item 9 answered above 0 saves nothing: the crisis panel, with the form kept.
    """
    now = utcnow()
    form = IntakeForm(today=_today(now))
    if form.website.data:
        return redirect(url_for(".draft_saved"), 303)  # a bot: look successful, keep nothing
    try:
        slot = _slot_state(form.slot.data or "", now=now)
        if form.self_harm_answered():
            return _render_form(form, slot, 200, crisis=True)
        if not form.valid_for_draft():
            return _render_form(form, slot, 422)
        drafts.save(form.draft_data(), now=now, replaces=form.draft.data or None)
    except DBAPIError:
        return _render_unavailable(form)
    return redirect(url_for(".draft_saved"), 303)


@bp.get("/consultation/saved")
def draft_saved():
    return render_template("intake/draft_saved.html", days=drafts.KEEP_FOR.days)


@bp.get("/consultation/resume/<token>")
def resume_draft(token: str):
    """The form again as it was saved (PHQ-9 empty); a clear page when the link has expired or is unknown."""
    now = utcnow()
    try:
        data = drafts.resume(token, now=now)
    except drafts.DraftExpired:
        return render_template("intake/draft_expired.html", expired=True), 410
    except drafts.DraftNotFound:
        return render_template("intake/draft_expired.html", expired=False), 404
    form = IntakeForm(formdata=None, today=_today(now))
    chosen = data.starts_at.astimezone(ZoneInfo(clinic_info().timezone)).isoformat() if data.starts_at else ""
    form.fill_from_draft(data, slot=chosen, token=token)
    return _render_form(form, _slot_state(chosen, now=now), 200, resumed=True)


@bp.get("/consultation/received")
def received():
    return render_template("intake/received.html")


def _load(token: str) -> ConsultationRequest:
    consultation = links.load_token(token, now=utcnow())
    if consultation is None:
        abort(404, INVALID_LINK)
    return consultation


def _render_manage(
    consultation: ConsultationRequest,
    token: str,
    *,
    now: datetime,
    just_submitted: bool = False,
    problem: str | None = None,
    status: int = 200,
):
    shown = seats.shown_booking(consultation)
    tz = clinic_info().timezone
    return render_template(
        "intake/manage.html",
        token=token,
        reference=consultation.reference,
        when=describe(shown.starts_at, tz, language()) if shown else None,
        ends=describe_time(shown.ends_at, tz, language()) if shown else None,
        # An urgent request stays open after its patient cancels (staff still call): the patient sees
        # their booking as cancelled all the same.
        status_text=STATUS_TEXT[
            RequestStatus.CANCELLED
            if consultation.patient_cancelled_at and not consultation.active_booking
            else consultation.status
        ],
        is_cancelled=consultation.active_booking is None,
        changeable=seats.changeable_by_patient(consultation, now=now),
        just_submitted=just_submitted,
        show_crisis=just_submitted and is_self_harm(consultation.phq9_answers),
        problem=problem,
        cancel_form=CancelForm(),
    ), status


@bp.get("/appointments/<token>")
def manage(token: str):
    """The patient's page: reference, time in clinic time, status. No screening answers or contact details."""
    consultation = _load(token)
    just_submitted = session.pop(JUST_SUBMITTED, None) == consultation.public_id
    return _render_manage(consultation, token, now=utcnow(), just_submitted=just_submitted)


@bp.route("/appointments/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """GET asks first ("Cancel your consultation on …?"); POST cancels."""
    now = utcnow()
    consultation = _load(token)
    if request.method == "GET":
        if consultation.active_booking is None:
            flash(_("This consultation was already cancelled."), "info")
            return redirect(url_for(".manage", token=token), 303)
        if not seats.changeable_by_patient(consultation, now=now):
            return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
        return render_template(
            "intake/cancel.html",
            token=token,
            when=describe(consultation.active_booking.starts_at, clinic_info().timezone, language()),
            cancel_form=CancelForm(),
        )
    try:
        seats.cancel_for_patient(consultation, now=now)
    except seats.NoActiveBooking:
        flash(_("This consultation was already cancelled."), "info")
        return redirect(url_for(".manage", token=token), 303)
    except seats.NotChangeable:
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    flash(_("Your consultation is cancelled. We have emailed you a confirmation."), "success")
    return redirect(url_for(".manage", token=token), 303)


def _render_reschedule(
    consultation: ConsultationRequest,
    token: str,
    form: RescheduleForm,
    *,
    now: datetime,
    week: date,
    problem: str | None = None,
    status: int = 200,
):
    current = consultation.active_booking
    return render_template(
        "intake/reschedule.html",
        form=form,
        token=token,
        reference=consultation.reference,
        current=describe(current.starts_at, clinic_info().timezone, language()),
        picker=availability.picker_week(week, now=now),
        problem=problem,
    ), status


@bp.route("/appointments/<token>/reschedule", methods=["GET", "POST"])
def reschedule(token: str):
    now = utcnow()
    consultation = _load(token)
    if not seats.changeable_by_patient(consultation, now=now):
        if consultation.active_booking is None:
            flash(_("This consultation is cancelled: please request a new one."), "info")
            return redirect(url_for(".manage", token=token), 303)
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    form = RescheduleForm()
    current_day = consultation.active_booking.starts_at.astimezone(clinic_info().rules.tz).date()
    if request.method == "GET":
        try:
            week = date.fromisoformat(request.args.get("week", "")[:10])
        except ValueError:
            week = current_day
        form.slot.data = request.args.get("slot", "")[:64]  # the "earliest free time" jump: chosen already
        return _render_reschedule(consultation, token, form, now=now, week=week)
    if not form.validate():
        return _render_reschedule(consultation, token, form, now=now, week=current_day, status=422)
    starts_at = parse_offered_range(form.slot.data)
    week = starts_at.astimezone(clinic_info().rules.tz).date()
    try:
        seats.reschedule_for_patient(consultation, starts_at, now=now)
    except seats.SameTime:
        form.slot.errors.append(_("That is already your time. Please choose a different one."))
        return _render_reschedule(consultation, token, form, now=now, week=week, status=422)
    except SlotUnavailable:
        return _render_reschedule(
            consultation,
            token,
            form,
            now=now,
            week=week,
            status=409,
            problem=_("Sorry, that time was just taken or is no longer offered. Please choose another."),
        )
    except seats.NoActiveBooking:
        flash(_("This consultation is cancelled: please request a new one."), "info")
        return redirect(url_for(".manage", token=token), 303)
    except seats.NotChangeable:
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    except seats.BookingChanged:
        flash(
            _("Your booking was changed at the same time from somewhere else. Please check it below."), "info"
        )
        return redirect(url_for(".manage", token=token), 303)
    flash(_("Your consultation has moved. We have emailed you the new time."), "success")
    return redirect(url_for(".manage", token=token), 303)


def _new_link_limit() -> str:
    return current_app.config["NEW_LINK_RATE_LIMIT"]


@bp.post("/appointments/<token>/new-link")
@limiter.limit(_new_link_limit)
def new_link(token: str):
    """End this link and email the patient a fresh one (never shown here: whoever holds this link may not
    be the patient)."""
    consultation = _load(token)
    try:
        renewal.renew(consultation, now=utcnow())
    except renewal.LinkChanged:
        abort(404, INVALID_LINK)
    return render_template("intake/new_link_sent.html")


@bp.get("/appointments/<token>/calendar.ics")
def calendar_ics(token: str):
    consultation = _load(token)
    shown = seats.shown_booking(consultation)
    content = notifications.calendar_file(consultation, shown, now=utcnow())
    return Response(
        content,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="consultation.ics"'},
    )
