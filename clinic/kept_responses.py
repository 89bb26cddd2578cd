"""Whole responses kept by each worker and sent again, before Flask, to the same request.

A view that answers every visitor without a session alike (an article, the slot picker, the API) calls
`keep_response(...)` with what its answer depends on besides the request: the layout's copy of the clinic's
details, the schedule version, the instant the clock alone changes it. The next GET with the same request
(path, query, language inputs, scheme and host) is answered here, without a request context, a session,
hooks or a view, for as long as all of that still holds: the versions are read again (one short
statement), the clock and the layout's copy checked. Anything else goes through the app as before.

A colleague's list pages (the queue, the chair board: `clinic.staff.kept`) are kept the same way for the
very same session cookie, signature and all (`signed_in=True`): the cookie is the request's sign-in, so a
kept page goes only to the request that was signed in when it was drawn, and only while the casework version
(bumped with every change to a staff account, so a sign-out, a password change or a deactivation ends it)
and the schedule version (the settings: two-factor required) are unchanged and the clock is short of the
session's own limits (`clinic.auth.routes.session_steady_until`). A request's detail page is kept the same
way but for one part drawn afresh at each sending (`Spliced`: its history, which each view adds to).

Never kept: a response that sets any cookie but the language one (a session written: a new sign-in, a
message shown, the idle clock moved on), any status but 200, any method but GET, a view whose endpoint
may meet a rate limit, a request with a session cookie for a page not marked `signed_in`, and anything in
the development server (which shows edits at once).
"""

import logging
import time as clock
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from flask import Flask, current_app, g, request

from clinic.extensions import LANGUAGE_COOKIE
from clinic.pipeline import may_limit
from clinic.services.rules.read import VERSION_READ, display_copy, versions_now

log = logging.getLogger(__name__)

MARK = "clinic.keep_response"
SPLICE = "clinic.keep_response.spliced"
MAX_BYTES = 32 * 1024 * 1024  # per worker: every week, language and API window in use, many times over
# What may change a kept answer, besides what its view names: the request as the app reads it.
KEY_VARIABLES = (
    "PATH_INFO",
    "QUERY_STRING",
    "SCRIPT_NAME",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",  # read by the security headers
    "HTTP_COOKIE",  # the language cookie; for a signed-in page, the session cookie itself
    "HTTP_ACCEPT_LANGUAGE",
)


@dataclass(frozen=True, slots=True)
class Holds:
    """While a kept response stays what the app would send."""

    display: tuple | None = None  # the layout's copy of the clinic's details it was drawn with
    version: int | None = None  # the schedule version it was computed at
    casework: int | None = None  # the casework version it was drawn at (a signed-in page)
    computed_at: datetime | None = None
    until: datetime | None = None  # exclusive: when the clock alone changes it


@dataclass(frozen=True, slots=True)
class Spliced:
    """A kept page with one part drawn afresh for each sending: `head`, what `middle(holds)` draws now,
    `tail`. `middle` runs outside any request (in an app context of its own) and checks the page's versions
    itself (`holds`: in the statement its part starts with, rather than in one of their own before it); it
    returns None when they moved or it cannot draw: the request then goes through the app."""

    head: bytes
    tail: bytes
    middle: Callable[[Holds], bytes | None]


@dataclass(frozen=True, slots=True)
class Kept:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    holds: Holds
    spliced: Spliced | None = None


class KeptResponses:
    """The WSGI layer: answers kept GETs, and keeps the answers views mark (a byte-bounded LRU)."""

    def __init__(self, wsgi_app: Callable, app: Flask, *, max_bytes: int = MAX_BYTES) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or self._editing():
            return self.wsgi_app(environ, start_response)
        key = tuple(environ.get(name) for name in KEY_VARIABLES)
        kept = self._get(key)
        if kept is not None and self._still(kept.holds, environ, versions=kept.spliced is None):
            if kept.spliced is None:
                start_response(kept.status, list(kept.headers))
                return [kept.body]
            body = self._splice(kept.spliced, kept.holds)
            if body is not None:
                start_response(kept.status, _with_length(kept.headers, len(body)))
                return [body]
        return self._through_app(key, environ, start_response)

    def _splice(self, spliced: Spliced, holds: Holds) -> bytes | None:
        try:
            middle = spliced.middle(holds)
        except Exception as error:  # any failure: the app answers (a 503 if the database is down)
            log.warning("kept page's fresh part failed (%s): through the app", type(error).__name__)
            return None
        return None if middle is None else spliced.head + middle + spliced.tail

    def _through_app(self, key: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answered: list = []

        def remember(status, headers, exc_info=None):
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        holds = environ.get(MARK)
        if (
            holds is None
            or not answered
            or not answered[0].startswith("200 ")
            or not all(_may_send_again(name, value) for name, value in answered[1])
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        self._put(key, Kept(answered[0], tuple(answered[1]), data, holds, environ.get(SPLICE)))
        return [data]

    def _editing(self) -> bool:
        return self.app.debug and not self.app.testing  # the development server shows edits at once

    def _get(self, key: tuple) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def _put(self, key: tuple, kept: Kept) -> None:
        if len(kept.body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._kept[key] = kept
            self._bytes += len(kept.body)
            while self._bytes > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.body)

    def _still(self, holds: Holds, environ: dict, *, versions: bool = True) -> bool:
        """Whether everything the kept answer was made from is unchanged: the layout's copy (the same,
        unexpired), the clock (within its steady span), then the versions (one statement; unless the caller
        checks them itself: a spliced page's fresh part)."""
        app = self.app
        if holds.display is not None and (
            app.extensions.get("clinic_display") is not holds.display or clock.monotonic() >= holds.display[0]
        ):
            return False
        if holds.until is not None:
            fixed = app.config.get("NOW_OVERRIDE")
            now = fixed if fixed is not None else datetime.now(holds.until.tzinfo)
            if not (holds.computed_at is None or holds.computed_at <= now) or now >= holds.until:
                return False
        if versions and (holds.version is not None or holds.casework is not None):
            try:
                schedule, casework = versions_now(app)
            except Exception as error:  # any failure: the app answers (a 503 if the database is down)
                log.warning("versions unreadable (%s): through the app", type(error).__name__)
                return False
            environ[VERSION_READ] = schedule
            return holds.version in (None, schedule) and holds.casework in (None, casework)
        return True


def _with_length(headers: tuple[tuple[str, str], ...], length: int) -> list[tuple[str, str]]:
    return [(name, str(length) if name.lower() == "content-length" else value) for name, value in headers]


def _may_send_again(name: str, value: str) -> bool:
    """Every header but a cookie; of cookies, only the language one (`?lang=es` sets it for every visitor
    alike: its Max-Age, not its Expires, is what browsers keep it by)."""
    return name.lower() != "set-cookie" or value.startswith(LANGUAGE_COOKIE + "=")


def keep_response(
    *,
    display: bool = False,
    version: int | None = None,
    casework: int | None = None,
    computed_at: datetime | None = None,
    until: datetime | None = None,
    signed_in: bool = False,
    spliced: Spliced | None = None,
) -> None:
    """Mark this request's answer to be kept and sent again to the same request while it holds: drawn with
    the layout's copy of the clinic's details (`display`), computed at schedule `version` (and `casework`
    version), unchanged by the clock from `computed_at` until `until`, with `spliced`'s middle drawn afresh
    at each sending if given (its head and tail must be the answer's body around that part). Only a
    `signed_in` page is kept for a request with a session cookie (for that cookie alone); nothing for a
    request the layer does not serve."""
    app = current_app._get_current_object()
    layer = app.extensions.get("kept_responses")
    if layer is None or request.method != "GET":
        return
    if signed_in != (app.config["SESSION_COOKIE_NAME"] in request.cookies):
        return  # a visitor's page is never kept for a session, nor a colleague's without one
    if may_limit(app, request.endpoint or ""):
        return  # a kept answer would skip the limit
    copy = None
    if display:
        copy = display_copy(load=False)  # the copy the page was drawn with, if the layout had one
        if copy is None:
            return  # switched off (SETTINGS_DISPLAY_SECONDS = 0), or the database was out of reach
    request.environ[MARK] = Holds(copy, version, casework, computed_at, until)
    if spliced is not None:
        request.environ[SPLICE] = spliced


def init_app(app: Flask) -> None:
    layer = KeptResponses(app.wsgi_app, app)
    app.wsgi_app = layer  # type: ignore[method-assign]
    app.extensions["kept_responses"] = layer

    @app.before_request
    def version_read_before_the_app() -> None:
        """A kept answer found stale read the schedule version already: the request's own, not read twice."""
        known = request.environ.get(VERSION_READ)
        if known is not None:
            g.schedule_version = known
