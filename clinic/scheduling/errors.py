"""What can go wrong when a slot is asked for."""

from datetime import datetime


class SchedulingError(Exception):
    """Base of the scheduling errors."""


class SlotUnavailable(SchedulingError):
    """The slot is not offered: taken meanwhile, past the notice or horizon, closed, or never a slot."""

    def __init__(self, starts_at: datetime | None = None) -> None:
        super().__init__(f"slot {starts_at.isoformat() if starts_at else ''} is not available")
        self.starts_at = starts_at


class OutsideOpeningHours(SlotUnavailable):
    """The time is not a slot of the clinic's hours (closed day, closure, off the slot grid)."""
