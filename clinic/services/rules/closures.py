"""Closures: whole days or part days over a date range. Bookings inside a new closure are kept and flagged."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Closure
from clinic.scheduling import ClosureRule, Schedule
from clinic.scheduling.fit import left_outside
from clinic.scheduling.slots import local_instant
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking import openings
from clinic.services.rules import changes, read
from clinic.timeutil import utcnow

MAX_DAYS = 366


# What an admin submits is the scheduling core's own closure value: one type for both.
ClosureInput = ClosureRule


def audit_details(closure: ClosureRule) -> dict:
    """Audit details: dates, times and the reason (a calendar note, never health data)."""
    return {
        "start_date": closure.start_date.isoformat(),
        "end_date": closure.end_date.isoformat(),
        "start_time": closure.start_time.strftime("%H:%M") if closure.start_time else None,
        "end_time": closure.end_time.strftime("%H:%M") if closure.end_time else None,
        "reason": closure.reason,
    }


def closure_errors(closure: ClosureInput, *, today: date) -> dict[str, str]:
    """The rules a closure must follow, by form field."""
    errors = {}
    if closure.end_date < closure.start_date:
        errors["end_date"] = "The last day must be on or after the first day."
    elif (closure.end_date - closure.start_date).days >= MAX_DAYS:
        errors["end_date"] = "A closure can last at most a year; add another one for a longer break."
    elif closure.end_date < today:
        errors["end_date"] = "That closure is already over: choose dates from today on."
    if (closure.start_time is None) != (closure.end_time is None):
        missing = "end_time" if closure.end_time is None else "start_time"
        errors[missing] = "Give both a start and an end time, or neither for whole days."
    elif closure.start_time and closure.end_time and closure.end_time <= closure.start_time:
        errors["end_time"] = "The end time must be after the start time."
    if not closure.reason.strip():
        errors["reason"] = "Give a reason, such as a holiday or training."
    return errors


def preview_closure(closure: ClosureInput, *, now: datetime) -> list[changes.BookingRef]:
    """The active future bookings the closure would cover; AdminChangeError if it breaks a rule."""
    info = read.clinic_info()
    tz = info.rules.tz
    errors = closure_errors(closure, today=now.astimezone(tz).date())
    if errors:
        raise changes.AdminChangeError(errors)
    bookings = changes.active_bookings_from(
        max(now, local_instant(closure.start_date, time(0), tz) - timedelta(days=1)),
        until=local_instant(closure.end_date + timedelta(days=1), time(0), tz) + timedelta(days=1),
    )
    if not bookings:
        return []
    hours = read.stored_hours()
    existing = read.closures_between(
        closure.start_date - timedelta(days=1), closure.end_date + timedelta(days=1)
    )
    current = Schedule(hours, existing, info.rules)
    proposed = Schedule(hours, [*existing, closure], info.rules)
    return left_outside(current, proposed, bookings)


def add_closure(
    closure: ClosureInput, *, actor_id: int | None, now: datetime, confirmed: bool
) -> tuple[int, list[int]]:
    """Store a closure; returns its id and the ids of the bookings flagged.

    Raises ConfirmationNeeded (nothing saved) when bookings fall inside it and `confirmed` is false.
    """
    with unit_of_work():
        closure = ClosureInput(
            closure.start_date, closure.end_date, closure.reason.strip(), closure.start_time, closure.end_time
        )
        affected = preview_closure(closure, now=now)
        changes.confirm_bookings_or_raise(affected, confirmed=confirmed)
        row = Closure(
            start_date=closure.start_date,
            end_date=closure.end_date,
            start_time=closure.start_time,
            end_time=closure.end_time,
            reason=closure.reason,
            created_by_id=actor_id,
        )
        db.session.add(row)
        db.session.flush()
        flagged = changes.flag_and_record(
            affected,
            f"Inside the closure added on {changes.change_date(now)}: {closure.reason}",
            now=now,
            action="admin.closure_add",
            actor_id=actor_id,
            record_type="closure",
            record_id=row.id,
            details={"after": audit_details(closure)},
        )
    read.forget()
    return row.id, flagged


def delete_closure(closure_id: int, *, actor_id: int | None, now: datetime | None = None) -> bool:
    """Remove a closure (its times are offered again at once, and the flags of bookings inside it clear);
    False when there is no such closure."""
    with unit_of_work():
        row = db.session.get(Closure, closure_id)
        if row is None:
            return False
        before = ClosureInput(row.start_date, row.end_date, row.reason, row.start_time, row.end_time)
        db.session.delete(row)
        tz = read.clinic_info().rules.tz
        openings.seats_freed(  # its times are free again: offered to the waitlist first
            local_instant(before.start_date, time(0), tz),
            local_instant(before.end_date + timedelta(days=1), time(0), tz),
            reason=openings.CLOSURE_REMOVED,
            now=now or utcnow(),
        )
        cleared = changes.clear_flags_back_in_rules(
            now=now or utcnow(), actor_id=actor_id, cause="admin.closure_delete"
        )
        record(
            "admin.closure_delete",
            actor_id=actor_id,
            record_type="closure",
            record_id=closure_id,
            details={"before": audit_details(before), **({"cleared_flags": cleared} if cleared else {})},
        )
    read.forget()
    return True


def list_closures(*, today: date, past_limit: int = 50) -> tuple[list[Closure], list[Closure]]:
    """Upcoming (ending today or later, soonest first) and past closures (latest first), two queries."""
    upcoming = list(
        db.session.scalars(
            select(Closure).where(Closure.end_date >= today).order_by(Closure.start_date, Closure.id)
        )
    )
    past = list(
        db.session.scalars(
            select(Closure)
            .where(Closure.end_date < today)
            .order_by(Closure.end_date.desc(), Closure.id.desc())
            .limit(past_limit)
        )
    )
    return upcoming, past
