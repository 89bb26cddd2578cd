"""A colleague's list page (the queue, the chair board) drawn once and sent again while nothing it shows has
changed: the same colleague, session and URL, the same casework and schedule versions (bumped by database
triggers in the transaction of every write those pages read, migrations 0014 and 0016), and the clock short
of the instant it alone would change the page (an age, a response target, a new day).

The versions are read with the settings before anything the page is drawn from, so a kept page is never
older than the database at the moment it is sent. A kept page costs the request's sign-in checks and that
one statement. Pages live in each worker's memory only (they hold patients' names): never in Redis, never
on disk, none longer than MAX_KEPT, dropped least recently used first. A message waiting to be shown (after
a change) is never hidden behind a kept page: such a request draws the page afresh.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, session
from flask import request as http_request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

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
    versions = (casework_version(), schedule_version())  # first: before anything the page is drawn from
    generate_csrf()  # the session's form secret exists before it is part of the key
    key = (
        current_user.get_id(),
        session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")),
        http_request.full_path,
        *versions,
    )
    pages = current_app.extensions.setdefault("staff_pages", MemoryStore(entries=PAGES_PER_WORKER))
    page = pages.get(key)
    if page is not None and page.good_at(now):
        return page.body, 200
    body, status, until = draw()
    if status == 200:
        pages.put(key, Answer(now, min(until, now + MAX_KEPT), body))
    return body, status
