"""What the clinic tells patients (and itself) by email: composed here, added to the outbox.

Subjects and calendar titles say only "Your consultation with <clinic name>": never a drug, a
diagnosis or a score. Times name the clinic's timezone. Links use BASE_URL, never the request's
Host header, so a forged header cannot plant a link in an email (development without a BASE_URL follows
the loopback address it is served on: see `base_url`).
"""

from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from clinic.extensions import db
from clinic.models import Booking, ConsultationRequest, OutboxMessage
from clinic.services import unit_of_work
from clinic.services.booking.links import manage_token
from clinic.services.mail import outbox
from clinic.services.mail.calendar import appointment_ics, describe, subject_for
from clinic.services.rules.read import ClinicInfo, clinic_info
from clinic.timeutil import utcnow
from clinic.triage.enums import RequestStatus

REMINDER_WINDOW = timedelta(hours=24)
REMINDABLE = (RequestStatus.NEW, RequestStatus.CONTACTED, RequestStatus.SCHEDULED)
ICS_NAME = "consultation.ics"


# Where links point when BASE_URL is unset (development) and no request says where the app is served.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    """BASE_URL; in development without one, the loopback address the app is served on (security.py)."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return (g.get("served_origin") if has_request_context() else None) or DEVELOPMENT_BASE_URL


def in_language(url: str, language: str) -> str:
    """An emailed link that opens its page in the patient's language (English, the default, needs no
    parameter): the patient may open it on another device, without the language cookie."""
    return url if language == "en" else f"{url}?lang={language}"


def manage_url(consultation: ConsultationRequest) -> str:
    """The patient's manage link, opening in their language."""
    return in_language(f"{base_url()}/appointments/{manage_token(consultation)}", _language(consultation))


def _language(consultation: ConsultationRequest) -> str:
    """The language every email to this patient is written in (SPEC section 14)."""
    return consultation.language or "en"


def calendar_file(consultation: ConsultationRequest, booking: Booking, *, now: datetime) -> str:
    """The .ics text for a booking: the same file the emails attach."""
    return _ics_attachment(consultation, booking, clinic_info(), now=now)["content"]


def _ics_attachment(consultation: ConsultationRequest, booking: Booking, info: ClinicInfo, *, now: datetime):
    content = appointment_ics(
        consultation,
        booking,
        clinic_name=info.name,
        address=info.address,
        phone=info.phone,
        timezone=info.timezone,
        manage_url=manage_url(consultation),
        now=now,
    )
    return {"filename": ICS_NAME, "mimetype": "text/calendar", "content": content}


def _about_booking(
    consultation: ConsultationRequest, booking: Booking, info: ClinicInfo, language: str
) -> dict:
    """What every email about a patient's booking says: the clinic, the time in their language, their link."""
    return {
        "info": info,
        "consultation": consultation,
        "when": describe(booking.starts_at, info.timezone, language),
        "manage_url": manage_url(consultation),
    }


def _patient_message(
    kind: str, consultation: ConsultationRequest, booking: Booking, *, now: datetime, **context
) -> OutboxMessage:
    info = clinic_info()
    language = _language(consultation)
    context = {
        **_about_booking(consultation, booking, info, language),
        "book_url": in_language(f"{base_url()}/book", language),
        **context,
    }
    with force_locale(language):
        text = render_template(f"emails/{kind}.txt", **context)
        html = render_template(f"emails/{kind}.html", **context)
    return outbox.add(
        kind,
        [consultation.email],
        subject_for(info.name, language),
        text,
        html,
        [_ics_attachment(consultation, booking, info, now=now)],
    )


def add_confirmation(consultation: ConsultationRequest, booking: Booking, *, now: datetime) -> OutboxMessage:
    return _patient_message("confirmation", consultation, booking, now=now)


def add_cancellation(consultation: ConsultationRequest, booking: Booking, *, now: datetime) -> OutboxMessage:
    return _patient_message("cancellation", consultation, booking, now=now)


def add_reschedule(
    consultation: ConsultationRequest, old: Booking, new: Booking, *, now: datetime
) -> OutboxMessage:
    info = clinic_info()
    previous = describe(old.starts_at, info.timezone, _language(consultation))
    return _patient_message("reschedule", consultation, new, now=now, previous=previous)


def add_reminder(consultation: ConsultationRequest, booking: Booking, *, now: datetime) -> OutboxMessage:
    return _patient_message("reminder", consultation, booking, now=now)


def add_choose_new_time(consultation: ConsultationRequest, booking: Booking) -> OutboxMessage:
    """Ask the patient to choose a new time for a booking the clinic's hours no longer cover, with their
    manage link made now (so it carries the request's current link version). Neutral on purpose: no reason,
    no health detail, and no calendar file (the time it would hold is the one that has to change)."""
    info = clinic_info()
    language = _language(consultation)
    context = _about_booking(consultation, booking, info, language)
    with force_locale(language):
        text = render_template("emails/choose_new_time.txt", **context)
        html = render_template("emails/choose_new_time.html", **context)
    return outbox.add("choose_new_time", [consultation.email], subject_for(info.name, language), text, html)


def add_urgent_notice(consultation: ConsultationRequest, *, check_in: bool = False) -> OutboxMessage:
    """Tell the clinic at once that a request needs prompt review: reference and link only, nothing else.
    `check_in`: the answer came from a check-in between treatment sessions, not from the intake."""
    info = clinic_info()
    context = {
        "info": info,
        "check_in": check_in,
        "reference": consultation.reference,
        "staff_url": f"{base_url()}/staff/requests/{consultation.id}",
    }
    return outbox.add(
        "urgent",
        [info.email],
        f"Request {consultation.reference} needs prompt review",
        render_template("emails/urgent.txt", **context),
    )


def add_check_in(consultation: ConsultationRequest, *, url: str, expires_at: datetime) -> OutboxMessage:
    """The check-in link: neutral words only (no questionnaire's name, no score, no drug)."""
    info = clinic_info()
    language = _language(consultation)
    context = {
        "info": info,
        "first_name": consultation.first_name,
        "url": in_language(url, language),
        "until": describe(expires_at, info.timezone, language),
    }
    with force_locale(language):
        subject = gettext("A message from %(name)s", name=info.name)
        text = render_template("emails/check_in.txt", **context)
        html = render_template("emails/check_in.html", **context)
    return outbox.add("check_in", [consultation.email], subject, text, html)


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind each active booking starting within 24 hours, once per booking, through the outbox.

    Each booking is claimed by a guarded UPDATE of `reminder_sent_at`, so overlapping runs (cron every
    few minutes, several hosts) never remind twice. Returns how many reminders were added.
    """
    with unit_of_work():
        now = now or utcnow()
        bookings = db.session.scalars(
            select(Booking)
            .join(Booking.request)
            .where(
                Booking.cancelled_at.is_(None),
                Booking.reminder_sent_at.is_(None),
                Booking.starts_at > now,
                Booking.starts_at <= now + REMINDER_WINDOW,
                ConsultationRequest.status.in_(REMINDABLE),
            )
            .options(joinedload(Booking.request))
            .order_by(Booking.starts_at)
        ).all()
        added = []
        for booking in bookings:
            claimed = db.session.execute(
                update(Booking)
                .where(
                    Booking.id == booking.id,
                    Booking.reminder_sent_at.is_(None),
                    Booking.cancelled_at.is_(None),
                )
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                added.append(add_reminder(booking.request, booking, now=now))
    outbox.deliver(added)
    return len(added)
