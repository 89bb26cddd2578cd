from datetime import date, datetime, time, timedelta
from functools import wraps

from babel.dates import format_date
from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic.errors import safe_rollback
from clinic.extensions import db
from clinic.i18n import language
from clinic.kept_responses import keep_response
from clinic.public import articles, placeholders, wording
from clinic.scheduling import ClosureRule, DayHours
from clinic.services.booking.intake import CONSENT_VERSION
from clinic.services.booking.slot_cache import MemoryStore
from clinic.services.mail.calendar import SPANISH, clock_text, zone_name
from clinic.services.rules.read import (
    ClinicInfo,
    clinic_info,
    closures_between,
    displayed_info,
    schedule_version,
    weekly_hours,
)
from clinic.timeutil import utcnow

bp = Blueprint("public", __name__)

UPCOMING_CLOSURE_DAYS = 45


@bp.app_template_filter("clock")
def clock(value: time) -> str:
    """8:00 AM, 5:30 PM; in Spanish 8:00 a.m., 5:30 p.m."""
    return clock_text(value, language())


@bp.app_template_filter("zone_name")
def zone(timezone: str) -> str:
    """Eastern Time; in Spanish hora oriental."""
    return zone_name(timezone, language())


@bp.app_template_filter("day_month")
def day_month(day: date) -> str:
    """November 23; in Spanish 23 de noviembre."""
    if language() == "es":
        return format_date(day, "d 'de' MMMM", locale=SPANISH)
    return f"{day.strftime('%B')} {day.day}"


@bp.app_template_filter("weekday")
def weekday(day: date) -> str:
    """Monday; in Spanish lunes."""
    if language() == "es":
        return format_date(day, "EEEE", locale=SPANISH)
    return day.strftime("%A")


@bp.app_template_filter("month_year")
def month_year(day: date) -> str:
    """The week's heading date: November 23, 2026; in Spanish 23 de noviembre de 2026."""
    if language() == "es":
        return format_date(day, "d 'de' MMMM 'de' y", locale=SPANISH)
    return f"{day.strftime('%B')} {day.day}, {day.year}"


@bp.app_template_filter("tel")
def tel(value: str) -> str:
    """A phone number as a tel: link target: digits and a leading plus only."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"+{digits}" if value.strip().startswith("+") else digits


bp.add_app_template_filter(wording.week_summary, "week_summary")
bp.add_app_template_filter(wording.closed_days, "closed_days")


@bp.app_context_processor
def inject_site() -> dict:
    return {"site_info": site_info}


def site_info() -> ClinicInfo | None:
    """The clinic's details for the layout, or None when the database cannot be reached.

    The layout wraps every page, error pages included: a 503 for a database outage must still render,
    so the layout asks here rather than calling clinic() and failing a second time.
    """
    try:
        return displayed_info()
    except DBAPIError:
        safe_rollback()
        return None


def _hours_context(now: datetime) -> dict:
    """The week's hours (Monday first), today's weekday and the closures coming up, for home and contact.
    Read with the schedule version (the settings' statement comes first, before the closures)."""
    info = clinic_info()  # the settings, the hours and the schedule version in one statement
    hours: dict[int, DayHours | None] = weekly_hours()
    today: date = now.astimezone(info.rules.tz).date()
    upcoming: list[ClosureRule] = closures_between(today, today + timedelta(days=UPCOMING_CLOSURE_DAYS))
    return {
        "hours_rows": [(index, wording.weekday_name(index), hours.get(index)) for index in range(7)],
        "today": today,
        "upcoming_closures": upcoming,
    }


@bp.get("/")
def home():
    now = utcnow()
    context = _hours_context(now)
    page = render_template("public/home.html", articles=articles.all_articles(language()), **context)
    _keep_until_midnight(now)
    return page


def _keep_until_midnight(now: datetime) -> None:
    """Keep a page drawn at `now` from the settings, hours and closures alone (home, contact) for visitors
    with no session, until the schedule version moves or the clinic's midnight changes "today" and the
    closures coming up."""
    tz = clinic_info().rules.tz
    tomorrow = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(), tzinfo=tz)
    keep_response(version=schedule_version(), computed_at=now, until=tomorrow)


def kept_for_visitors(view):
    """A page whose HTML depends only on its URL, the language and the clinic's displayed details (the
    articles): rendered once per worker for each of those and served again to visitors with no session.
    A visitor with a session (a message waiting for them, a signed-in colleague) gets it rendered afresh.
    The details are the layout's copy (`displayed_info`): a changed phone number shows within its seconds.
    """

    @wraps(view)
    def kept(**arguments):
        editing = current_app.debug and not current_app.testing  # the development server shows edits at once
        if editing or current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
            return view(**arguments)
        key = (request.endpoint, request.base_url, request.query_string, language(), site_info())
        pages = current_app.extensions.setdefault("public_pages", MemoryStore(entries=256))
        page = pages.get(key)
        if page is None:
            page = view(**arguments)
            pages.put(key, page)
        keep_response(display=True)  # and the whole response, while the layout's copy of the details holds
        return page

    return kept


@bp.get("/learn/")
@kept_for_visitors
def learn():
    return render_template("public/learn.html", articles=articles.all_articles(language()))


@bp.get("/learn/<slug>")
@kept_for_visitors
def article(slug: str):
    try:
        item = articles.article(slug, language())
    except articles.ArticleNotFound:
        abort(404)
    return render_template(
        "public/article.html",
        article=item,
        body=placeholders.fill(item.html, site_info()),  # the cached HTML, with today's settings
        next_article=articles.next_article(item, language()),
    )


@bp.get("/contact")
def contact():
    now = utcnow()
    page = render_template("public/contact.html", **_hours_context(now))
    _keep_until_midnight(now)
    return page


@bp.get("/privacy")
def privacy():
    """The privacy notice the intake's consent points to; its version is stored with each consent."""
    return render_template("public/privacy.html", consent_version=CONSENT_VERSION)


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitors."""
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        safe_rollback()
        return jsonify(status="degraded", database="unavailable"), 503, {"Retry-After": "5"}
    return jsonify(status="ok", database="ok")
