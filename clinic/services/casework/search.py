"""Staff search over encrypted requests: exact matches through blind indexes, in one SQL condition.

What a search finds (the box takes one thing at a time):
- a reference, in any case, with or without its dash: `kt-7q4m2x`, `KT7Q4M2X`;
- an email address, whole, in any case;
- a phone number in any common format: `2125550140`, `(212) 555-0140`, `212-555-0140`, `+1 212 555 0140`
  (read as a US number without a country code); its last 7 digits (`555-0140`) or last 4 (`0140`);
- a whole first name, a whole last name, or both (`Marta Quill`), case, accents, spaces and punctuation
  ignored (`zoe obrien-nunez` finds Zoë O'Brien-Núñez).
What it cannot find: part of a name (`Mar`), part of an email, or a date of birth. Those are encrypted, and
only the keyed hashes of whole values are indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from clinic.crypto.lookup import NON_DIGITS, email_key, name_key, phone_keys
from clinic.models import ConsultationRequest
from clinic.services.booking.references import LENGTH, PREFIX, is_reference

R = ConsultationRequest
PHONE_SHAPE = re.compile(r"[\d\s().+\-]+")
MAX_NAME_WORDS = 6  # a name split at every word: the number of alternatives stays small


@dataclass(frozen=True, slots=True)
class Terms:
    """The readings of one search text; each is a normalised value some blind index (or column) holds."""

    reference: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    phone7: str | None = None
    phone4: str | None = None
    name: str | None = None  # a whole first or last name
    full_names: tuple[tuple[str, str], ...] = ()  # (first, last) for each way of splitting the words


def terms(text: str) -> Terms:
    """Every way `text` may name a request: a reference, an email, a phone number, a name."""
    text = text.strip()
    if not text:
        return Terms()
    found: dict = {}
    code = text.upper().replace(" ", "")
    if not code.startswith(PREFIX) and code.startswith(PREFIX[:-1]) and len(code) == len(PREFIX) - 1 + LENGTH:
        code = PREFIX + code[len(PREFIX) - 1 :]
    if is_reference(code):
        found["reference"] = code
    if "@" in text:
        found["email"] = email_key(text)
    if PHONE_SHAPE.fullmatch(text):
        digits = NON_DIGITS.sub("", text)
        if len(digits) == 4:
            found["phone4"] = digits
        elif len(digits) == 7:
            found["phone7"] = digits
        elif 8 <= len(digits) <= 15:
            found["phone"] = phone_keys(text).e164
    if any(c.isalpha() for c in text) and "@" not in text:
        found["name"] = name_key(text) or None
        words = text.split()
        if 2 <= len(words) <= MAX_NAME_WORDS:
            found["full_names"] = tuple(
                (name_key(" ".join(words[:k])), name_key(" ".join(words[k:]))) for k in range(1, len(words))
            )
    return Terms(**found)


def matches(text: str) -> ColumnElement[bool]:
    """One condition on consultation_requests: true for the requests `text` names (false when none can)."""
    found = terms(text)
    options: list[ColumnElement[bool]] = []
    if found.reference:
        options.append(R.reference == found.reference)
    for column, value in (
        (R.email_digest, found.email),
        (R.phone_digest, found.phone),
        (R.phone7_digest, found.phone7),
        (R.phone4_digest, found.phone4),
        (R.first_name_digest, found.name),
        (R.last_name_digest, found.name),
    ):
        if value:
            options.append(column == value)
    for first, last in found.full_names:
        options.append(sa.and_(R.first_name_digest == first, R.last_name_digest == last))
    return sa.or_(*options) if options else sa.false()
