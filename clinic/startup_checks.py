"""Refuse to start with settings that would fail unsafely: checked once by `create_app`, before anything runs.

- The public development key signs sessions and manage links only under the development server
  (`flask run` and the other `flask` commands, with CLINIC_ENV=development and DEBUG on). Any other start
  (gunicorn, `create_app()` in a script) without a configured SECRET_KEY refuses, whatever CLINIC_ENV says:
  a forged session cookie or manage link must never be possible because someone forgot a variable.
- Production also refuses a short or guessable key, DEBUG, and per-process (`memory://`) rate limits
  unless it is told that only one worker runs (CLINIC_SINGLE_WORKER=true): with several workers each would
  keep its own count, and every limit would be multiplied by their number.
"""

import os

from flask import Flask
from zxcvbn import zxcvbn

from config import DEV_SECRET_KEY

MIN_SECRET_KEY_LENGTH = 32
# zxcvbn's estimate of the guesses needed, as a power of ten: 10^24 is about 2^80. A random key of 32
# characters or more is far above it; "a" * 32, a word repeated or a keyboard walk are far below.
MIN_SECRET_KEY_GUESSES_LOG10 = 24
# Keys that are in the repository (so public): never accepted as configured keys.
PUBLIC_KEYS = frozenset({DEV_SECRET_KEY, "testing-secret-key-not-for-production"})
NO_KEY = (
    "SECRET_KEY is not set. The public development key is only used under the development server "
    "(`flask run` with CLINIC_ENV=development); any other start needs its own key. Set SECRET_KEY (or "
    "CLINIC_SECRET_KEY) to a long random value, for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
)


def check(app: Flask) -> None:
    """Raise RuntimeError with a clear message for a configuration that must not run."""
    _secret_key(app)
    if _environment() == "production":
        _production(app)


def _environment() -> str:
    return os.environ.get("CLINIC_ENV", "development")


def development_server(app: Flask) -> bool:
    """True under `flask run` (or another `flask` command) in development with DEBUG on."""
    return (
        _environment() == "development" and bool(app.debug) and os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    )


def _secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if key and key not in PUBLIC_KEYS:
        return
    if development_server(app):
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
        return
    raise RuntimeError(NO_KEY)


def _production(app: Flask) -> None:
    key = app.config["SECRET_KEY"]
    if not isinstance(key, str) or len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: set a long random SECRET_KEY "
            "in production."
        )
    if key_strength(key) < MIN_SECRET_KEY_GUESSES_LOG10:
        raise RuntimeError(
            "SECRET_KEY is too easy to guess (repeats, sequences or words): set a long random SECRET_KEY "
            "in production, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    if app.debug:
        raise RuntimeError("DEBUG must be off in production")
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if (
        app.config.get("RATELIMIT_ENABLED", True)
        and storage.startswith("memory://")
        and not app.config.get("SINGLE_WORKER")
    ):
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI is memory://, which each worker keeps for itself: with several workers "
            "every rate limit is multiplied by their number. Point it at Redis (redis://host:6379/0), or set "
            "CLINIC_SINGLE_WORKER=true if exactly one worker process runs."
        )


def key_strength(key: str) -> float:
    """zxcvbn's guesses (log10) for the key's first 72 characters (its limit), an estimate of entropy."""
    return float(zxcvbn(key[:72])["guesses_log10"])
