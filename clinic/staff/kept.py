"""A colleague's list page (the queue, the chair board) drawn once and sent again while nothing it shows has
changed: the same colleague, session and URL, the same casework and schedule versions (bumped by database
triggers in the transaction of every write those pages read, migrations 0014 and 0016), and the clock short
of the instant it alone would change the page (an age, a response target, a new day).

The versions are read with the settings before anything the page is drawn from, so a kept page is never
older than the database at the moment it is sent. A kept page costs the request's sign-in checks and that
one statement. Pages live in each worker's memory only (they hold patients' names): never in Redis, never
on disk, none longer than MAX_KEPT, dropped least recently used first. A message waiting to be shown (after
a change) is never hidden behind a kept page: such a request draws the page afresh.

The response is also marked for `clinic.kept_responses`, which sends it again before Flask to a request with
the very same session cookie while the versions, the page's clock and the session's own (its idle clock's
next step, its timeouts: `session_steady_until`) hold: then not even the sign-in checks run again, as
nothing they read can have changed (a change to any staff account moves the casework version).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g, session
from flask import request as http_request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from clinic.auth.routes import session_steady_until
from clinic.kept_responses import Spliced, keep_response
from clinic.services.booking.slot_cache import Answer, MemoryStore
from clinic.services.rules.read import casework_version, schedule_version

MAX_KEPT = timedelta(minutes=10)  # well inside WTF_CSRF_TIME_LIMIT: a kept page's forms stay valid
PAGES_PER_WORKER = 128


def kept_page(draw: Callable[[], tuple[str, int, datetime]], *, now: datetime) -> tuple[str, int]:
    """The page and its status: kept, or drawn by `draw` (body, status, the instant the clock alone changes
    it) and kept when its status is 200."""
    if "_flashes" in session:
        body, status, _ = draw()
        return body, status
    casework = casework_version()  # both first: before anything the page is drawn from
    schedule = schedule_version()
    generate_csrf()  # the session's form secret exists before it is part of the key
    key = (
        current_user.get_id(),
        session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")),
        http_request.full_path,
        casework,
        schedule,
    )
    pages = current_app.extensions.setdefault("staff_pages", MemoryStore(entries=PAGES_PER_WORKER))
    page = pages.get(key)
    if page is None or not page.good_at(now):
        body, status, until = draw()
        if status != 200:
            return body, status
        page = Answer(now, min(until, now + MAX_KEPT), body)
        pages.put(key, page)
    steady = session_steady_until()
    if steady is not None:
        until = min(page.until, *steady)
        keep_response(version=schedule, casework=casework, computed_at=now, until=until, signed_in=True)
    return page.body, 200


def clock_changes_at(instant: datetime) -> None:
    """Note, while a page is drawn, an instant from which the clock alone shows part of it differently (a
    check-in's answer window closing, a new day): a copy of the page is kept no later than the earliest."""
    earlier = g.get("clock_changes_at")
    g.clock_changes_at = instant if earlier is None else min(earlier, instant)


def clock_steady_until(until: datetime) -> datetime:
    """`until`, or earlier if a part of the page being drawn noted an earlier change (`clock_changes_at`)."""
    noted = g.get("clock_changes_at")
    return until if noted is None else min(until, noted)


def keep_spliced(*, casework: int, schedule: int, now: datetime, until: datetime, spliced: Spliced) -> None:
    """Keep a page drawn at `now` from the `casework` and `schedule` versions (read before anything it shows)
    for this session cookie, with `spliced`'s middle drawn afresh at each sending, until the clock changes it
    (`until`, or a part's earlier `clock_changes_at`), the session's idle clock steps on or it ends, and
    never longer than MAX_KEPT (its forms' CSRF tokens stay valid)."""
    if "_flashes" in session:
        return
    steady = session_steady_until()
    if steady is None:
        return
    keep_response(
        version=schedule,
        casework=casework,
        computed_at=now,
        until=min(clock_steady_until(until), now + MAX_KEPT, *steady),
        signed_in=True,
        spliced=spliced,
    )
