"""What the clinic emails about a course, and the calendar file with every session.

Neutral wording everywhere: subjects and calendar titles say only "Your appointment with <clinic name>",
never a drug, a diagnosis or a score, so a shared calendar or a glance at a phone tells nobody anything.
Times are in the clinic's timezone and name it. Links use BASE_URL, never the request's Host header. Every
email and the calendar file are in the patient's language (SPEC section 14), also when a job sends them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale, gettext
from icalendar import Calendar, Event

from clinic.i18n import lazy_gettext as _l
from clinic.models import OutboxMessage, SessionStatus, TreatmentCourse, TreatmentSession
from clinic.services.courses.links import course_token
from clinic.services.mail import outbox
from clinic.services.mail.calendar import describe, zone_name
from clinic.services.mail.notifications import base_url, in_language
from clinic.services.rules.read import ClinicInfo, clinic_info

PRODID = "-//Clinic//Treatment course//EN"
ICS_NAME = "appointments.ics"
DRIVER_NOTE = _l(
    "Please arrange for someone to drive you home after each appointment: you should not drive until the "
    "next day, after a night's sleep."
)


def title_for(clinic_name: str) -> str:
    """The one title patients see in subjects and calendars (in the language in force)."""
    return gettext("Your appointment with %(name)s", name=clinic_name)


def language_of(course: TreatmentCourse) -> str:
    """The language every email and calendar file for this course is written in: the patient's."""
    return course.request.language or "en"


def course_url(course: TreatmentCourse) -> str:
    """The course page's link, opening in the patient's language."""
    return in_language(f"{base_url()}/courses/{course_token(course)}", language_of(course))


def course_ics(course: TreatmentCourse, *, info: ClinicInfo, url: str, now: datetime) -> str:
    """One VEVENT per session in the clinic's timezone (TZID, with its VTIMEZONE), from the start to the
    end of monitoring (the patient's time; turnover is the chair's). Each session keeps its UID and its
    SEQUENCE grows with every move or cancel, so calendars update the event; a cancelled one says so."""
    with force_locale(language_of(course)):
        return _course_ics(course, info=info, url=url, now=now)


def _course_ics(course: TreatmentCourse, *, info: ClinicInfo, url: str, now: datetime) -> str:
    language = language_of(course)
    tz = ZoneInfo(info.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-timezone", info.timezone)
    total = len(course.sessions)
    for session in course.sessions:
        cancelled = session.status == SessionStatus.CANCELLED
        event = Event()
        event.add("uid", f"{course.public_id}-{session.number}@courses.clinic")
        event.add("sequence", session.revision)
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at.astimezone(tz))
        event.add("dtend", session.care_ends_at.astimezone(tz))
        event.add("summary", title_for(info.name))
        event.add("location", info.address)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        lines = (
            gettext("Appointment %(number)s of %(total)s.", number=session.number, total=total),
            str(DRIVER_NOTE),
            gettext("Times are %(zone)s.", zone=zone_name(info.timezone, language)),
            gettext("Your appointments: %(url)s", url=url),
            gettext("Questions: %(phone)s", phone=info.phone),
        )
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")


def calendar_file(course: TreatmentCourse, *, now: datetime) -> str:
    return course_ics(course, info=clinic_info(), url=course_url(course), now=now)


def _when(session: TreatmentSession, info: ClinicInfo, language: str) -> str:
    return describe(session.starts_at, info.timezone, language)


def _add(
    kind: str,
    course: TreatmentCourse,
    *,
    now: datetime,
    attach: bool = True,
    **context,
) -> OutboxMessage:
    info = clinic_info()
    url = course_url(course)
    language = language_of(course)
    context = {
        "info": info,
        "first_name": course.request.first_name,
        "course_url": url,
        "driver_note": DRIVER_NOTE,
        "when": lambda session: _when(session, info, language),
        **context,
    }
    attachments = (
        [
            {
                "filename": ICS_NAME,
                "mimetype": "text/calendar",
                "content": course_ics(course, info=info, url=url, now=now),
            }
        ]
        if attach
        else []
    )
    with force_locale(language):
        subject = title_for(info.name)
        text = render_template(f"emails/{kind}.txt", **context)
        html = render_template(f"emails/{kind}.html", **context)
    return outbox.add(kind, [course.request.email], subject, text, html, attachments)


def add_course_booked(course: TreatmentCourse, *, now: datetime) -> OutboxMessage:
    """Every session's time, the course link and the calendar file."""
    sessions = [s for s in course.sessions if s.status == SessionStatus.SCHEDULED]
    return _add("course_booked", course, now=now, sessions=sessions)


def add_session_cancelled(session: TreatmentSession, *, now: datetime) -> OutboxMessage:
    return _add("course_session_cancelled", session.course, now=now, session=session)


def add_session_moved(session: TreatmentSession, previous: datetime, *, now: datetime) -> OutboxMessage:
    info = clinic_info()
    return _add(
        "course_session_moved",
        session.course,
        now=now,
        session=session,
        previous=describe(previous, info.timezone, language_of(session.course)),
    )


def add_session_reminder(session: TreatmentSession, *, now: datetime) -> OutboxMessage:
    """A day before: the time, and a request to confirm the driver home (unless already confirmed)."""
    return _add("course_session_reminder", session.course, now=now, session=session, attach=False)
