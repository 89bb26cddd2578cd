"""The waitlist for an earlier time: patients join and leave from their manage page; staff read the line.

Who is offered a freed seat is decided by the pure core (`clinic.scheduling.waitlist`); making, accepting
and lapsing offers is `offers`. A patient may wait while their booking can still be changed online.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from clinic.extensions import db
from clinic.i18n import lazy_gettext as _l
from clinic.models import Booking, ConsultationRequest, OfferStatus, WaitlistEntry, WaitlistOffer
from clinic.scheduling.waitlist import (
    PartOfDay,
    WaitingEntry,
    Wishes,
    days_text,
    in_queue_order,
    parse_days,
)
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking import openings, seats
from clinic.services.rules.read import clinic_info


class WaitlistError(Exception):
    """A waitlist change that cannot be made."""


class NotWaiting(WaitlistError):
    """The patient is not on the waitlist."""


class WishesRefused(WaitlistError):
    """The wishes cannot be met: `field` names the form field, the message says why."""

    def __init__(self, field: str, message: object) -> None:  # text, translated when shown
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Place:
    """A waiting patient as staff see them: the entry, their request, booking and place in line."""

    position: int
    entry: WaitlistEntry
    request: ConsultationRequest
    booked_at: datetime
    wishes: Wishes
    open_offer: WaitlistOffer | None


def wishes_of(entry: WaitlistEntry) -> Wishes:
    return Wishes(entry.earliest, parse_days(entry.days), PartOfDay(entry.part_of_day))


def current_entry(request_id: int) -> WaitlistEntry | None:
    """The request's place on the waitlist, or None when it is not waiting."""
    return db.session.scalar(
        select(WaitlistEntry).where(WaitlistEntry.request_id == request_id, WaitlistEntry.left_at.is_(None))
    )


def open_offer(request_id: int) -> WaitlistOffer | None:
    return db.session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.request_id == request_id, WaitlistOffer.status == OfferStatus.OPEN
        )
    )


def check_wishes(consultation: ConsultationRequest, wishes: Wishes, *, today: date) -> None:
    """WishesRefused when the wishes cannot bring an earlier time: the earliest day after the booking."""
    booking = consultation.active_booking
    if booking is None:
        raise seats.NoActiveBooking("this request has no active booking")
    if wishes.earliest < today:
        raise WishesRefused("earliest", _l("Choose today or a later day."))
    booked_day = booking.starts_at.astimezone(_tz()).date()
    if wishes.earliest > booked_day:
        raise WishesRefused("earliest", _l("Choose a day on or before the day of your booking."))


def _tz():
    return clinic_info().rules.tz


def join(consultation: ConsultationRequest, wishes: Wishes, *, now: datetime) -> WaitlistEntry:
    """Put the patient on the waitlist with `wishes`, or change the wishes of a patient already on it (who
    keeps their place). NoActiveBooking, NotChangeable (started or closed), WishesRefused."""
    with unit_of_work():
        if consultation.active_booking is None:
            raise seats.NoActiveBooking("this request has no active booking")
        if not seats.changeable_by_patient(consultation, now=now):
            raise seats.NotChangeable("this booking can no longer be changed online")
        check_wishes(consultation, wishes, today=now.astimezone(_tz()).date())
        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.request_id == consultation.id))
        rejoined = entry is None or entry.left_at is not None
        if entry is None:
            entry = WaitlistEntry(request_id=consultation.id)
            db.session.add(entry)
        if rejoined:
            entry.joined_at = now
            entry.left_at = None
            entry.left_reason = None
        entry.earliest = wishes.earliest
        entry.days = days_text(wishes.days)
        entry.part_of_day = wishes.part_of_day
        entry.updated_at = now
        db.session.flush()
        record(
            "waitlist.join" if rejoined else "waitlist.update",
            actor_id=None,
            record_type="request",
            record_id=consultation.id,
            details={"entry_id": entry.id},
        )
    return entry


def leave(consultation: ConsultationRequest, *, now: datetime) -> None:
    """Take the patient off the waitlist; an offer they hold is withdrawn and goes to the next in line."""
    with unit_of_work():
        entry = current_entry(consultation.id)
        if entry is None:
            raise NotWaiting("not on the waitlist")
        entry.left_at = now
        entry.left_reason = "left"
        entry.updated_at = now
        openings.withdraw_offers(consultation.id, now=now)
        record(
            "waitlist.leave",
            actor_id=None,
            record_type="request",
            record_id=consultation.id,
            details={"entry_id": entry.id},
        )


def waiting_line() -> list[Place]:
    """Everyone waiting with a booking still ahead, in the order seats are offered (three queries)."""
    rows = db.session.execute(
        select(WaitlistEntry, ConsultationRequest, Booking.starts_at)
        .join(ConsultationRequest, WaitlistEntry.request_id == ConsultationRequest.id)
        .join(Booking, (Booking.request_id == ConsultationRequest.id) & Booking.cancelled_at.is_(None))
        .where(WaitlistEntry.left_at.is_(None), ConsultationRequest.status.in_(seats.CHANGEABLE))
    ).all()
    offers = {
        offer.request_id: offer
        for offer in db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.status == OfferStatus.OPEN))
    }
    by_id = {entry.id: (entry, request, booked_at) for entry, request, booked_at in rows}
    ordered = in_queue_order(
        WaitingEntry(entry.id, request.priority, entry.joined_at, booked_at, wishes_of(entry))
        for entry, request, booked_at in rows
    )
    return [
        Place(
            position,
            by_id[waiting.entry_id][0],
            by_id[waiting.entry_id][1],
            waiting.booked_at,
            waiting.wishes,
            offers.get(by_id[waiting.entry_id][1].id),
        )
        for position, waiting in enumerate(ordered, start=1)
    ]


def place_of(request_id: int) -> tuple[Place | None, int]:
    """The request's place in the waiting line (None when not waiting) and how many wait in all."""
    line = waiting_line()
    return next((p for p in line if p.request.id == request_id), None), len(line)
