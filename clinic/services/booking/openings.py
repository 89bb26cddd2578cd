"""Seats freed, noted in the transaction that frees them, for `run-jobs` to offer to the waitlist.

Inner steps only (add and flush, never commit). Whatever frees seats calls `seats_freed` with the span of
time the freed seats lie in: a cancel or a reschedule (its slot, from `seats`), a closure removed (its days),
hours widened or capacity raised (the booking horizon), an offer declined, lapsed or withdrawn (its slot).
`offers.offer_freed_seats` claims each span later and offers the free seats in it, in waitlist order.

A cancel also ends the patient's place on the waitlist, and any change to a booking withdraws the open
offer its patient holds (the seat goes back to the line).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from clinic.extensions import db
from clinic.models import Booking, OfferStatus, SlotClaim, WaitlistEntry, WaitlistOffer, WaitlistOpening
from clinic.services.audit.record import record

CANCEL = "cancel"
RESCHEDULE = "reschedule"
CLOSURE_REMOVED = "closure_removed"
HOURS_WIDENED = "hours_widened"
RULES_CHANGED = "rules_changed"  # capacity raised, notice shortened, horizon lengthened, a new grid
OFFER_DECLINED = "offer_declined"
OFFER_EXPIRED = "offer_expired"
OFFER_WITHDRAWN = "offer_withdrawn"


def seats_freed(starts_at: datetime, ends_at: datetime, *, reason: str, now: datetime) -> WaitlistOpening:
    """Note that seats between `starts_at` and `ends_at` may be free to offer (inner step)."""
    opening = WaitlistOpening(starts_at=starts_at, ends_at=ends_at, reason=reason, created_at=now)
    db.session.add(opening)
    return opening


def close_offer(offer_id: int, status: OfferStatus, *, now: datetime) -> WaitlistOffer | None:
    """Close an open offer as declined, expired or withdrawn, freeing its seat for the next in line.

    Guarded on the offer still being open: of two closes (or a close and an accept) at once, only the first
    matches; the others get None and change nothing. Audited by id only.
    """
    closed = db.session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id, WaitlistOffer.status == OfferStatus.OPEN)
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        return None
    db.session.execute(delete(SlotClaim).where(SlotClaim.offer_id == offer_id))
    offer = db.session.get_one(WaitlistOffer, offer_id)  # just updated: it exists
    db.session.refresh(offer)
    reason = {
        OfferStatus.DECLINED: OFFER_DECLINED,
        OfferStatus.EXPIRED: OFFER_EXPIRED,
    }.get(status, OFFER_WITHDRAWN)
    seats_freed(offer.starts_at, offer.ends_at, reason=reason, now=now)
    action = {
        OfferStatus.DECLINED: "waitlist.offer_decline",
        OfferStatus.EXPIRED: "waitlist.offer_expire",
    }.get(status, "waitlist.offer_withdraw")
    record(
        action,
        actor_id=None,
        record_type="request",
        record_id=offer.request_id,
        details={"offer_id": offer.id, "entry_id": offer.entry_id},
    )
    return offer


def withdraw_offers(request_id: int, *, now: datetime) -> list[int]:
    """Withdraw the request's open offer (if any): its booking changed, or its patient left the line."""
    ids = list(
        db.session.scalars(
            select(WaitlistOffer.id).where(
                WaitlistOffer.request_id == request_id, WaitlistOffer.status == OfferStatus.OPEN
            )
        )
    )
    return [offer_id for offer_id in ids if close_offer(offer_id, OfferStatus.WITHDRAWN, now=now)]


def booking_released(booking: Booking, *, now: datetime, cancelled: bool) -> None:
    """A booking's seat was freed (inner step, called by `seats`): note it for the waitlist, withdraw the
    patient's open offer, and on a cancel end their place in line (with no booking, nothing is earlier)."""
    seats_freed(booking.starts_at, booking.ends_at, reason=CANCEL if cancelled else RESCHEDULE, now=now)
    withdraw_offers(booking.request_id, now=now)
    if cancelled:
        db.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.request_id == booking.request_id, WaitlistEntry.left_at.is_(None))
            .values(left_at=now, left_reason="cancelled", updated_at=now)
            .execution_options(synchronize_session=False)
        )
