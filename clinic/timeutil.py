"""The clock, in one place so that tests can move it."""

import re
from datetime import UTC, date, datetime

from flask import current_app


def utcnow() -> datetime:
    """Now, aware and in UTC; a test may set NOW_OVERRIDE to a fixed aware datetime."""
    fixed = current_app.config.get("NOW_OVERRIDE")
    return fixed if fixed is not None else datetime.now(UTC)


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def typed_date(text: str) -> date | None:
    """A date as a browser's date field posts it (2026-11-23) or as a US reader types it where the browser
    has no date field (11/23/2026, month first, as the field itself shows it); None for anything else."""
    text = (text or "").strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        match = _US_DATE.fullmatch(text)
        if match:
            return date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:
        return None
    return None
