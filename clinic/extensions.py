"""Every extension is created here, unbound, so that nothing has to import the package root."""

import sqlite3

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "basic"
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window")
mail = Mail()

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
# Staff and admin pages (and the JSON API) stay in English whatever the visitor's language.
ENGLISH_ONLY_BLUEPRINTS = frozenset({"auth", "staff", "admin", "api"})


def chosen_language() -> str:
    """The patient's language: ?lang=es|en, else the cookie, else Accept-Language, else English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANGUAGE_COOKIE, "")
    if kept in LANGUAGES:
        return kept
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def select_locale() -> str:
    """Flask-Babel's locale: the chosen language on patient pages, English on staff pages."""
    if has_request_context() and request.blueprint in ENGLISH_ONLY_BLUEPRINTS:
        return DEFAULT_LANGUAGE
    return chosen_language()


babel = Babel()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and transactions begun by us (see `_sqlite_begin`)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Begin SQLite write transactions with BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes fails at once under contention, whatever the
    busy timeout, so anything that may write takes the write lock up front and waits its turn. Reads
    of a GET page stay deferred so that they never queue behind writers (WAL lets them run alongside).
    """
    if conn.dialect.name != "sqlite" or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # autocommit: each statement on its own (a kept response reading the schedule version)
    if has_request_context() and request.method in SAFE_METHODS and not _view_writes():
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def writes_on_get(view):
    """Mark a GET view that writes (an audit event of a read): on SQLite it takes the write lock up front."""
    view.writes_on_get = True
    return view


def _view_writes() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))
