"""What a blind index hashes: the normalised forms of emails, phone numbers and names (pure functions).

Both sides go through the same function: the value stored at intake and the text staff type in the search
box, so every common way of writing the same thing gives the same digest.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import phonenumbers

DEFAULT_REGION = "US"  # the clinic's: numbers written without a country code are read as US numbers
NON_DIGITS = re.compile(r"\D")


def email_key(text: str) -> str:
    """An email address trimmed and lower-cased: `  Jo.Smith@Example.COM ` -> `jo.smith@example.com`."""
    return text.strip().lower()


def name_key(text: str) -> str:
    """A whole name with case, accents, spaces and punctuation ignored: `O'Brien-Núñez` -> `obriennunez`.

    NFKD splits accented letters into a base letter and combining marks, which are dropped; casefold also
    folds `ß` to `ss`. Only letters and digits remain, so `Mary Ann`, `Mary-Ann` and `maryann` are one name.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in bare.casefold() if c.isalnum())


class PhoneKeys(NamedTuple):
    e164: str  # +12125550140
    last7: str  # 5550140: a US number without its area code
    last4: str  # 0140


def phone_keys(text: str, region: str = DEFAULT_REGION) -> PhoneKeys:
    """A phone number's E.164 form and its last 7 and last 4 digits.

    A number that does not parse is kept as its digits, so writing it never fails.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        digits = NON_DIGITS.sub("", text)
        return PhoneKeys(digits, digits[-7:], digits[-4:])
    national = str(number.national_number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneKeys(e164, national[-7:], national[-4:])
