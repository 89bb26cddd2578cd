"""Keep manage-link tokens out of every log line, the server's access log included."""

import logging
import re

TOKEN_IN_PATH = re.compile(r"/appointments/[^/\s?\"']+")
REDACTED = "/appointments/[token]"


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrite a record's message so that no /appointments/<token> path survives in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactTokens()
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "clinic", "flask.app", "")


def install(app_logger: logging.Logger) -> None:
    """Attach the filter to the loggers and handlers that may see request paths."""
    for logger in [app_logger, *(logging.getLogger(name) for name in LOGGERS)]:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
