"""Keep manage-link tokens, staff search terms and SQL result rows out of every log line."""

import logging
import re

# A patient link's token, wherever the path appears (a request line, a full URL); staff's own
# /staff/courses/<id> pages carry an id, not a token, and stay readable.
TOKEN_IN_PATH = re.compile(r"(?<!/staff)/(appointments|courses)/[^/\s?\"']+")
REDACTED = r"/\1/[token]"  # the patient's manage link and course link alike
# The staff search (`q`: a name, email or reference) is kept in the URL, so request lines carry it.
SEARCH_IN_QUERY = re.compile(r"([?&]q=)[^&\s\"'#]*")


def redact(text: str) -> str:
    return SEARCH_IN_QUERY.sub(r"\1[search]", TOKEN_IN_PATH.sub(REDACTED, text))


class RedactTokens(logging.Filter):
    """Rewrite a record's message so that no /appointments/<token> or /courses/<token> path survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class DropResultRows(logging.Filter):
    """SQLAlchemy logs every result row at DEBUG ("Row (...)"): patient data. Keep the SQL, drop the rows.

    Bound parameters are hidden by the engine option hide_parameters; result rows have no such switch.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(("Row ", "Col ")))


_FILTER = RedactTokens()
_ROWS = DropResultRows()
SQL_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.engine.Engine")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "clinic", "flask.app", "")


def install(app_logger: logging.Logger) -> None:
    """Attach the filter to the loggers and handlers that may see request paths."""
    for logger in [app_logger, *(logging.getLogger(name) for name in LOGGERS)]:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    for name in SQL_LOGGERS:
        logger = logging.getLogger(name)
        if _ROWS not in logger.filters:
            logger.addFilter(_ROWS)
