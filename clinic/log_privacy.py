"""Keep patient-link tokens, staff searches, return addresses and SQL result rows out of every log line."""

import logging
import re

# Links sent to patients carry a token in their path: the manage page, and the course, check-in and offer
# pages, and an intake form saved to finish later (/consultation/resume/<token>). A request line, a referer
# or an error would otherwise log a live link.
TOKEN_PREFIXES = ("appointments", "courses", "check-ins", "offers", "resume")
# Staff's own /staff/courses/<id> pages carry an id, not a token, and stay readable.
TOKEN_IN_PATH = re.compile(
    r"(?<!/staff)/(" + "|".join(re.escape(p) for p in TOKEN_PREFIXES) + r")/[^/\s?\"'#]+"
)
REDACTED = "/appointments/[token]"  # what a manage path becomes
# The staff search (`q`: a name, email or reference) is kept in the URL, so request lines carry it.
SEARCH_IN_QUERY = re.compile(r"([?&]q=)[^&\s\"'#]*", re.IGNORECASE)
# Parameters that carry another URL or contact details: the sign-in page's `next` holds the page asked for,
# query included (a signed-out `/staff/?q=Name` comes back as `/staff/login?next=%2Fstaff%2F%3Fq%3DName`),
# so its whole value goes, however it is encoded.
HIDDEN_PARAMS = re.compile(r"([?&](?:next|email|phone|name|token)=)[^&\s\"'#]*", re.IGNORECASE)
# A search term inside an encoded URL (`%3Fq%3D`, `%26q%3D`), wherever it appears.
ENCODED_SEARCH = re.compile(r"((?:%3F|%26)q%3D)(?:[^&\s\"'#%]|%(?!26)[0-9A-Fa-f]{2})*", re.IGNORECASE)


def redact(text: str) -> str:
    text = TOKEN_IN_PATH.sub(lambda match: f"/{match.group(1)}/[token]", text)
    text = HIDDEN_PARAMS.sub(r"\1[redacted]", text)
    text = ENCODED_SEARCH.sub(r"\1[search]", text)
    return SEARCH_IN_QUERY.sub(r"\1[search]", text)


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
