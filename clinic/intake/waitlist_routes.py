"""The patient's side of the waitlist: join and leave from the manage page, answer an offer by its link.

Registered on the intake blueprint, beside the manage page. The manage page shows the waitlist section
through `waitlist_card(token)` (one include in intake/manage.html); views parse, call one service, respond.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from clinic.i18n import language
from clinic.i18n import lazy_gettext as _l
from clinic.intake.routes import CALL_US, _load, _render_manage, bp
from clinic.intake.waitlist_forms import DAY_LABELS, PART_OF_DAY_LABELS, ActionForm, WaitlistForm
from clinic.models import OfferStatus, WaitlistOffer
from clinic.scheduling import SlotUnavailable
from clinic.services.booking import links, offers, seats, waitlist
from clinic.services.mail.calendar import describe
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

INVALID_OFFER = _l(
    "This offer link is not valid. A link copied only in part does not work. If you need help with a "
    "booking, please call us."
)
CLOSED = {
    OfferStatus.ACCEPTED: _l("You have already accepted this time: your booking has moved to it."),
    OfferStatus.DECLINED: _l("You let this time go, so it was offered to the next person waiting."),
    OfferStatus.WITHDRAWN: _l(
        "This offer was withdrawn because your booking or your place on the waitlist changed."
    ),
}


def _expired(offer: WaitlistOffer) -> str:
    return _(
        "Sorry, this offer has expired: the time was held for you until %(expires)s, and it now goes to the "
        "next person waiting. Your booking stays as it was, and you stay on the waitlist.",
        expires=describe(offer.expires_at, clinic_info().timezone, language()),
    )


def _closed(status) -> str | None:
    text = CLOSED.get(OfferStatus(status)) if status else None
    return str(text) if text else None


@bp.context_processor
def waitlist_helpers() -> dict:
    """`waitlist_card(token)` for the manage page's waitlist section."""
    return {"waitlist_card": _card, "day_labels": DAY_LABELS, "part_of_day_labels": PART_OF_DAY_LABELS}


def _card(token: str) -> dict:
    consultation = links.load_token(token, now=utcnow())
    if consultation is None:
        return {"shown": False}
    now = utcnow()
    entry = waitlist.current_entry(consultation.id)
    offer = waitlist.open_offer(consultation.id)
    tz = clinic_info().rules.tz
    form = g.get("waitlist_form")
    if form is None:
        wishes = waitlist.wishes_of(entry) if entry else None
        form = WaitlistForm(
            formdata=None,
            data={
                "earliest": (wishes.earliest if wishes else now.astimezone(tz).date()).isoformat(),
                "days": sorted(wishes.days) if wishes else [],
                "part_of_day": wishes.part_of_day.value if wishes else "any",
            },
        )
    return {
        "shown": seats.changeable_by_patient(consultation, now=now),
        "entry": entry,
        "wishes": waitlist.wishes_of(entry) if entry else None,
        "form": form,
        "leave_form": ActionForm(),
        "offer": offer,
        "offer_url": url_for("intake.offer", token=offers.offer_token(offer)) if offer else None,
        "offer_when": describe(offer.starts_at, clinic_info().timezone, language()) if offer else None,
        "today": now.astimezone(tz).date(),
    }


@bp.post("/appointments/<token>/waitlist")
def join_waitlist(token: str):
    """Join the waitlist for an earlier time, or change the wishes (the place in line is kept)."""
    now = utcnow()
    consultation = _load(token)
    form = WaitlistForm()
    if not form.validate():
        g.waitlist_form = form
        return _render_manage(consultation, token, now=now, status=422)
    try:
        waitlist.join(consultation, form.wishes(), now=now)
    except waitlist.WishesRefused as refused:
        form[refused.field].errors = [str(refused)]
        g.waitlist_form = form
        return _render_manage(consultation, token, now=now, status=422)
    except seats.NoActiveBooking:
        flash(_("This consultation is cancelled: please request a new one."), "info")
        return redirect(url_for(".manage", token=token), 303)
    except seats.NotChangeable:
        return _render_manage(consultation, token, now=now, status=409, problem=CALL_US)
    flash(
        _(
            "You are on the waitlist. If an earlier time that suits you frees up, we will email you and hold "
            "it for you for a while."
        ),
        "success",
    )
    return redirect(url_for(".manage", token=token, _anchor="waitlist"), 303)


@bp.post("/appointments/<token>/waitlist/leave")
def leave_waitlist(token: str):
    consultation = _load(token)
    if not ActionForm().validate():
        abort(400)
    try:
        waitlist.leave(consultation, now=utcnow())
    except waitlist.NotWaiting:
        flash(_("You were not on the waitlist."), "info")
        return redirect(url_for(".manage", token=token), 303)
    flash(_("You have left the waitlist. Your booking stays as it is."), "success")
    return redirect(url_for(".manage", token=token, _anchor="waitlist"), 303)


def _load_offer(token: str) -> WaitlistOffer:
    offer = offers.load_offer(token)
    if offer is None:
        abort(404, INVALID_OFFER)
    return offer


def _render_offer(offer: WaitlistOffer, token: str, *, now: datetime, problem: str | None = None, status=200):
    timezone = clinic_info().timezone
    consultation = offer.request
    current = consultation.active_booking
    expired = offers.is_expired(offer, now=now)
    return render_template(
        "intake/offer.html",
        token=token,
        offer=offer,
        reference=consultation.reference,
        when=describe(offer.starts_at, timezone, language()),
        current=describe(current.starts_at, timezone, language()) if current else None,
        expires=describe(offer.expires_at, timezone, language()),
        is_open=offer.status == OfferStatus.OPEN and not expired,
        expired=expired,
        closed_text=_closed(offer.status),
        manage_url=url_for(".manage", token=links.manage_token(consultation)),
        problem=problem,
        form=ActionForm(),
    ), status


@bp.get("/offers/<token>")
def offer(token: str):
    """An earlier time held for the patient: take it or let it go, before it lapses."""
    offer = _load_offer(token)
    return _render_offer(offer, token, now=utcnow())


@bp.post("/offers/<token>/accept")
def accept_offer(token: str):
    now = utcnow()
    offer = _load_offer(token)
    if not ActionForm().validate():
        abort(400)
    consultation = offer.request
    try:
        offers.accept(offer.id, now=now)
    except offers.OfferExpired:
        return _render_offer(offer, token, now=now, problem=_expired(offer), status=409)
    except offers.OfferClosed as closed:
        return _render_offer(offer, token, now=now, problem=_closed(closed.status), status=409)
    except (offers.OfferUnusable, seats.BookingChanged, SlotUnavailable):
        return _render_offer(offer, token, now=now, problem=str(CALL_US), status=409)
    flash(_("Your consultation has moved to the earlier time. We have emailed you the new time."), "success")
    return redirect(url_for(".manage", token=links.manage_token(consultation)), 303)


@bp.post("/offers/<token>/decline")
def decline_offer(token: str):
    now = utcnow()
    offer = _load_offer(token)
    if not ActionForm().validate():
        abort(400)
    try:
        offers.decline(offer.id, now=now)
    except offers.OfferExpired:
        return _render_offer(offer, token, now=now, problem=_expired(offer), status=409)
    except offers.OfferClosed as closed:
        return _render_offer(offer, token, now=now, problem=_closed(closed.status), status=409)
    flash(_("You let this time go. Your booking stays as it is, and you stay on the waitlist."), "success")
    return redirect(url_for(".offer", token=token), 303)
