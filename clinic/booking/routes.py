from datetime import date

from flask import Blueprint, abort, get_template_attribute, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from clinic.services.booking import availability, slot_cache
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

bp = Blueprint("booking", __name__)

FARTHEST_WEEK_DAYS = 3660  # a week param further than this from today is refused


@bp.get("/book")
def choose_slot():
    """The week's slot picker, server-rendered: each free slot links to the intake form."""
    now = utcnow()
    week_param = request.args.get("week", "")
    today = now.astimezone(clinic_info().rules.tz).date()
    if week_param:
        try:
            requested = date.fromisoformat(week_param)
        except ValueError:
            abort(400, _("The week must be a date written YYYY-MM-DD."))
        if abs((requested - today).days) > FARTHEST_WEEK_DAYS:
            abort(400, _("That week is too far away."))
    else:
        requested = today

    def week_grid() -> slot_cache.Answer:
        # Late on Saturday or on Sunday nothing is left this week: open on the next one.
        picker = availability.picker_week(requested, now=now, clamp=False, skip_empty=not week_param)
        grid = get_template_attribute("_macros/slots.html", "slot_grid")(picker, ("booking.choose_slot", {}))
        return slot_cache.Answer(now, picker.steady_until or now, str(grid))

    # The week asked for (none: this week, then the next if nothing is left) and the language are all the
    # grid depends on besides the schedule and the clock.
    asked = requested.isoformat() if week_param else "now"
    grid = slot_cache.cached("book", (asked, str(get_locale())), now, week_grid)
    return render_template("booking/choose_slot.html", grid=Markup(grid))  # noqa: S704 (our own markup)
