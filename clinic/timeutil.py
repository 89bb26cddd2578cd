"""The clock, in one place so that tests can move it."""

from datetime import UTC, datetime

from flask import current_app


def utcnow() -> datetime:
    """Now, aware and in UTC; a test may set NOW_OVERRIDE to a fixed aware datetime."""
    fixed = current_app.config.get("NOW_OVERRIDE")
    return fixed if fixed is not None else datetime.now(UTC)
