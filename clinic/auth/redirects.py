"""Where to send someone after signing in. Pure: no Flask import, so it can be tested on its own."""

from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2000
# Printable ASCII without the space: browsers silently drop tabs and newlines and trim leading spaces and
# control characters, so "/\t/evil.example" would become "//evil.example". Anything else is refused.
_ALLOWED = frozenset(chr(code) for code in range(0x21, 0x7F))


def safe_next(value: object) -> str | None:
    """`value` when it is a path on this site ("/staff/?page=2"), else None.

    Refused: absolute and scheme-relative URLs ("https://evil", "//evil"), backslashes (browsers read
    "/\\evil" as "//evil"), schemes ("javascript:"), whitespace or control characters anywhere, and any of
    these hidden behind percent-encoding ("/%2F%2Fevil", "%2F%5Cevil").
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return None
    if not _is_local_path(value):
        return None
    decoded = value
    for _ in range(3):  # a value decoded once by a proxy and again by a browser must still be local
        decoded = unquote(decoded)
        if not _is_local_path(decoded, strict=False):
            return None
    return value


def _is_local_path(value: str, *, strict: bool = True) -> bool:
    if strict and not set(value) <= _ALLOWED:
        return False
    if not strict and any(ord(character) < 0x20 or ord(character) == 0x7F for character in value):
        return False
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc
