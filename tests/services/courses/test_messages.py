"""clinic.services.courses.messages: the course emails and calendar file. Neutral wording everywhere (the
title is "Your appointment with <clinic>", never a drug or a diagnosis), times in the clinic's timezone,
every session in one calendar file whose events update in place."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from clinic.extensions import db
from clinic.models import SessionStatus, TreatmentCourse
from clinic.services.courses import links, messages
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow
from tests.fixtures_courses import DRUG_WORDS, INFUSION_DAYS, local, spray_starts

TITLE = "Your appointment with Northfield Clinic"


def drug_words_in(*texts: str | None) -> list[str]:
    everything = " ".join(t or "" for t in texts).lower()
    return [w for w in DRUG_WORDS if w in everything]


@pytest.fixture
def course(app, infusion_course):
    """The infusion course, loaded in the test's own app context."""
    with app.app_context():
        yield db.session.get(TreatmentCourse, infusion_course[0])


def test_the_title_names_only_the_clinic():
    assert messages.title_for("Northfield Clinic") == TITLE
    assert drug_words_in(messages.title_for("Northfield Clinic"), str(messages.DRIVER_NOTE)) == []


def test_the_calendar_has_one_event_per_session_from_start_to_discharge(app, course):
    info = clinic_info()
    url = messages.course_url(course)
    assert url.endswith("/courses/" + links.course_token(course))
    ics = messages.course_ics(course, info=info, url=url, now=utcnow())
    events = list(Calendar.from_ical(ics).walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [f"{course.public_id}-{n}@courses.clinic" for n in range(1, 7)]
    assert all(str(e["summary"]) == TITLE for e in events)
    assert {e["dtstart"].params["TZID"] for e in events} == {"America/New_York"}
    assert "BEGIN:VTIMEZONE" in ics and "TZID:America/New_York" in ics
    first = events[0]
    assert first["dtstart"].dt == local(INFUSION_DAYS[0])
    assert first["dtend"].dt - first["dtstart"].dt == timedelta(minutes=70)  # dose and monitoring only
    description = str(events[1]["description"])
    assert "Appointment 2 of 6." in description and url in description and info.phone in description
    assert "Times are Eastern Time." in description  # the zone in plain words; TZID names it exactly
    assert {str(e["status"]) for e in events} == {"CONFIRMED"}
    assert drug_words_in(ics) == []


def test_a_changed_session_keeps_its_uid_and_a_cancelled_one_says_so(app, course):
    second = course.sessions[1]
    second.status, second.revision = SessionStatus.CANCELLED, 2
    ics = messages.calendar_file(course, now=utcnow())
    events = {str(e["uid"]): e for e in Calendar.from_ical(ics).walk("VEVENT")}
    changed = events[f"{course.public_id}-2@courses.clinic"]
    assert (str(changed["status"]), int(changed["sequence"])) == ("CANCELLED", 2)
    assert int(events[f"{course.public_id}-1@courses.clinic"]["sequence"]) == 0
    assert len(events) == 6  # a cancelled session stays in the file, so calendars drop it
    db.session.rollback()


def test_each_email_is_neutral_and_carries_the_course_link(app, course):
    now = utcnow()
    session = course.sessions[0]
    written = [
        messages.add_course_booked(course, now=now),
        messages.add_session_cancelled(session, now=now),
        messages.add_session_moved(session, session.starts_at - timedelta(days=1), now=now),
        messages.add_session_reminder(session, now=now),
    ]
    assert course.kind.name == "IV ketamine infusion"  # the stored name is never what patients read
    for message in written:
        assert message.subject == TITLE
        assert message.recipients == [course.request.email]
        assert messages.course_url(course) in message.body_text
        assert course.request.first_name in message.body_text
        ics = "".join(a["content"] for a in message.attachments)
        assert drug_words_in(message.subject, message.body_text, message.body_html, ics) == [], message.kind
    booked, cancelled, moved, reminder = written
    assert [a["filename"] for a in booked.attachments] == [messages.ICS_NAME]
    assert booked.attachments[0]["mimetype"] == "text/calendar"
    assert reminder.attachments == []  # the reminder sends no calendar again
    assert "Monday, March 1, 2027" in cancelled.body_text and "cancelled" in cancelled.body_text
    assert "Sunday, February 28, 2027" in moved.body_text  # the time it was before
    db.session.rollback()


def test_a_spray_course_email_never_names_the_drug(app, completed_request, enrol, book):
    request_id = completed_request(modality="nasal_spray")
    enrol(request_id)
    course_id = book(request_id, "nasal_spray", spray_starts())
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        assert drug_words_in(course.kind.name) != []
        message = messages.add_course_booked(course, now=utcnow())
        ics = message.attachments[0]["content"]
        assert drug_words_in(message.subject, message.body_text, message.body_html, ics) == []
        assert len(list(Calendar.from_ical(ics).walk("VEVENT"))) == 12
        db.session.rollback()


# The patient's language (SPEC section 14): written without a request, as the jobs send them.
SPANISH = {
    "course_booked": (
        "Sus citas con Northfield Clinic están reservadas",
        "lunes, 1 de marzo de 2027 a las 9:00",
    ),
    "course_session_cancelled": ("está cancelada", "lunes, 1 de marzo de 2027 a las 9:00"),
    "course_session_moved": ("cambió de hora", "domingo, 28 de febrero de 2027"),
    "course_session_reminder": (
        "Un recordatorio: su cita con Northfield Clinic",
        "lunes, 1 de marzo de 2027",
    ),
}
ENGLISH = {
    "course_booked": (
        "Your appointments with Northfield Clinic are booked",
        "Monday, March 1, 2027 at 9:00 AM",
    ),
    "course_session_cancelled": ("is cancelled", "Monday, March 1, 2027 at 9:00 AM"),
    "course_session_moved": ("has moved", "Sunday, February 28, 2027"),
    "course_session_reminder": (
        "A reminder: your appointment with Northfield Clinic",
        "Monday, March 1, 2027",
    ),
}


def _every_email(course: TreatmentCourse) -> dict:
    now = utcnow()
    session = course.sessions[0]
    written = [
        messages.add_course_booked(course, now=now),
        messages.add_session_cancelled(session, now=now),
        messages.add_session_moved(session, session.starts_at - timedelta(days=1), now=now),
        messages.add_session_reminder(session, now=now),
    ]
    return {message.kind: message for message in written}


@pytest.mark.parametrize("kind", sorted(SPANISH))
def test_each_course_email_is_in_spanish_for_a_spanish_speaking_patient(app, completed_request, book, kind):
    request_id = completed_request(language="es")
    course_id = book(request_id, "infusion", [local(d) for d in INFUSION_DAYS])
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        message = _every_email(course)[kind]
        sentence, day = SPANISH[kind]
        assert message.subject == "Su cita con Northfield Clinic"
        for body in (message.body_text, message.body_html):
            assert sentence in body and day in body
            assert "Hello" not in body and "appointment" not in body.lower()
        assert message.body_text.startswith("Hola, ")
        assert '<html lang="es">' in message.body_html
        assert messages.course_url(course) in message.body_text
        assert messages.course_url(course).endswith("?lang=es")
        for attachment in message.attachments:
            description = str(
                next(iter(Calendar.from_ical(attachment["content"]).walk("VEVENT")))["description"]
            )
            assert description.startswith("Cita 1 de 6.") and "manejar" in description
        db.session.rollback()


@pytest.mark.parametrize("kind", sorted(ENGLISH))
def test_each_course_email_stays_english_for_an_english_speaking_patient(app, course, kind):
    message = _every_email(course)[kind]
    sentence, day = ENGLISH[kind]
    assert message.subject == TITLE
    for body in (message.body_text, message.body_html):
        assert sentence in body and day in body
    assert message.body_text.startswith("Hello ")
    assert '<html lang="en">' in message.body_html
    assert "?lang=" not in message.body_text
    db.session.rollback()
