"""Offers of freed seats to the waitlist: made and lapsed by `run-jobs`, accepted or declined by patients.

- `offer_freed_seats` (a job): claims each noted span of freed seats (`openings`) with `FOR UPDATE SKIP
  LOCKED` (SQLite's writers begin IMMEDIATE and take turns), finds the seats still free in it, and offers
  each to the first matching patient in line (`clinic.scheduling.waitlist.choose_recipient`). An offer holds
  its seat through a SlotClaim under the same unique constraint as a booking, and a patient holds at most
  one open offer (a partial unique index): both are the database's decision, each tried in a savepoint.
- `expire_offers` (a job): closes offers past their time; each seat goes back to the line.
- `accept`: the booking moves in one transaction: the offer's seat claim passes to the new booking (never
  free in between), the old booking is released, and its seat is noted for the next in line.
- `decline`: the seat goes back to the line.

Emails name only the clinic ("An earlier time is free at <clinic>"), the time and when the offer lapses,
in the clinic's timezone. Audit events carry ids only.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clinic import signing
from clinic.extensions import db
from clinic.models import (
    Booking,
    ConsultationRequest,
    OfferStatus,
    OutboxMessage,
    SlotClaim,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from clinic.scheduling import Interval, OfferedSlot, SlotUnavailable
from clinic.scheduling.waitlist import WaitingEntry, choose_recipient, offer_expiry
from clinic.services import unit_of_work
from clinic.services.audit.record import record
from clinic.services.booking import availability, openings, seats
from clinic.services.booking.waitlist import wishes_of
from clinic.services.mail import notifications, outbox
from clinic.services.mail.calendar import describe
from clinic.services.rules.read import clinic_info

SALT = "clinic.waitlist-offer"
OPENINGS_PER_RUN = 200
EXPIRED_BATCH = 100
PASSED = (OfferStatus.DECLINED, OfferStatus.EXPIRED)
# An offer lapses before its seat enters the notice window (scheduling.waitlist.offer_expiry): a seat that
# close to the window would give the patient no time to answer, so it is not offered at all.
SHORTEST_OFFER = timedelta(minutes=10)


class OfferError(Exception):
    """An offer that cannot be accepted or declined."""


class OfferExpired(OfferError):
    """The offer's time ran out: the seat went (or goes) to the next in line."""


class OfferClosed(OfferError):
    """The offer was already accepted, declined or withdrawn; `status` says which."""

    def __init__(self, status: OfferStatus) -> None:
        super().__init__(f"this offer is {status.value}")
        self.status = status


class OfferUnusable(OfferError):
    """The patient's booking can no longer be changed online (cancelled, started, closed)."""


# Links ---------------------------------------------------------------------------------------------


def offer_token(offer: WaitlistOffer) -> str:
    return signing.sign(SALT, offer.public_id)


def load_offer(token: str) -> WaitlistOffer | None:
    """The offer a token was issued for, or None when it is forged or malformed."""
    public_id = signing.read(SALT, token)
    if not isinstance(public_id, str):
        return None
    return db.session.scalar(select(WaitlistOffer).where(WaitlistOffer.public_id == public_id))


def offer_url(offer: WaitlistOffer) -> str:
    return f"{notifications.base_url()}/offers/{offer_token(offer)}"


def is_expired(offer: WaitlistOffer, *, now: datetime) -> bool:
    return offer.status == OfferStatus.EXPIRED or (
        offer.status == OfferStatus.OPEN and offer.expires_at <= now
    )


# Making offers (run-jobs) ------------------------------------------------------------------------


def _waiting(now: datetime) -> tuple[list[WaitingEntry], dict[int, int]]:
    """The patients who may be offered an earlier seat, and each entry's request id (two queries)."""
    rows = db.session.execute(
        select(WaitlistEntry, ConsultationRequest.priority, Booking.starts_at)
        .join(ConsultationRequest, WaitlistEntry.request_id == ConsultationRequest.id)
        .join(Booking, (Booking.request_id == ConsultationRequest.id) & Booking.cancelled_at.is_(None))
        .where(
            WaitlistEntry.left_at.is_(None),
            ConsultationRequest.status.in_(seats.CHANGEABLE),
            Booking.starts_at > now,
        )
    ).all()
    busy = set(
        db.session.scalars(select(WaitlistOffer.request_id).where(WaitlistOffer.status == OfferStatus.OPEN))
    )
    entries = [
        WaitingEntry(
            entry.id,
            priority,
            entry.joined_at,
            booked_at,
            wishes_of(entry),
            has_open_offer=entry.request_id in busy,
        )
        for entry, priority, booked_at in rows
    ]
    return entries, {entry.id: entry.request_id for entry, _, _ in rows}


def _passed(window: Interval) -> dict[datetime, set[int]]:
    """Per slot start in `window`: the entries that declined or let lapse an offer of it."""
    passed: dict[datetime, set[int]] = {}
    for starts_at, entry_id in db.session.execute(
        select(WaitlistOffer.starts_at, WaitlistOffer.entry_id).where(
            WaitlistOffer.starts_at >= window.starts_at,
            WaitlistOffer.starts_at < window.ends_at,
            WaitlistOffer.status.in_(PASSED),
        )
    ):
        passed.setdefault(starts_at, set()).add(entry_id)
    return passed


def _free_slots(window: Interval, *, now: datetime) -> list[OfferedSlot]:
    """The seats still offered in `window` (after the notice, within the horizon), in time order."""
    info = clinic_info()
    tz = info.rules.tz
    first = max(window.starts_at, now).astimezone(tz).date()
    last = min(window.ends_at, now + timedelta(days=info.horizon_days + 1)).astimezone(tz).date()
    if last < first:
        return []
    _, days = availability.days_from(first, (last - first).days + 1, now=now)
    return [slot for day in days for slot in day.slots if window.starts_at <= slot.starts_at < window.ends_at]


class _PatientBusy(Exception):
    """The patient got an open offer meanwhile (another run-jobs host): the unique index refused a second."""


def _hold_for(entry: WaitingEntry, request_id: int, slot: OfferedSlot, *, now: datetime) -> WaitlistOffer:
    """Insert the offer and claim its seat in one savepoint: _PatientBusy or SlotUnavailable undo both."""
    info = clinic_info()
    offer = WaitlistOffer(
        public_id=secrets.token_urlsafe(24)[:32],
        entry_id=entry.entry_id,
        request_id=request_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        made_at=now,
        expires_at=offer_expiry(
            slot,
            now=now,
            hold=timedelta(minutes=info.offer_minutes),
            notice=timedelta(hours=info.min_notice_hours),
        ),
        status=OfferStatus.OPEN,
    )
    with db.session.begin_nested():
        db.session.add(offer)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise _PatientBusy from None
        seats.claim_seat_for(slot.starts_at, capacity=info.capacity, offer_id=offer.id)
    return offer


def _offer_message(offer: WaitlistOffer, consultation: ConsultationRequest) -> OutboxMessage:
    info = clinic_info()
    current = consultation.active_booking
    language = consultation.language or "en"  # the patient's language (SPEC section 14)
    context = {
        "info": info,
        "consultation": consultation,
        "when": describe(offer.starts_at, info.timezone, language),
        "current": describe(current.starts_at, info.timezone, language) if current else None,
        "expires": describe(offer.expires_at, info.timezone, language),
        "offer_url": notifications.in_language(offer_url(offer), language),
        "manage_url": notifications.manage_url(consultation),
    }
    with force_locale(language):
        subject = gettext("An earlier time is free at %(name)s", name=info.name)
        text = render_template("emails/waitlist_offer.txt", **context)
        html = render_template("emails/waitlist_offer.html", **context)
    return outbox.add("waitlist_offer", [consultation.email], subject, text, html)


def offer_window(window: Interval, *, now: datetime) -> list[tuple[WaitlistOffer, OutboxMessage]]:
    """Offer each free seat in `window`, in time order, to the first matching patient in line (inner step)."""
    slots = _free_slots(window, now=now)
    if not slots:
        return []
    entries, request_of = _waiting(now)
    if not entries:
        return []
    info = clinic_info()
    notice = timedelta(hours=info.min_notice_hours) + SHORTEST_OFFER
    passed = _passed(window)
    made = []
    for slot in slots:
        for _ in range(slot.remaining):
            chosen = None
            while True:
                chosen = choose_recipient(
                    slot,
                    entries,
                    now=now,
                    notice=notice,
                    timezone=info.timezone,
                    passed=passed.get(slot.starts_at, ()),
                )
                if chosen is None:
                    break
                try:
                    offer = _hold_for(chosen, request_of[chosen.entry_id], slot, now=now)
                except _PatientBusy:
                    entries = _mark_busy(entries, chosen)
                    continue
                except SlotUnavailable:
                    chosen = None  # booked meanwhile: nothing left to offer at this time
                break
            if chosen is None:
                break
            entries = _mark_busy(entries, chosen)
            consultation = offer.request
            record(
                "waitlist.offer",
                actor_id=None,
                record_type="request",
                record_id=offer.request_id,
                details={"offer_id": offer.id, "entry_id": offer.entry_id},
            )
            made.append((offer, _offer_message(offer, consultation)))
    return made


def _mark_busy(entries: Iterable[WaitingEntry], chosen: WaitingEntry) -> list[WaitingEntry]:
    return [replace(e, has_open_offer=True) if e.entry_id == chosen.entry_id else e for e in entries]


def offer_freed_seats(*, now: datetime) -> int:
    """Offer the seats of every noted opening, one opening per transaction; returns how many offers."""
    count = 0
    for _ in range(OPENINGS_PER_RUN):
        with unit_of_work():
            opening = db.session.scalar(
                select(WaitlistOpening)
                .where(WaitlistOpening.handled_at.is_(None))
                .order_by(WaitlistOpening.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if opening is None:
                return count
            opening.handled_at = now
            made = offer_window(Interval(opening.starts_at, opening.ends_at), now=now)
        outbox.deliver([message for _, message in made])
        count += len(made)
    return count


def expire_offers(*, now: datetime) -> int:
    """Close every open offer whose time is up, so its seat goes to the next in line; returns how many."""
    expired = 0
    while True:
        with unit_of_work():
            due = list(
                db.session.scalars(
                    select(WaitlistOffer.id)
                    .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now)
                    .order_by(WaitlistOffer.expires_at, WaitlistOffer.id)
                    .limit(EXPIRED_BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            closed = [i for i in due if openings.close_offer(i, OfferStatus.EXPIRED, now=now)]
        expired += len(closed)
        if len(due) < EXPIRED_BATCH:
            return expired


# The patient's answer ------------------------------------------------------------------------------


def _check_open(offer: WaitlistOffer, *, now: datetime) -> None:
    if offer.status == OfferStatus.EXPIRED or (offer.status == OfferStatus.OPEN and offer.expires_at <= now):
        raise OfferExpired("this offer has expired")
    if offer.status != OfferStatus.OPEN:
        raise OfferClosed(OfferStatus(offer.status))


def _answerable(offer_id: int, *, now: datetime) -> WaitlistOffer | None:
    """Load the offer the patient answers, in the caller's transaction; None when its time has just run out.

    A lapsed open offer is closed as expired here, so the caller commits that and then raises OfferExpired.
    OfferClosed (gone, answered or withdrawn) or OfferExpired (closed as expired already) otherwise.
    """
    offer = db.session.get(WaitlistOffer, offer_id)
    if offer is None:
        raise OfferClosed(OfferStatus.WITHDRAWN)
    lapsed = offer.status == OfferStatus.OPEN and offer.expires_at <= now
    if lapsed and openings.close_offer(offer_id, OfferStatus.EXPIRED, now=now) is not None:
        return None
    _check_open(offer, now=now)
    return offer


def accept(offer_id: int, *, now: datetime) -> Booking:
    """Move the patient's booking to the offered seat, in one transaction; returns the new booking.

    OfferExpired (too late: the offer is closed at once and its seat goes back to the line), OfferClosed
    (answered or withdrawn already), OfferUnusable (the booking can no longer be changed online). Of several
    accepts at once, one wins: the guarded UPDATE of the offer's status.
    """
    with unit_of_work():
        offer = _answerable(offer_id, now=now)
        if offer is not None:
            new, message = _move_to(offer, now=now)
    if offer is None:
        raise OfferExpired("this offer has expired")
    outbox.deliver([message])
    return new


def _move_to(offer: WaitlistOffer, *, now: datetime) -> tuple[Booking, OutboxMessage]:
    """Accept the open offer: its seat becomes the patient's new booking, the old one is released."""
    taken = db.session.execute(
        update(WaitlistOffer)
        .where(
            WaitlistOffer.id == offer.id,
            WaitlistOffer.status == OfferStatus.OPEN,
            WaitlistOffer.expires_at > now,
        )
        .values(status=OfferStatus.ACCEPTED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(offer)
    if taken != 1:
        _check_open(offer, now=now)
        raise OfferClosed(OfferStatus(offer.status))
    consultation = offer.request
    old = consultation.active_booking
    if old is None or not seats.changeable_by_patient(consultation, now=now):
        raise OfferUnusable("this booking can no longer be changed online")
    new = Booking(request=consultation, starts_at=offer.starts_at, ends_at=offer.ends_at)
    db.session.add(new)
    db.session.flush()
    # The seat passes from the offer to the booking in one UPDATE: it is never free in between.
    moved = db.session.execute(
        update(SlotClaim)
        .where(SlotClaim.offer_id == offer.id)
        .values(booking_id=new.id, offer_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise SlotUnavailable(offer.starts_at)
    if not seats.release_booking(old, now=now, actor_id=None, cancelled=False):
        raise seats.BookingChanged("the booking changed meanwhile")
    consultation.appointment_at = new.starts_at
    offer.booking_id = new.id
    entry = db.session.get(WaitlistEntry, offer.entry_id)
    if entry is not None and entry.left_at is None:
        entry.left_at, entry.left_reason, entry.updated_at = now, "accepted", now
    record(
        "waitlist.offer_accept",
        actor_id=None,
        record_type="request",
        record_id=consultation.id,
        details={"offer_id": offer.id, "from_booking_id": old.id, "to_booking_id": new.id},
    )
    return new, notifications.add_reschedule(consultation, old, new, now=now)


def decline(offer_id: int, *, now: datetime) -> None:
    """The patient does not want the offered time: the seat goes to the next in line; they stay waiting.

    OfferExpired or OfferClosed when the offer is no longer open (a lapsed one is closed as expired).
    """
    with unit_of_work():
        offer = _answerable(offer_id, now=now)
        if offer is not None and openings.close_offer(offer_id, OfferStatus.DECLINED, now=now) is None:
            db.session.refresh(offer)
            _check_open(offer, now=now)
            raise OfferClosed(OfferStatus(offer.status))
    if offer is None:
        raise OfferExpired("this offer has expired")
