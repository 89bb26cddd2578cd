"""Languages: Flask-Babel bound to the app, the language kept in a cookie, and the headers that say which.

The language itself is chosen in `extensions.select_locale` (?lang=, then the cookie, then Accept-Language,
then English; staff pages always English). The catalogs live in clinic/translations; a missing or stale
`.mo` is compiled here at start, since a missing one silently shows English.
"""

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, url_for
from flask_babel import LazyString, get_locale, gettext, refresh
from markupsafe import escape

from clinic.extensions import ENGLISH_ONLY_BLUEPRINTS, LANGUAGE_COOKIE, LANGUAGES, babel, select_locale

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
COOKIE_MAX_AGE = 365 * 24 * 3600


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    """Compile every messages.po whose messages.mo is missing or older (fuzzy entries left out)."""
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}")  # workers starting together each write their own
        try:
            with tmp.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp.replace(mo_path)
        except OSError as error:  # a read-only install: `make install` compiles them instead
            log.warning("could not compile %s: %s", po_path, error)


def language() -> str:
    return str(get_locale() or "en")


def switch_url(lang: str) -> str:
    """This page in another language: the same endpoint and arguments, with ?lang= replaced."""
    args = dict(request.view_args or {})
    args.update({key: value for key, value in request.args.items() if key != "lang"})
    args["lang"] = lang
    if request.endpoint is None:
        return f"{request.path}?lang={lang}"
    return url_for(request.endpoint, **args)


def init_app(app: Flask) -> None:
    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))

    @app.context_processor
    def languages() -> dict:
        return {
            "current_language": language,
            "language_switch_url": switch_url,
            # Patient pages only: staff pages stay English, and their arguments (a sign-in's `next`) are
            # never echoed into a link.
            "language_switch_shown": has_request_context()
            and request.blueprint not in ENGLISH_ONLY_BLUEPRINTS,
            "language_names": LANGUAGE_NAMES,
        }

    @app.before_request
    def choose_language() -> None:
        # The locale is cached on `g`, which a test's app context shares between requests: choose afresh.
        if request.endpoint != "static":
            refresh()

    @app.after_request
    def say_language(response):
        if request.endpoint == "static":  # the same file in every language: nothing to say, nothing to vary
            return response
        response.headers["Content-Language"] = language()
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        asked = request.args.get("lang", "")
        if asked in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != asked:
            response.set_cookie(
                LANGUAGE_COOKIE,
                asked,
                max_age=COOKIE_MAX_AGE,
                samesite="Lax",
                secure=request.is_secure,
                httponly=True,
            )
        return response


class LazyText(LazyString):
    """A text translated when shown, and escaped like any other text in a template (Flask-Babel's own lazy
    string is inserted as markup, unescaped)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> LazyText:
    """gettext, when the text is shown: for labels and messages defined once, at import."""
    return LazyText(gettext, string, **variables)


def either(english: str, spanish: str) -> LazyText:
    """A text fixed in both languages (the validated Spanish PHQ-9): chosen when shown, never translated."""
    return LazyText(lambda: spanish if language() == "es" else english)
