"""Friendly error pages, and JSON errors for the API. Never a stack trace."""

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from clinic.extensions import db
from clinic.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Something in that request was not right"),
        _l(
            "The page could not understand what was sent. "
            "If you were filling in a form, please go back, reload the page and try again."
        ),
    ),
    403: (_l("You don't have access to this page"), _l("Your account cannot open this page.")),
    404: (_l("We couldn't find that page"), _l("The address may be mistyped, or the page may have moved.")),
    405: (_l("That action isn't available here"), _l("Please go back and try again.")),
    409: (_l("That time was just taken"), _l("Please choose another time.")),
    413: (_l("That was too much to send"), _l("Please shorten what you typed and try again.")),
    422: (_l("Some details need another look"), _l("Please go back and check the form.")),
    429: (
        _l("Too many attempts"),
        _l("Please wait a little and try again. If you need to reach us sooner, call us."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("We are sorry. Nothing you did caused this. Please try again in a few minutes, or call us."),
    ),
    503: (
        _l("We are briefly unavailable"),
        _l("The service is busy or under maintenance. Please try again in a minute, or call us."),
    ),
}


def render_error(code: int, detail: str | None = None, headers: dict | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    if request.blueprint == "api" or request.path.startswith("/api/") or request.path == "/healthz":
        body = jsonify(error=str(detail or title))
        return body, code, headers or {}
    return (
        render_template("errors/error.html", code=code, title=str(title), text=str(detail or text)),
        code,
        headers or {},
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _l(
                "This form has expired or was sent without its security token. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # A description given at abort() says what to fix; werkzeug's stock text says nothing useful.
        custom = error.description != type(error).description
        detail = error.description if custom and error.code < 500 else None
        headers = {}
        if isinstance(error, ServiceUnavailable):
            headers["Retry-After"] = "5"
        if error.code == 429:
            headers["Retry-After"] = "60"
        if error.code == 405:
            headers["Allow"] = ", ".join(error.valid_methods or [])  # type: ignore[attr-defined]
        return render_error(error.code, detail, headers)

    @app.errorhandler(DataError)
    def data_refused(error: DataError):
        """The database refused a value as sent (a NUL byte, a number out of range): a 400, not a 503."""
        log.info("database refused a value: %s", type(error.orig).__name__ if error.orig else "DataError")
        safe_rollback()
        return render_error(400, "Something you sent contains characters or values we cannot accept.")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):
        """The database is down or too busy: 503 with Retry-After, never a 500 with a trace."""
        log.warning(
            "database unavailable: %s", type(error.orig).__name__ if error.orig else type(error).__name__
        )
        safe_rollback()
        return render_error(503, None, {"Retry-After": "5"})

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        safe_rollback()
        return render_error(500)


def safe_rollback() -> None:
    """End a failed transaction; with the connection gone there is nothing to roll back, only a log line."""
    try:
        db.session.rollback()
    except DBAPIError:
        log.warning("rollback failed after a database error")
