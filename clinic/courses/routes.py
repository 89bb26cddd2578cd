"""The patient's course page, by a signed link (never an id): every appointment of the course, its time in
clinic time and status, the driver home confirmed, an appointment cancelled (after asking), the calendar
file. Neutral wording: nothing here names a drug, a diagnosis or a score, so the page tells nothing to
someone else who holds the link.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from clinic.i18n import language
from clinic.i18n import lazy_gettext as _l
from clinic.models import SessionStatus, TreatmentCourse
from clinic.services.courses import links, messages, sessions
from clinic.services.courses.errors import SessionNotFound, SessionRefused
from clinic.services.mail.calendar import describe, describe_time
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

bp = Blueprint("courses", __name__, url_prefix="/courses")

INVALID_LINK = _l(
    "This link to your appointments is not valid any more. Links stop working 30 days after the last "
    "appointment, and a link copied only in part does not work. If you need help, please call us."
)
CANCEL_CLOSED = _l("This appointment can no longer be cancelled online. Please call us.")
STATUS_TEXT = {
    SessionStatus.SCHEDULED: _l("Booked"),
    SessionStatus.COMPLETED: _l("Done"),
    SessionStatus.NO_SHOW: _l("Missed: please call us to talk about it"),
    SessionStatus.CANCELLED: _l("Cancelled"),
}
# Why a change the patient asked for was refused, by the appointment's status once reloaded (the service's
# own messages are written for staff, in English).
REFUSED = {
    SessionStatus.COMPLETED: _l("This appointment is already done."),
    SessionStatus.NO_SHOW: _l("This appointment was missed: please call us to talk about it."),
    SessionStatus.CANCELLED: _l("This appointment is already cancelled."),
}
STARTED = _l("This appointment has started or is over: please call us.")


class ConfirmForm(FlaskForm):
    """A button with nothing to fill in: the CSRF token only."""


def _load(token: str) -> TreatmentCourse:
    course = links.load_token(token, now=utcnow())
    if course is None:
        abort(404, INVALID_LINK)
    return course


def _refusal(course: TreatmentCourse, number: int) -> str:
    """The refusal the patient reads, in the page's language."""
    try:
        session = sessions.by_number(course, number)
    except SessionNotFound:
        return str(CANCEL_CLOSED)
    return str(REFUSED.get(SessionStatus(session.status), STARTED))


def _appointments(course: TreatmentCourse) -> list[dict]:
    tz = clinic_info().timezone
    now = utcnow()
    return [
        {
            "number": s.number,
            "when": describe(s.starts_at, tz, language()),
            "until": describe_time(s.care_ends_at, tz, language()),
            "status": STATUS_TEXT[s.status],
            "upcoming": s.status == SessionStatus.SCHEDULED and s.starts_at > now,
            "driver_confirmed": s.driver_confirmed_at is not None,
            "iso": s.starts_at.isoformat(),
        }
        for s in course.sessions
    ]


def _render(course: TreatmentCourse, token: str, *, problem: str | None = None, status: int = 200):
    return render_template(
        "courses/course.html",
        token=token,
        reference=course.request.reference,
        appointments=_appointments(course),
        form=ConfirmForm(),
        problem=problem,
    ), status


@bp.get("/<token>")
def course(token: str):
    """Every appointment of the course with its time (clinic time) and status, and the support box."""
    return _render(_load(token), token)


@bp.get("/<token>/calendar.ics")
def calendar_ics(token: str):
    content = messages.calendar_file(_load(token), now=utcnow())
    return Response(
        content,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="appointments.ics"'},
    )


@bp.post("/<token>/sessions/<int:number>/driver")
def confirm_driver(token: str, number: int):
    course = _load(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        sessions.confirm_driver_for_patient(course, number, now=utcnow())
    except SessionNotFound:
        abort(404)
    except SessionRefused:
        course = _load(token)
        return _render(course, token, problem=_refusal(course, number), status=409)
    flash(_("Thank you: your driver home for appointment %(number)s is confirmed.", number=number), "success")
    return redirect(url_for(".course", token=token, _anchor=f"appointment-{number}"), 303)


@bp.route("/<token>/sessions/<int:number>/cancel", methods=["GET", "POST"])
def cancel(token: str, number: int):
    """Asks "cancel your appointment on <time>?" first; the POST cancels it and frees the chair."""
    course = _load(token)
    try:
        session = sessions.by_number(course, number)
    except SessionNotFound:
        abort(404)
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        try:
            sessions.cancel_for_patient(course, number, now=utcnow())
        except SessionRefused:
            course = _load(token)
            return _render(course, token, problem=_refusal(course, number), status=409)
        flash(
            _("Appointment %(number)s is cancelled. We have emailed you a confirmation.", number=number),
            "success",
        )
        return redirect(url_for(".course", token=token), 303)
    if session.status != SessionStatus.SCHEDULED or session.starts_at <= utcnow():
        return _render(course, token, problem=str(CANCEL_CLOSED), status=409)
    return render_template(
        "courses/cancel.html",
        token=token,
        number=number,
        when=describe(session.starts_at, clinic_info().timezone, language()),
        form=form,
    )
