"""Booking rules and contact details. A new slot length or timezone never moves a booking: each keeps its
exact instant (stored in UTC), and those no longer on the new slot grid are flagged for staff."""

from dataclasses import asdict
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from clinic.extensions import db
from clinic.models import ClinicSettings
from clinic.scheduling import Schedule
from clinic.scheduling.fit import left_outside
from clinic.services import unit_of_work
from clinic.services.booking import openings
from clinic.services.rules import changes, read

# What an admin submits is the same value as what every page reads: one type for both.
SettingsInput = read.ClinicInfo

FIELDS = tuple(SettingsInput.__dataclass_fields__)


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA names zoneinfo knows, sorted (for validation and the page's suggestions)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def current_settings() -> SettingsInput:
    row = db.session.get(ClinicSettings, 1)
    if row is None:
        return SettingsInput(**read.DEFAULTS)
    return SettingsInput(**{name: getattr(row, name) for name in FIELDS})


CONTROL_CHARACTERS = (
    "Use letters, numbers, spaces and punctuation only: no line breaks, tabs or control characters."
)


def control_character_errors(new: SettingsInput) -> dict[str, str]:
    """The clinic's name, phone and email go into email headers, calendar files and every page: a line
    break there broke every later email. The address may have line breaks (one per line), nothing else."""
    errors = {}
    for name in ("name", "phone", "email", "timezone"):
        if not str(getattr(new, name)).isprintable():
            errors[name] = CONTROL_CHARACTERS
    if not all(line.isprintable() for line in new.address.replace("\r\n", "\n").split("\n")):
        errors["address"] = (
            "Use letters, numbers, spaces and punctuation only, and line breaks between lines."
        )
    return errors


def preview_settings(new: SettingsInput, *, now: datetime) -> list[changes.BookingRef]:
    """The active future bookings the new slot length or timezone would leave off the grid."""
    errors = control_character_errors(new)
    if new.timezone not in available_timezones():
        errors["timezone"] = "Choose a timezone from the list, such as America/New_York."
    hours = read.stored_hours()
    errors.update(changes.slot_fit_errors(hours, new.slot_minutes, field="slot_minutes"))
    if errors:
        raise changes.AdminChangeError(errors)
    old = current_settings()
    if (old.slot_minutes, old.timezone) == (new.slot_minutes, new.timezone):
        return []
    bookings = changes.active_bookings_from(now)
    if not bookings:
        return []
    first, last = changes.date_span(bookings, Schedule(hours, (), old.rules))
    closures = read.closures_between(first - timedelta(days=1), last + timedelta(days=1))
    return left_outside(Schedule(hours, closures, old.rules), Schedule(hours, closures, new.rules), bookings)


def offers_new_seats(old: SettingsInput, new: SettingsInput) -> bool:
    """Whether the new rules make seats bookable that were not: more capacity, shorter notice, a longer
    horizon, or a new slot grid (slot length, timezone)."""
    return (
        new.capacity > old.capacity
        or new.min_notice_hours < old.min_notice_hours
        or new.horizon_days > old.horizon_days
        or (new.slot_minutes, new.timezone) != (old.slot_minutes, old.timezone)
    )


def update_settings(
    new: SettingsInput, *, actor_id: int | None, now: datetime, confirmed: bool
) -> list[int] | None:
    """Save the settings. Returns the ids of the bookings flagged, or None when nothing changed.

    Raises ConfirmationNeeded (nothing saved) if bookings would leave the slot grid and `confirmed` is false.
    """
    with unit_of_work():
        old = current_settings()
        if old == new:
            return None
        affected = preview_settings(new, now=now)
        changes.confirm_bookings_or_raise(affected, confirmed=confirmed)
        row = db.session.get(ClinicSettings, 1) or ClinicSettings(id=1)
        for name, value in asdict(new).items():
            setattr(row, name, value)
        db.session.add(row)
        if offers_new_seats(old, new):
            horizon = timedelta(days=new.horizon_days + 1)
            openings.seats_freed(now, now + horizon, reason=openings.RULES_CHANGED, now=now)
        before, after = asdict(old), asdict(new)
        changed = [name for name in FIELDS if before[name] != after[name]]
        flagged = changes.flag_and_record(
            affected,
            f"Off the slot grid after the settings change of {changes.change_date(now)}",
            now=now,
            action="admin.settings",
            actor_id=actor_id,
            record_type="clinic_settings",
            record_id=1,
            details={
                "before": {name: before[name] for name in changed},
                "after": {name: after[name] for name in changed},
            },
        )
    read.forget()
    return flagged
