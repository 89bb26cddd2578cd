"""The work every request pays for before and after its view, kept to what the request needs.

- The session cookie is only decoded when a request brings one (and never for a static file), with one
  signing serializer kept per key instead of one built per request.
- The signed-in user is loaded when a page or a guard first asks for `current_user`, not by a context
  processor for every template: an article or the slot picker never loads a user.
- The rate limiter's per-request check runs only where a limit may apply: every limit of this app is on a
  decorated view (checked by the view itself), so a GET of any other page skips it.
- Static files asked for by their content hash (`static_url`) may be kept for a year.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.util import get_qualified_name
from flask_login import current_user
from flask_login.utils import _user_context_processor

from clinic.extensions import SAFE_METHODS, limiter

LONG_CACHE = "public, max-age=31536000, immutable"


class App(Flask):
    """Flask, remembering what does not change from one request to the next: which hooks and views are plain
    functions (Flask asks again for every hook of every request, through inspect, to find coroutines: none
    of this app's are), and the path of a page that takes no values (the layout links a dozen)."""

    def url_for(self, /, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        if (
            values
            or _anchor is not None
            or _method is not None
            or _scheme is not None
            or _external
            or endpoint.startswith(".")
            or not has_request_context()
            or self.url_default_functions
            or self.config["SERVER_NAME"]
            or self.url_map.host_matching
        ):
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        cache = self.__dict__.setdefault("_plain_urls", {})
        key = (endpoint, request.script_root)
        try:
            return cache[key]
        except KeyError:
            url = cache[key] = super().url_for(endpoint, _external=_external)
            return url

    def ensure_sync(self, func):
        cache = self.__dict__.setdefault("_sync_functions", {})
        try:
            return cache[func]
        except KeyError:
            made = cache[func] = super().ensure_sync(func)
            return made
        except TypeError:  # unhashable
            return super().ensure_sync(func)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened only when there is a cookie to open."""

    _serializer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._serializer
        if kept is None or kept[0] != key:
            kept = self._serializer = (key, super().get_signing_serializer(app))
        return kept[1]

    def save_session(self, app, session, response):
        # Flask's own first steps for an empty session; and a static file's unopened one is never written
        # (writing it would replace the visitor's session with an empty one).
        if (not session and not session.modified) or getattr(session, "unopened", False):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        if _is_static(app, request.path):
            session = self.session_class()
            session.unopened = True  # the cookie, if any, is left as it is
            return session
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask opens for no cookie, without a serializer
        return super().open_session(app, request)


def _is_static(app: Flask, path: str) -> bool:
    return app.static_url_path is not None and path.startswith(app.static_url_path + "/")


def static_url(filename: str) -> str:
    """The URL of a static file with its content hash (`/static/css/app.css?v=3f2a…`), so that it may be
    cached for a year: a changed file has a new URL. Made once per process (in debug mode, every time)."""
    app = current_app._get_current_object()
    if app.debug:
        return url_for("static", filename=filename, v=_content_hash(filename))
    cache = app.__dict__.setdefault("_static_urls", {})
    key = (filename, request.script_root if has_request_context() else "")
    try:
        return cache[key]
    except KeyError:
        url = cache[key] = url_for("static", filename=filename, v=_content_hash(filename))
        return url


@lru_cache(maxsize=256)
def _hash_of(folder: str, filename: str) -> str | None:
    path = Path(folder, filename)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def _content_hash(filename: str) -> str | None:
    """The file's hash, read once per process (in debug mode, at every call: files change while editing)."""
    folder = current_app.static_folder or ""
    return _hash_of.__wrapped__(folder, filename) if current_app.debug else _hash_of(folder, filename)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

    # current_user for templates: the proxy itself, resolved only where a template reads it.
    processors = app.template_context_processors[None]
    if _user_context_processor in processors:
        processors.remove(_user_context_processor)
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["static_url"] = static_url

    _gate_limiter(app)

    @app.after_request
    def long_cache_for_hashed_static(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            wanted = request.args.get("v")
            filename = (request.view_args or {}).get("filename", "")
            if wanted and wanted == _content_hash(filename):
                response.headers["Cache-Control"] = LONG_CACHE
        return response


def _gate_limiter(app: Flask) -> None:
    """Run Flask-Limiter's before- and after-request hooks only for requests a limit may concern."""
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.setdefault(None, [])
    after = app.after_request_funcs.setdefault(None, [])
    inject = next((hook for hook in after if _is_limiter_headers(hook)), None)
    if check not in hooks or inject is None:  # the limiter is switched off
        return
    index = hooks.index(check)

    def concerned() -> bool:
        return request.method not in SAFE_METHODS or may_limit(app, request.endpoint or "")

    def check_request_limit():
        if concerned():
            check()

    def inject_headers(response):
        return inject(response) if concerned() else response

    hooks[index] = check_request_limit
    after[after.index(inject)] = inject_headers


def _is_limiter_headers(hook) -> bool:
    return "inject_headers" in getattr(getattr(hook, "func", None), "__name__", "")


def may_limit(app: Flask, endpoint: str) -> bool:
    """Whether a GET of `endpoint` could meet a limit: any application, default or blueprint limit, or a
    limit decorating its view. Decided once per endpoint."""
    decided = app.extensions.setdefault("may_limit", {})
    answer = decided.get(endpoint)
    if answer is None:
        answer = decided[endpoint] = _may_limit(app, endpoint)
    return answer


def _may_limit(app: Flask, endpoint: str) -> bool:
    manager = limiter.limit_manager
    if manager._application_limits or manager._default_limits or manager._blueprint_limits:
        return True
    view = app.view_functions.get(endpoint)
    if view is None:
        return False
    name = get_qualified_name(view)
    return (
        name in limiter._marked_for_limiting
        or manager.has_hints(endpoint)
        or bool(manager._decorated_limits.get(name))
    )
