"""The scheduling core: pure functions of hours, closures, bookings and now. Standard library only."""

from clinic.scheduling.errors import OutsideOpeningHours, SchedulingError, SlotUnavailable
from clinic.scheduling.slots import (
    WEEKDAY_NAMES,
    BookingRules,
    ClosureRule,
    DayHours,
    DayPlan,
    Interval,
    OfferedSlot,
    Schedule,
    parse_slot,
)

__all__ = [
    "WEEKDAY_NAMES",
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
    "parse_slot",
]
