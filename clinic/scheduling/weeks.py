"""Weeks as the slot pickers page through them: Monday first, from this week to the horizon's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WEEK = timedelta(days=7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class BookableWeeks:
    """The weeks that hold bookable days: this week up to the week the booking horizon ends in."""

    first: date  # a Monday
    last: date  # a Monday

    @classmethod
    def from_today(cls, today: date, horizon_days: int) -> BookableWeeks:
        return cls(monday_of(today), monday_of(today + timedelta(days=horizon_days)))

    def clamp(self, day: date) -> date:
        """The Monday of `day`'s week, moved into the bookable weeks."""
        return min(max(monday_of(day), self.first), self.last)

    def previous(self, week: date) -> date | None:
        return week - WEEK if week > self.first else None

    def following(self, week: date) -> date | None:
        return week + WEEK if week < self.last else None
