"""What the intake form shows about the consultation time, as a small typed value for its template."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from clinic.i18n import language
from clinic.intake.forms import parse_offered_range
from clinic.scheduling import OfferedSlot
from clinic.services.booking import availability
from clinic.services.mail.calendar import describe

MISSING = "missing"  # no time chosen yet, or not a time at all
TAKEN = "taken"  # the time chosen is no longer offered


@dataclass(frozen=True, slots=True)
class SlotChoice:
    value: str  # the slot's start in clinic time, ISO 8601: what the form posts as `slot`
    label: str  # the same time in words
    week: str | None = None  # the slot's day, for the link back to its week of the slot picker


@dataclass(frozen=True, slots=True)
class SlotState:
    """The chosen offered slot; or why there is none (`problem`) and the nearest free times instead."""

    chosen: SlotChoice | None = None
    problem: str | None = None
    choices: tuple[SlotChoice, ...] = ()
    wanted: str | None = None  # the time asked for, in words, when it is taken
    reason: str | None = None  # why it is not offered: availability.CLOSED, TOO_SOON, TOO_FAR or TAKEN


def _choice(slot: OfferedSlot, timezone: str, *, with_week: bool = False) -> SlotChoice:
    local = slot.starts_at.astimezone(ZoneInfo(timezone))
    return SlotChoice(
        local.isoformat(),
        describe(slot.starts_at, timezone, language()),
        local.date().isoformat() if with_week else None,
    )


def slot_state(text: str, *, now: datetime, timezone: str, taken: bool = False) -> SlotState:
    """What the form shows for the `slot` value `text`: that slot, or the nearest free ones and why."""
    try:
        wanted: datetime | None = parse_offered_range(text)
    except ValueError:
        wanted = None
    offer = availability.offer_for(wanted, now=now, taken=taken)
    if offer.slot is not None:
        return SlotState(chosen=_choice(offer.slot, timezone, with_week=True))
    choices = tuple(_choice(slot, timezone) for slot in offer.nearest)
    if wanted is None:
        return SlotState(problem=MISSING, choices=choices)
    return SlotState(
        problem=TAKEN, choices=choices, wanted=describe(wanted, timezone, language()), reason=offer.reason
    )


def typed_slot_state(text: str | None) -> SlotState:
    """The time as typed, when the database cannot say whether it is still offered."""
    try:
        typed = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return SlotState(problem=MISSING)
    return SlotState(chosen=SlotChoice(text or "", describe(typed, None)))
