from datetime import date, datetime

from flask import Blueprint, abort, current_app, get_template_attribute, render_template, request
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
    """The week's slot picker, server-rendered: each free slot links to the intake form.

    The week's grid is kept per schedule version (slot_cache); for a visitor with no session, the whole
    page too, keyed on its URL and language: it then costs one statement, the version's.
    """
    now = utcnow()
    week_param = request.args.get("week", "")
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return _page(week_param, now=now).body
    url = (request.base_url, request.query_string.decode("latin-1"), str(get_locale()))
    return slot_cache.cached_response("book-page", url, now, lambda: _page(week_param, now=now))


def _page(week_param: str, *, now: datetime) -> slot_cache.Answer:
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
    grid = slot_cache.kept("book", (asked, str(get_locale())), now, week_grid)
    # The grid is the slot_grid macro's own output (autoescaped when it was rendered), kept as text.
    page = render_template("booking/choose_slot.html", grid=Markup(grid.body))  # noqa: S704  # nosec B704
    return slot_cache.Answer(now, grid.until, page)
