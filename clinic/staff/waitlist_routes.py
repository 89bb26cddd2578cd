"""Staff's view of the waitlist: everyone waiting for an earlier time, in the order seats are offered, and
each request's place (a card on the request's page). Registered on the staff blueprint, so its sign-in
guard applies. Reads only."""

from __future__ import annotations

from flask import render_template

from clinic.intake.waitlist_forms import DAY_LABELS, PART_OF_DAY_LABELS
from clinic.services.booking import waitlist
from clinic.services.rules.read import clinic_info
from clinic.staff.routes import bp


@bp.context_processor
def waitlist_helpers() -> dict:
    """`waitlist_place(request_id)` for the request page's waitlist card."""
    return {"waitlist_place": _place, "day_labels": DAY_LABELS, "part_of_day_labels": PART_OF_DAY_LABELS}


def _place(request_id: int) -> dict:
    place, waiting = waitlist.place_of(request_id)
    return {"place": place, "waiting": waiting}


@bp.get("/waitlist", endpoint="waitlist")
def waitlist_page():
    """Who waits for an earlier time: urgent first, then high, then routine, then the earliest to join."""
    return render_template("staff/waitlist.html", line=waitlist.waiting_line(), tz=clinic_info().rules.tz)
