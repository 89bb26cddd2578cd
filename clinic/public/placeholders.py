"""The clinic's settings inside article text, filled in each time a page is served.

An article's Markdown may say `{{consultation_length}}` where the words depend on the settings. Articles
are rendered once and cached, but an admin can change the settings at any time, so the cached HTML keeps
the placeholder and `fill` puts the current value in on every request: one regular-expression pass over
the cached HTML, with the layout's copy of the settings (no query of its own).
"""

import re
from collections.abc import Callable

from markupsafe import escape

from clinic.services.rules.read import ClinicInfo

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

VALUES: dict[str, Callable[[ClinicInfo], str]] = {
    "consultation_length": lambda info: f"{info.slot_minutes} minutes",
    "clinic_name": lambda info: info.name,
    "clinic_phone": lambda info: info.phone,
}
# While the settings cannot be read (the database is down), words that stay true whatever they are.
UNAVAILABLE: dict[str, str] = {
    "consultation_length": "the length shown when you book",
    "clinic_name": "our clinic",
    "clinic_phone": "the number on our contact page",
}


def names_in(text: str) -> set[str]:
    """The placeholders a text uses (tests check that each one is known)."""
    return set(PLACEHOLDER.findall(text))


def fill(html: str, info: ClinicInfo | None) -> str:
    """`html` with every known placeholder replaced by its escaped value; unknown ones stay as written."""
    if "{{" not in html:
        return html

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in VALUES:
            return match.group(0)
        return str(escape(VALUES[name](info) if info is not None else UNAVAILABLE[name]))

    return PLACEHOLDER.sub(value, html)
