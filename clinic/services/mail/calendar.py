"""Calendar files (.ics) for a booking, and how appointment times are written for patients.

Times are always given in the clinic's timezone and name it, in calendar files and in words.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from icalendar import Calendar, Event

from clinic.models import Booking, ConsultationRequest

PRODID = "-//Clinic//Consultation booking//EN"


def subject_for(clinic_name: str, language: str = "en") -> str:
    """The one title patients see in subjects and calendars: never a drug, a diagnosis or a score."""
    if language == "es":
        return f"Su consulta con {clinic_name}"
    return f"Your consultation with {clinic_name}"


# The Spanish the clinic writes: the United States' (12-hour clock, "9:00 a.m.").
SPANISH = "es_US"


def clock_text(value: time, language: str = "en") -> str:
    """A wall-clock time as US patients read it: 9:00 AM, 5:30 PM (in Spanish 9:00 a.m., 5:30 p.m.)."""
    if language == "es":
        return format_time(value, "h:mm a", locale=SPANISH)
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def zone_name(timezone: str, language: str = "en") -> str:
    """The clinic's timezone as patients say it: 'Eastern Time' for America/New_York, 'Pacific Time' for
    America/Los_Angeles; never an abbreviation that changes twice a year, nor an IANA name."""
    if timezone in {"UTC", "Etc/UTC"}:
        return "UTC"
    try:
        locale = SPANISH if language == "es" else "en_US"
        name = get_timezone_name(ZoneInfo(timezone), "long", locale=locale, zone_variant="generic")
    except (LookupError, ValueError):
        name = ""
    if not name or name.startswith("Unknown"):
        return timezone.rsplit("/", 1)[-1].replace("_", " ") + " time"
    return name


def describe(starts_at: datetime, timezone: str | None, language: str = "en") -> str:
    """E.g. 'Monday, November 23, 2026 at 9:00 AM Eastern Time'
    ('lunes, 23 de noviembre de 2026 a las 9:00 a.m. (hora oriental)' in Spanish).

    With no timezone (the settings cannot be read), the time as given, without naming a zone:
    'Monday, November 23, 2026 at 9:00 AM'.
    """
    if timezone is None:
        if language == "es":
            day = format_date(starts_at, "EEEE, d 'de' MMMM 'de' y", locale=SPANISH)
            return f"{day} a las {clock_text(starts_at.time(), language)}"
        day = f"{starts_at.strftime('%A, %B')} {starts_at.day}, {starts_at.year}"
        return f"{day} at {clock_text(starts_at.time())}"
    local = starts_at.astimezone(ZoneInfo(timezone))
    if language == "es":
        return f"{describe(local, None, language)} ({zone_name(timezone, language)})"
    return f"{describe(local, None)} {zone_name(timezone)}"


def describe_time(starts_at: datetime, timezone: str, language: str = "en") -> str:
    """Just the local clock time, e.g. '9:00 AM'."""
    return clock_text(starts_at.astimezone(ZoneInfo(timezone)).time(), language)


def appointment_ics(
    consultation: ConsultationRequest,
    booking: Booking,
    *,
    clinic_name: str,
    address: str,
    phone: str,
    timezone: str,
    manage_url: str,
    now: datetime,
) -> str:
    """One VEVENT in the clinic's timezone (with its VTIMEZONE). The UID stays the same across
    reschedules and SEQUENCE grows, so a calendar updates the event instead of adding another;
    a cancelled booking gives METHOD:CANCEL so calendars remove it."""
    tz = ZoneInfo(timezone)
    cancelled = booking.cancelled_at is not None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{consultation.reference}@consultations.clinic")
    event.add("sequence", len(consultation.bookings) + (1 if cancelled else 0))
    event.add("dtstamp", now)
    event.add("dtstart", booking.starts_at.astimezone(tz))
    event.add("dtend", booking.ends_at.astimezone(tz))
    language = getattr(consultation, "language", None) or "en"
    event.add("summary", subject_for(clinic_name, language))
    event.add("location", address)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if language == "es":
        description = (
            f"Referencia: {consultation.reference}\n"
            f"Las horas son en {zone_name(timezone, language)}.\n"
            f"Para cambiar o cancelar: {manage_url}\n"
            f"Preguntas: {phone}"
        )
    else:
        description = (
            f"Reference: {consultation.reference}\n"
            f"Times are {zone_name(timezone)}.\n"
            f"To change or cancel: {manage_url}\n"
            f"Questions: {phone}"
        )
    event.add("description", description)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")
