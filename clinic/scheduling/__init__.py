"""The scheduling core: pure functions of hours, closures, bookings and now. Standard library only."""

from clinic.scheduling.errors import OutsideOpeningHours, SchedulingError, SlotUnavailable
from clinic.scheduling.slots import (
    WEEKDAY_KEYS,
    WEEKDAY_NAMES,
    BookingRules,
    ClosureRule,
    DayHours,
    DayPlan,
    Interval,
    OfferedSlot,
    Schedule,
    hours_text,
    local_instant,
    parse_slot,
)
from clinic.scheduling.weeks import BookableWeeks, monday_of

__all__ = [
    "WEEKDAY_KEYS",
    "WEEKDAY_NAMES",
    "BookableWeeks",
    "BookingRules",
    "ClosureRule",
    "DayHours",
    "DayPlan",
    "Interval",
    "OfferedSlot",
    "OutsideOpeningHours",
    "Schedule",
    "SchedulingError",
    "SlotUnavailable",
    "hours_text",
    "local_instant",
    "monday_of",
    "parse_slot",
]
