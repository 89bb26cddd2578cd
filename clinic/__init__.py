"""Clinic: intake and scheduling for a ketamine-therapy clinic."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from clinic import keys, startup_checks
from clinic.startup_checks import MIN_SECRET_KEY_LENGTH
from config import settings_class

ROOT = Path(__file__).resolve().parent.parent  # templates/ and static/ sit next to clinic/
__all__ = ["MIN_SECRET_KEY_LENGTH", "ROOT", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app: config.py's class for CLINIC_ENV, then CLINIC_* variables, then `config`."""
    load_dotenv(ROOT / ".env")
    from clinic.pipeline import App

    app = App(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("CLINIC_INSTANCE_PATH", str(ROOT / "instance")),
    )
    app.config.from_object(settings_class(os.environ.get("CLINIC_ENV", "development")))
    app.config.from_prefixed_env("CLINIC")
    app.config.update(config or {})
    app.jinja_env.add_extension("jinja2.ext.do")
    _database_uri(app)
    startup_checks.check(app)
    keys.init_app(app, may_generate=_is_development_or_testing(app))

    from clinic import extensions, i18n, kept_responses, log_privacy, pipeline, security
    from clinic.services.booking import slot_cache

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.mail.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    pipeline.init_app(app)
    slot_cache.init_app(app)
    log_privacy.install(app.logger)

    from clinic import (
        admin,
        api,
        auth,
        booking,
        checkins,
        cli,
        courses,
        errors,
        intake,
        models,  # noqa: F401  (every table known to the metadata)
        public,
        staff,
    )
    from clinic.services.rules import read

    for area in (public, booking, intake, courses, checkins, auth, staff, admin, api):
        app.register_blueprint(area.bp)
    extensions.csrf.exempt(api.bp)  # read-only JSON
    errors.register(app)
    cli.register(app)
    read.register(app)
    kept_responses.init_app(app)  # answers kept GETs before Flask; inside ProxyFix, so it sees the client's
    if app.config.get("PROXY_COUNT"):
        # Behind N reverse proxies: trust their X-Forwarded-* so rate limits and HTTPS see the real client.
        # Only then: without it, no X-Forwarded-* header changes the client address, scheme or host.
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    return app


def _database_uri(app: Flask) -> None:
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{Path(app.instance_path) / 'clinic.db'}"
    elif uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri


def _is_development_or_testing(app: Flask) -> bool:
    return os.environ.get("CLINIC_ENV", "development") != "production" and (app.debug or app.testing)
