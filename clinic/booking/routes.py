from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request

from clinic.scheduling import monday_of
from clinic.services.booking import availability
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

bp = Blueprint("booking", __name__)


@bp.get("/book")
def choose_slot():
    """The week's slot picker, server-rendered: each free slot links to the intake form."""
    now = utcnow()
    week_param = request.args.get("week", "")
    info = clinic_info()
    today = now.astimezone(info.rules.tz).date()
    if week_param:
        try:
            requested = date.fromisoformat(week_param)
        except ValueError:
            abort(400, "The week must be a date written YYYY-MM-DD.")
        if abs((requested - today).days) > 3660:
            abort(400, "That week is too far away.")
    else:
        requested = today
    week = monday_of(requested)
    first_bookable_week = monday_of(today)
    last_bookable_week = monday_of(today + timedelta(days=info.horizon_days))
    schedule, days = availability.days_from(week, 7, now=now)
    if not week_param and not any(day.slots for day in days) and week < last_bookable_week:
        # Late on Saturday or on Sunday nothing is left this week: open on the next one.
        week = week + timedelta(days=7)
        schedule, days = availability.days_from(week, 7, now=now)
    return render_template(
        "booking/choose_slot.html",
        days=days,
        tz=schedule.tz,
        week=week,
        prev_week=week - timedelta(days=7) if week > first_bookable_week else None,
        next_week=week + timedelta(days=7) if week < last_bookable_week else None,
        today=today,
    )
