"""The intake form (/consultation) and the patient's self-service pages (/appointments/<token>)."""

import unicodedata
from contextlib import suppress
from datetime import date, datetime, timedelta
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
from sqlalchemy.exc import DBAPIError
from wtforms import RadioField, SelectMultipleField

from clinic.extensions import db, limiter
from clinic.intake.forms import CancelForm, IntakeForm, RescheduleForm, parse_offered_range
from clinic.models import ConsultationRequest
from clinic.scheduling import OfferedSlot, SlotUnavailable
from clinic.services.booking import availability, intake, links, seats
from clinic.services.mail import notifications
from clinic.services.mail.calendar import describe, describe_time
from clinic.services.rules.read import DEFAULTS, ClinicInfo, clinic_info
from clinic.timeutil import utcnow
from clinic.triage.enums import Modality, PreferredContact, RequestStatus
from clinic.triage.screening import CONDITIONS, PHQ9_QUESTION

bp = Blueprint("intake", __name__)

JUST_SUBMITTED = "intake_submitted"  # session key: the public id of the request just made, nothing else
STATUS_TEXT = {
    RequestStatus.NEW: "Booked. We will contact you before the appointment.",
    RequestStatus.CONTACTED: "Booked. We have been in touch about your request.",
    RequestStatus.SCHEDULED: "Confirmed.",
    RequestStatus.COMPLETED: "Completed.",
    RequestStatus.CANCELLED: "Cancelled.",
    RequestStatus.DECLINED: "Closed. Please call us if you have questions.",
    RequestStatus.NO_SHOW: "Missed. Please call us to arrange another time.",
}
CALL_US = "This booking can no longer be changed online. Please call us."
INVALID_LINK = (
    "This booking link is not valid any more. Links stop working a day after the appointment, and a "
    "link copied only in part does not work. If you need help with a booking, please call us."
)


def _intake_limit() -> str:
    return current_app.config["INTAKE_RATE_LIMIT"]


def _clinic_today(now: datetime) -> date:
    return now.astimezone(clinic_info().rules.tz).date()


def _info_or_none() -> ClinicInfo | None:
    """The clinic's settings, or None while the database cannot be reached."""
    try:
        return clinic_info()
    except DBAPIError:
        _rollback_quietly()
        return None


def _rollback_quietly() -> None:
    with suppress(DBAPIError):  # the connection may be gone: then there is nothing to roll back
        db.session.rollback()


def _local_iso(starts_at: datetime) -> str:
    return starts_at.astimezone(clinic_info().rules.tz).isoformat()


def _slot_choices(slots: list[OfferedSlot]) -> list[dict]:
    """Slots as radio buttons: the value the picker uses, and a label in clinic time."""
    tz = clinic_info().timezone
    return [{"value": _local_iso(s.starts_at), "label": describe(s.starts_at, tz)} for s in slots]


def _slot_state(text: str, *, now: datetime, taken: bool = False) -> dict:
    """What the form shows about the time: the chosen offered slot, or why not and what to pick instead."""
    try:
        starts_at = parse_offered_range(text)
    except ValueError:
        return {
            "chosen": None,
            "problem": "missing",
            "choices": _slot_choices(availability.nearest_slots(None, now=now)),
        }
    if not taken:
        try:
            slot = availability.offered_slot(starts_at, now=now)
        except SlotUnavailable:
            taken = True
        else:
            return {
                "chosen": {
                    "value": _local_iso(slot.starts_at),
                    "label": describe(slot.starts_at, clinic_info().timezone),
                    "week": slot.starts_at.astimezone(clinic_info().rules.tz).date().isoformat(),
                },
                "problem": None,
                "choices": [],
            }
    nearest = availability.nearest_slots(starts_at, now=now)
    return {
        "chosen": None,
        "problem": "taken",
        "choices": _slot_choices(nearest),
        "wanted": describe(starts_at, clinic_info().timezone),
    }


def _render_form(form: IntakeForm, slot_state: dict, status: int, *, unavailable: bool = False):
    errors = [
        (f"{f.id}-0" if isinstance(f, RadioField | SelectMultipleField) else f.id, f.label.text, f.errors[0])
        for f in form
        if f.errors and f.name not in {"csrf_token", "slot"}
    ]
    if form.slot.errors:
        errors.insert(0, ("time-heading", form.slot.label.text, form.slot.errors[0]))
    info = None if unavailable else clinic_info()
    return render_template(
        "intake/consultation.html",
        form=form,
        slot=slot_state,
        error_summary=[] if unavailable else errors,
        phq9_question=PHQ9_QUESTION,
        conditions=CONDITIONS,
        info=info,
        unavailable=unavailable,
    ), status


def _render_unavailable(form: IntakeForm):
    """The database failed mid-submit: the form again with everything typed, 503 and Retry-After."""
    _rollback_quietly()
    try:
        typed = datetime.fromisoformat((form.slot.data or "").strip())
        hour = typed.strftime("%I").lstrip("0")
        label = f"{typed.strftime('%A, %B')} {typed.day}, {typed.year} at {hour}:{typed.strftime('%M %p')}"
        slot_state = {
            "chosen": {"value": form.slot.data, "label": label, "week": None},
            "problem": None,
            "choices": [],
        }
    except ValueError:
        slot_state = {"chosen": None, "problem": "missing", "choices": []}
    html, _ = _render_form(form, slot_state, 503, unavailable=True)
    return html, 503, {"Retry-After": "5"}


def _clean_text(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n").strip())


def _intake_data(form: IntakeForm) -> intake.IntakeData:
    return intake.IntakeData(
        starts_at=parse_offered_range(form.slot.data),
        first_name=_clean_text(form.first_name.data),
        last_name=_clean_text(form.last_name.data),
        email=form.parsed_email,
        phone=form.parsed_phone,
        date_of_birth=form.parsed_birth,
        preferred_contact=PreferredContact(form.preferred_contact.data),
        phq9=form.phq9_answers,
        antidepressant_trials=form.parsed_trials,
        modality=Modality(form.modality.data),
        conditions=tuple(code for code in CONDITIONS if code in set(form.conditions.data or [])),
        medications=_clean_text(form.medications.data),
        notes=_clean_text(form.notes.data),
    )


@bp.route("/consultation", methods=["GET", "POST"])
@limiter.limit(_intake_limit, methods=["POST"])
def consultation():
    """The intake form: 303 to the manage page, 422 on bad input, 409 when the slot went. Nothing is lost."""
    now = utcnow()
    info = _info_or_none()
    form = IntakeForm(today=now.astimezone(ZoneInfo(info.timezone if info else DEFAULTS["timezone"])).date())
    if request.method == "GET":
        form.slot.data = request.args.get("slot", "")[:64]
        return _render_form(form, _slot_state(form.slot.data, now=now), 200)
    if form.website.data:
        return redirect(url_for(".received"), 303)  # a bot: look successful, keep nothing
    try:
        if not form.validate():
            return _render_form(form, _slot_state(form.slot.data or "", now=now), 422)
        try:
            created = intake.submit(_intake_data(form), now=now)
        except SlotUnavailable:
            return _render_form(form, _slot_state(form.slot.data, now=now, taken=True), 409)
        token = links.manage_token(created)
        session[JUST_SUBMITTED] = created.public_id
    except DBAPIError:
        return _render_unavailable(form)
    return redirect(url_for(".manage", token=token), 303)


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
        when=describe(shown.starts_at, tz) if shown else None,
        ends=describe_time(shown.ends_at, tz) if shown else None,
        status_text=STATUS_TEXT[consultation.status],
        is_cancelled=consultation.active_booking is None,
        changeable=seats.changeable_by_patient(consultation, now=now),
        just_submitted=just_submitted,
        show_crisis=just_submitted and consultation.phq9_answers[8] > 0,
        problem=problem,
        cancel_form=CancelForm(),
    ), status


@bp.get("/appointments/<token>")
def manage(token: str):
    """The patient's page: reference, time in clinic time, status. No screening answers or contact details."""
    consultation = _load(token)
    just_submitted = session.pop(JUST_SUBMITTED, None) == consultation.public_id
    return _render_manage(consultation, token, now=utcnow(), just_submitted=just_submitted)


@bp.post("/appointments/<token>/cancel")
def cancel(token: str):
    now = utcnow()
    consultation = _load(token)
    try:
        seats.cancel_for_patient(consultation, now=now)
    except seats.NoActiveBooking:
        flash("This consultation was already cancelled.", "info")
        return redirect(url_for(".manage", token=token), 303)
    except seats.NotChangeable:
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    flash("Your consultation is cancelled. We have emailed you a confirmation.", "success")
    return redirect(url_for(".manage", token=token), 303)


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


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
    info = clinic_info()
    today = _clinic_today(now)
    first_week, last_week = _week_of(today), _week_of(today + timedelta(days=info.horizon_days))
    week = min(max(_week_of(week), first_week), last_week)
    schedule, days = availability.days_from(week, 7, now=now)
    current = consultation.active_booking
    return render_template(
        "intake/reschedule.html",
        form=form,
        token=token,
        reference=consultation.reference,
        current=describe(current.starts_at, info.timezone),
        current_value=_local_iso(current.starts_at),
        days=days,
        tz=schedule.tz,
        week=week,
        prev_week=week - timedelta(days=7) if week > first_week else None,
        next_week=week + timedelta(days=7) if week < last_week else None,
        problem=problem,
    ), status


@bp.route("/appointments/<token>/reschedule", methods=["GET", "POST"])
def reschedule(token: str):
    now = utcnow()
    consultation = _load(token)
    if not seats.changeable_by_patient(consultation, now=now):
        if consultation.active_booking is None:
            flash("This consultation is cancelled: please request a new one.", "info")
            return redirect(url_for(".manage", token=token), 303)
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    form = RescheduleForm()
    current_day = consultation.active_booking.starts_at.astimezone(clinic_info().rules.tz).date()
    if request.method == "GET":
        try:
            week = date.fromisoformat(request.args.get("week", "")[:10])
        except ValueError:
            week = current_day
        return _render_reschedule(consultation, token, form, now=now, week=week)
    if not form.validate():
        return _render_reschedule(consultation, token, form, now=now, week=current_day, status=422)
    starts_at = parse_offered_range(form.slot.data)
    week = starts_at.astimezone(clinic_info().rules.tz).date()
    try:
        seats.reschedule_for_patient(consultation, starts_at, now=now)
    except seats.SameTime:
        form.slot.errors.append("That is already your time. Please choose a different one.")
        return _render_reschedule(consultation, token, form, now=now, week=week, status=422)
    except SlotUnavailable:
        return _render_reschedule(
            consultation,
            token,
            form,
            now=now,
            week=week,
            status=409,
            problem="Sorry, that time was just taken or is no longer offered. Please choose another.",
        )
    except seats.NoActiveBooking:
        flash("This consultation is cancelled: please request a new one.", "info")
        return redirect(url_for(".manage", token=token), 303)
    except seats.NotChangeable:
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    except seats.BookingChanged:
        flash("Your booking was changed at the same time from somewhere else. Please check it below.", "info")
        return redirect(url_for(".manage", token=token), 303)
    flash("Your consultation has moved. We have emailed you the new time.", "success")
    return redirect(url_for(".manage", token=token), 303)


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
