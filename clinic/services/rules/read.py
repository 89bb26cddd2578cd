"""The clinic's settings, hours and closures, read from one place by every page, the API and emails."""

import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import Connection, select

from clinic.extensions import db
from clinic.models import CaseworkVersion, ClinicSettings, Closure, OpeningHours, ScheduleVersion
from clinic.scheduling import BookingRules, ClosureRule, DayHours, Schedule

DEFAULTS = {
    "name": "Northfield Clinic",
    "phone": "(212) 555-0142",
    "email": "care@northfield-clinic.example",
    "address": "120 Harbor Street, Suite 300, New York, NY 10001",
    "timezone": "America/New_York",
    "slot_minutes": 30,
    "capacity": 1,
    "min_notice_hours": 2,
    "horizon_days": 60,
    "require_two_factor": True,
    "offer_minutes": 30,
}


@dataclass(frozen=True, slots=True)
class ClinicInfo:
    """A detached copy of the settings row, safe to keep beyond the session."""

    name: str
    phone: str
    email: str
    address: str
    timezone: str
    slot_minutes: int
    capacity: int
    min_notice_hours: int
    horizon_days: int
    require_two_factor: bool = True
    offer_minutes: int = 30  # how long a waitlist offer holds its seat

    @property
    def rules(self) -> BookingRules:
        return BookingRules(
            self.timezone, self.slot_minutes, self.capacity, self.min_notice_hours, self.horizon_days
        )


_VERSION = select(ScheduleVersion.version).where(ScheduleVersion.id == 1)
_CASEWORK = select(CaseworkVersion.version).where(CaseworkVersion.id == 1)
# ClinicInfo's fields, in its order, as columns of the settings row.
_SETTINGS = tuple(getattr(ClinicSettings, name) for name in DEFAULTS)
_VERSIONS = (_VERSION.scalar_subquery(), _CASEWORK.scalar_subquery())
# Columns, not entities, and the statement built once: it opens every page, and building it and loading
# eight ORM objects cost several times its round trip.
_STATE = (
    select(*_SETTINGS, OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes, *_VERSIONS)
    .select_from(ClinicSettings)
    .join(OpeningHours, sa.true())
    .order_by(OpeningHours.weekday)
)
VERSION_READ = "clinic.schedule_version"  # the environ key of a version read before the request began


def _load() -> tuple[ClinicInfo, dict[int, DayHours | None], int, int]:
    """Settings, the week's hours, the schedule version and the casework version in one query (the settings
    row joined to its seven weekdays, the versions as scalar subqueries).

    The versions are read before anything the slots or a staff page are computed from (bookings, closures,
    requests): an answer cached under them may be newer than they say, never older.
    """
    if has_request_context() and "clinic_state" in g:
        return g.clinic_state
    rows = db.session.execute(_STATE).all()
    hours: dict[int, DayHours | None] = dict.fromkeys(range(7))
    if rows:
        size = len(_SETTINGS)
        info = ClinicInfo(*rows[0][:size])
        for row in rows:
            weekday, opens, closes = row[size : size + 3]
            if opens is not None and closes is not None:
                hours[weekday] = DayHours(opens, closes)
        schedule, casework = rows[0][size + 3], rows[0][size + 4]
    else:
        info = ClinicInfo(**DEFAULTS)
        schedule, casework = db.session.execute(select(*_VERSIONS)).one()
    state = (info, hours, schedule or 0, casework or 0)
    if has_request_context():
        g.clinic_state = state
    return state


def clinic_info() -> ClinicInfo:
    """The settings, read once per request."""
    return _load()[0]


def schedule_version() -> int:
    """The schedule version, once per request: what cached slots are kept under. Read with the settings
    when the request has them already; otherwise alone (one small row), so that a kept answer costs one
    short statement. Either way it is read before anything a kept answer is computed from."""
    if has_request_context():
        if "clinic_state" in g:
            return g.clinic_state[2]
        if "schedule_version" not in g:  # (or read by kept_responses before this request began)
            g.schedule_version = db.session.scalar(_VERSION) or 0
        return g.schedule_version
    return _load()[2]


class _VersionReader(threading.local):
    """Each worker thread's own database connection for reading the schedule version outside a request,
    opened on first use and reopened after a failure: one round trip a read, no pool, no transaction."""

    connection = None


# Both versions still what a kept page was drawn at (`schedule`, `casework`): a condition for a statement that
# writes only then (a spliced page's fresh part), in place of reading them first.
UNCHANGED = sa.and_(
    sa.func.coalesce(_VERSION.scalar_subquery(), 0) == sa.bindparam("schedule"),
    sa.func.coalesce(_CASEWORK.scalar_subquery(), 0) == sa.bindparam("casework"),
)
# Both versions, as written (nothing to compile), in one row whatever is missing.
_VERSIONS_SQL = (
    "SELECT (SELECT version FROM schedule_versions WHERE id = 1),"
    " (SELECT version FROM casework_versions WHERE id = 1)"
)


def versions_now(app: Flask) -> tuple[int, int]:
    """The schedule and casework versions read outside any request (a kept response checking it still
    holds): one statement in autocommit on a connection this thread keeps open (checking a pooled
    connection out and back in costs several times the statement). Any error closes it and propagates."""
    with outside_request(app) as connection:
        schedule, casework = connection.exec_driver_sql(_VERSIONS_SQL).one()
    return schedule or 0, casework or 0


@contextmanager
def outside_request(app: Flask) -> Iterator[Connection]:
    """This thread's own connection for statements outside any request, in autocommit (each statement its
    own transaction): opened on first use; any error in the block closes it (the next use opens another)."""
    reader = app.extensions.get("version_reader")
    if reader is None:
        reader = app.extensions["version_reader"] = _VersionReader()
    connection = reader.connection
    if connection is None:
        connection = reader.connection = outside_engine(app).connect()
    try:
        yield connection
    except Exception:
        reader.connection = None
        connection.invalidate()
        connection.close()
        raise


GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def outside_engine(app: Flask) -> sa.Engine:
    """The app's engine in autocommit for these connections. On PostgreSQL an engine of their own (no pool:
    each thread keeps its one connection), whose sessions plan each statement once (generic plans): they
    run the same few statements thousands of times (the versions, a kept page's fresh part), and planning
    the history's anew cost more than running it."""
    engine = app.extensions.get("outside_request_engine")
    if engine is None:
        with app.app_context():
            engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql":
            given = engine.url.query.get("options")  # the URL's own session options, if any, kept
            options = " ".join(filter(None, [given if isinstance(given, str) else None, GENERIC_PLANS]))
            engine = sa.create_engine(
                engine.url,
                poolclass=sa.pool.NullPool,
                isolation_level="AUTOCOMMIT",
                hide_parameters=True,
                connect_args={"options": options},
            )
        app.extensions["outside_request_engine"] = engine
    return engine


def close_version_reader(app: Flask) -> None:
    """Close this thread's version-reading connection (an app being put away: tests, a shell)."""
    reader = app.extensions.get("version_reader")
    if reader is not None and reader.connection is not None:
        reader.connection.close()
        reader.connection = None


def casework_version() -> int:
    """The casework version (migration 0016), read with the settings once per request: what a colleague's
    kept staff page is kept under. Read before anything such a page is drawn from."""
    return _load()[3]


def weekly_hours() -> dict[int, DayHours | None]:
    """Opening hours by weekday (Monday 0); None for a closed day. Read once per request."""
    return _load()[1]


def closures_between(first: date, last: date) -> list[ClosureRule]:
    """The closures touching the dates first..last, in one query."""
    rows = db.session.scalars(
        select(Closure)
        .where(Closure.start_date <= last, Closure.end_date >= first)
        .order_by(Closure.start_date)
    )
    return [ClosureRule(c.start_date, c.end_date, c.reason, c.start_time, c.end_time) for c in rows]


def stored_hours() -> dict[int, DayHours | None]:
    """The stored week, read fresh (not the per-request copy): what an admin change compares against."""
    hours: dict[int, DayHours | None] = dict.fromkeys(range(7))
    for row in db.session.scalars(select(OpeningHours)):
        if row.opens is not None and row.closes is not None:
            hours[row.weekday] = DayHours(row.opens, row.closes)
    return hours


def schedule_for(first: date, last: date) -> Schedule:
    """The scheduling rules in force for first..last (one query each for settings, hours and closures)."""
    return Schedule(weekly_hours(), closures_between(first, last), clinic_info().rules)


def displayed_info() -> ClinicInfo:
    """The clinic's name and contact details for the layout around every page.

    The request's own copy when it has read the settings already (so a page never shows two versions).
    Otherwise a copy kept by this process for SETTINGS_DISPLAY_SECONDS (default 5): an article then sends
    no query at all. Nothing that decides anything reads this copy: slots, bookings, the
    API, staff pages and emails read the settings in their own request. An admin change clears it at once
    in the process that made it, and in every other process within those seconds.
    """
    if has_request_context() and "clinic_state" in g:
        return g.clinic_state[0]
    copy = display_copy()
    return copy[1] if copy is not None else clinic_info()


def display_copy(*, load: bool = True) -> tuple[float, ClinicInfo] | None:
    """This process's copy of the details (until when, on the monotonic clock; the details), read again
    once expired unless `load` is False; None when there is none (SETTINGS_DISPLAY_SECONDS = 0, or not
    loaded). A page kept whole (kept_responses) holds while this same copy does."""
    seconds = current_app.config.get("SETTINGS_DISPLAY_SECONDS", 5)
    if seconds <= 0:
        return None
    kept = current_app.extensions.get("clinic_display")
    now = clock.monotonic()
    if kept is not None and now < kept[0]:
        return kept
    if not load:
        return None
    kept = current_app.extensions["clinic_display"] = (now + seconds, clinic_info())
    return kept


def forget() -> None:
    """Drop the copies after an admin change, so the rest of the request and this process's later
    requests read the new values."""
    if has_request_context():
        g.pop("clinic_state", None)
    if has_app_context():
        current_app.extensions.pop("clinic_display", None)


def register(app: Flask) -> None:
    @app.context_processor
    def inject_clinic() -> dict:
        return {"clinic": clinic_info, "week_hours": weekly_hours}
