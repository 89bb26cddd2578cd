"""clinic.services.mail.calendar: appointment times in words, and the .ics file a booking carries. No app."""

from datetime import UTC, datetime, time
from types import SimpleNamespace

from icalendar import Calendar

from clinic.services.mail import calendar

NY = "America/New_York"


def test_clock_text_is_twelve_hour():
    assert [calendar.clock_text(time(h, m)) for h, m in [(0, 5), (8, 0), (12, 0), (17, 30)]] == [
        "12:05 AM",
        "8:00 AM",
        "12:00 PM",
        "5:30 PM",
    ]


def test_describe_names_the_clinic_timezone_or_keeps_the_time_as_given():
    moment = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert calendar.describe(moment, NY) == "Monday, November 23, 2026 at 9:00 AM Eastern Time"
    assert calendar.describe(datetime(2026, 7, 6, 13, 30, tzinfo=UTC), NY).endswith("9:30 AM Eastern Time")
    assert calendar.describe(datetime.fromisoformat("2026-11-23T09:00:00-05:00"), None) == (
        "Monday, November 23, 2026 at 9:00 AM"
    )
    assert calendar.describe_time(moment, NY) == "9:00 AM"


def booking(starts: datetime, *, cancelled: bool = False):
    return SimpleNamespace(
        starts_at=starts, ends_at=starts.replace(minute=30), cancelled_at=starts if cancelled else None
    )


def test_the_calendar_file_keeps_one_event_across_changes_and_cancels_it():
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    held = booking(start)
    consultation = SimpleNamespace(reference="KT-7Q4M2X", bookings=[held])
    details = {
        "clinic_name": "Northfield Clinic",
        "address": "120 Harbor Street",
        "phone": "(212) 555-0142",
        "timezone": NY,
        "manage_url": "https://clinic.example/appointments/token",
        "now": start,
    }
    event = Calendar.from_ical(calendar.appointment_ics(consultation, held, **details)).walk("VEVENT")[0]
    assert str(event["uid"]) == "KT-7Q4M2X@consultations.clinic"
    assert str(event["summary"]) == "Your consultation with Northfield Clinic"
    assert event["dtstart"].dt == start and str(event["status"]) == "CONFIRMED"
    gone = booking(start, cancelled=True)
    cancelled = Calendar.from_ical(calendar.appointment_ics(consultation, gone, **details))
    assert str(cancelled["method"]) == "CANCEL"
    assert str(cancelled.walk("VEVENT")[0]["uid"]) == str(event["uid"])
    assert int(cancelled.walk("VEVENT")[0]["sequence"]) == int(event["sequence"]) + 1


def test_the_zone_is_named_as_patients_say_it_never_as_an_iana_name_or_an_abbreviation():
    assert calendar.zone_name("America/New_York") == "Eastern Time"
    assert calendar.zone_name("America/Chicago") == "Central Time"
    assert calendar.zone_name("America/Los_Angeles") == "Pacific Time"
    assert calendar.zone_name("UTC") == "UTC"
    # the same words in winter and in summer: no EST/EDT to get wrong twice a year
    winter = calendar.describe(datetime(2026, 1, 5, 14, 0, tzinfo=UTC), "America/Chicago")
    summer = calendar.describe(datetime(2026, 7, 6, 13, 0, tzinfo=UTC), "America/Chicago")
    assert winter.endswith("8:00 AM Central Time") and summer.endswith("8:00 AM Central Time")


def test_spanish_words_for_a_spanish_speaking_patient():
    """SPEC section 14: times, zones and the calendar's title in the patient's language."""
    from datetime import UTC, datetime, time

    from clinic.services.mail.calendar import clock_text, describe, subject_for, zone_name

    starts_at = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert (
        describe(starts_at, "America/New_York", "es")
        == "lunes, 23 de noviembre de 2026 a las 9:00 a.m. (hora oriental)"
    )
    assert describe(starts_at, "America/New_York") == "Monday, November 23, 2026 at 9:00 AM Eastern Time"
    assert clock_text(time(17, 30), "es") == "5:30 p.m."
    assert zone_name("America/Los_Angeles", "es") == "hora del Pacífico"
    assert subject_for("Northfield Clinic", "es") == "Su consulta con Northfield Clinic"
