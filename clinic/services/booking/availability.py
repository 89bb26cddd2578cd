"""Offered slots, read from the database in a fixed number of queries whatever the window."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.extensions import db
from clinic.models import Booking, OfferStatus, WaitlistOffer
from clinic.scheduling import (
    BookableWeeks,
    DayPlan,
    Interval,
    OfferedSlot,
    OutsideOpeningHours,
    Schedule,
    SlotUnavailable,
    monday_of,
)
from clinic.services.rules.read import clinic_info, schedule_for

# No booking is longer than the longest slot length allowed (a CHECK on clinic_settings.slot_minutes).
LONGEST_BOOKING = timedelta(minutes=240)


def active_bookings(window: Interval) -> list[Interval]:
    """The seats held in `window`, in one query: active bookings, and the seats open waitlist offers hold
    (an offered seat is nobody else's until the offer is accepted, declined or lapses)."""
    bookings = select(Booking.starts_at, Booking.ends_at).where(
        Booking.cancelled_at.is_(None),
        Booking.starts_at < window.ends_at,
        # Bound starts_at from below too, so the (cancelled_at, starts_at) index reads only the window:
        # `ends_at > start` alone leaves every past booking inside the index range.
        Booking.starts_at > window.starts_at - LONGEST_BOOKING,
        Booking.ends_at > window.starts_at,
    )
    offers = select(WaitlistOffer.starts_at, WaitlistOffer.ends_at).where(
        WaitlistOffer.status == OfferStatus.OPEN,
        WaitlistOffer.starts_at < window.ends_at,
        WaitlistOffer.starts_at > window.starts_at - LONGEST_BOOKING,
        WaitlistOffer.ends_at > window.starts_at,
    )
    rows = db.session.execute(bookings.union_all(offers))
    return [Interval(starts_at, ends_at) for starts_at, ends_at in rows]


def days_from(start: date, days: int, *, now: datetime) -> tuple[Schedule, list[DayPlan]]:
    """The plan of each day from `start`, with the slots still offered at `now`."""
    schedule = schedule_for(start, start + timedelta(days=days))
    bookings = active_bookings(schedule.window(start, days))
    return schedule, schedule.availability(start, days, bookings, now=now)


def horizon_schedule(now: datetime) -> tuple[Schedule, list[Interval]]:
    """The schedule and bookings from today to the end of the horizon."""
    horizon = clinic_info().horizon_days
    schedule = schedule_for(now.date() - timedelta(days=1), now.date() + timedelta(days=horizon + 1))
    today = schedule.today(now)
    return schedule, active_bookings(schedule.window(today, horizon + 1))


def offered_slot(starts_at: datetime, *, now: datetime) -> OfferedSlot:
    """The offered slot starting at `starts_at`, or SlotUnavailable / OutsideOpeningHours saying why not."""
    day = starts_at.date()
    schedule = schedule_for(day - timedelta(days=1), day + timedelta(days=1))
    bookings = active_bookings(Interval(starts_at - timedelta(days=1), starts_at + timedelta(days=1)))
    return schedule.offered(starts_at, bookings, now=now)


def nearest_slots(target: datetime | None, *, now: datetime, limit: int = 6) -> list[OfferedSlot]:
    """The offered slots nearest to `target` (or the earliest ones), for a patient whose choice is gone."""
    schedule, bookings = horizon_schedule(now)
    return schedule.nearest(target or now, bookings, now=now, limit=limit)


# Why a time asked for is not offered, so that the patient is told the right reason.
CLOSED = "closed"  # not a time of the clinic's hours (now): a closure, a closed day, hours changed
TOO_SOON = "too_soon"  # inside the minimum notice, or already past
TOO_FAR = "too_far"  # beyond the booking horizon
TAKEN = "taken"  # every seat of it is booked


def why_not_offered(wanted: datetime, *, now: datetime) -> str | None:
    """None when `wanted` is offered; else CLOSED, TOO_SOON, TOO_FAR or TAKEN."""
    try:
        offered_slot(wanted, now=now)
    except SlotUnavailable as gone:
        return _reason(gone, wanted, now=now)
    return None


def _reason(gone: SlotUnavailable, wanted: datetime, *, now: datetime) -> str:
    if isinstance(gone, OutsideOpeningHours):
        return CLOSED
    info = clinic_info()
    if wanted < now + timedelta(hours=info.min_notice_hours):
        return TOO_SOON
    if wanted > now + timedelta(days=info.horizon_days):
        return TOO_FAR
    return TAKEN


@dataclass(frozen=True, slots=True)
class SlotOffer:
    """What a patient can be offered for the time they asked for: that slot, or the nearest free ones."""

    slot: OfferedSlot | None  # the time asked for, still offered
    nearest: list[OfferedSlot]  # otherwise, the offered slots closest to it (or the earliest)
    reason: str | None = None  # why the time asked for is not offered (CLOSED, TOO_SOON, TOO_FAR, TAKEN)


def offer_for(wanted: datetime | None, *, now: datetime, taken: bool = False) -> SlotOffer:
    """The offer for `wanted` (None: nothing chosen yet); `taken` when booking it has just failed."""
    reason = None
    if wanted is not None and not taken:
        try:
            return SlotOffer(offered_slot(wanted, now=now), [])
        except SlotUnavailable as gone:
            reason = _reason(gone, wanted, now=now)
    elif wanted is not None:
        # Booking it has just failed, yet it may look offered again by now (a race): then it was taken.
        reason = why_not_offered(wanted, now=now) or TAKEN
    return SlotOffer(None, nearest_slots(wanted, now=now), reason)


@dataclass(frozen=True, slots=True)
class PickerWeek:
    """One week of the slot picker: its days with their free slots, and the weeks either side."""

    week: date  # its Monday
    days: list[DayPlan]
    tz: ZoneInfo
    today: date  # in the clinic's timezone
    previous: date | None  # None before this week
    following: date | None  # None past the week the booking horizon ends in
    first: OfferedSlot | None = None  # the earliest free time of all (the "first available" jump)
    # Until when the clock alone leaves all of the above true (bookings and rules unchanged).
    steady_until: datetime | None = None


def picker_week(day: date, *, now: datetime, clamp: bool = True, skip_empty: bool = False) -> PickerWeek:
    """The week holding `day`, moved into the bookable weeks when `clamp`.

    With `skip_empty`, a week with no free time left (late on Saturday, on Sunday) gives way to the next.
    """
    info = clinic_info()
    today = now.astimezone(info.rules.tz).date()
    weeks = BookableWeeks.from_today(today, info.horizon_days)
    week = weeks.clamp(day) if clamp else monday_of(day)
    schedule, days = days_from(week, 7, now=now)
    earlier_empty = week == weeks.first  # no bookable week before this one (nor the one skipped)
    asked = week
    if skip_empty and not any(d.slots for d in days) and week < weeks.last:
        week += timedelta(days=7)
        schedule, days = days_from(week, 7, now=now)
    shown = [slot for d in days for slot in d.slots]
    if earlier_empty and shown:
        first: OfferedSlot | None = shown[0]  # known without another query
    else:
        found = nearest_slots(None, now=now, limit=1)
        first = found[0] if found else None
    # The weeks shown or skipped and, for the earliest free time, every day of the horizon (steady_until
    # reads no further than the horizon: a later slot cannot enter it before midnight).
    steady = schedule.steady_until(min(asked, today), today + timedelta(days=366), now)
    return PickerWeek(
        week, days, schedule.tz, today, weeks.previous(week), weeks.following(week), first, steady
    )
