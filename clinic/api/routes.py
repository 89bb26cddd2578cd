"""The public JSON API: its contract is docs/openapi.yaml, checked by tests/web/test_openapi.py."""

from datetime import date, timedelta

from flask import Blueprint, Response, abort, jsonify, request

from clinic.scheduling import DayPlan
from clinic.services.booking import availability, slot_cache
from clinic.services.rules.read import clinic_info
from clinic.timeutil import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def day_json(day: DayPlan, tz) -> dict:
    body = {
        "date": day.date.isoformat(),
        "weekday": day.weekday,
        "open": day.is_open,
        "opens": day.opens.strftime("%H:%M") if day.opens else None,
        "closes": day.closes.strftime("%H:%M") if day.closes else None,
        "slots": [
            {
                "start": slot.starts_at.astimezone(tz).isoformat(),
                "end": slot.ends_at.astimezone(tz).isoformat(),
                "remaining": slot.remaining,
            }
            for slot in day.slots
        ],
    }
    if day.closure_reason is not None:
        body["closure"] = day.closure_reason
    return body


@bp.get("/availability")
def availability_view():
    """Offered slots for `days` days from `start` (default today in the clinic's timezone, 7 days)."""
    now = utcnow()
    start_param = request.args.get("start", "")
    days_param = request.args.get("days", "7")

    def window() -> slot_cache.Answer:
        info = clinic_info()
        tz = info.rules.tz
        try:
            start = date.fromisoformat(start_param) if start_param else now.astimezone(tz).date()
        except ValueError:
            abort(400, "start must be a date written YYYY-MM-DD")
        if not days_param.isascii() or not days_param.isdigit() or len(days_param) > 4:
            abort(400, "days must be a whole number from 1 to the booking horizon")
        days = int(days_param)
        if not 1 <= days <= info.horizon_days:
            abort(400, f"days must be from 1 to {info.horizon_days}")
        if not date(2000, 1, 1) <= start <= date(9000, 1, 1):
            abort(400, "start is out of range")
        schedule, plans = availability.days_from(start, days, now=now)
        body = jsonify(
            timezone=info.timezone,
            slot_minutes=info.slot_minutes,
            days=[day_json(day, schedule.tz) for day in plans],
        ).get_data(as_text=True)
        last = start + timedelta(days=days - 1)
        return slot_cache.Answer(now, schedule.steady_until(start, last, now), body)

    # Kept under the parameters as given: only valid ones are ever kept (a bad one aborts the computation),
    # so an answer found is valid at its version; no start means today, which midnight (in steady_until) ends.
    body = slot_cache.cached_response("api", (f"start={start_param}", f"days={days_param}"), now, window)
    return Response(body, mimetype="application/json")
