"""Phone numbers as people read them and as phones dial them (stored numbers are E.164: +12125550140).

A US number reads "(212) 555-0140"; a number from elsewhere in its international form ("+44 20 7946 0018");
either dials as E.164 in a `tel:` link. Text that is not a phone number is shown as typed and dialled as its
digits, so a page never fails on an odd stored value.
"""

from __future__ import annotations

import re

import phonenumbers

from clinic.crypto.lookup import DEFAULT_REGION, NON_DIGITS

# A stored North American number (E.164, +1 then a 10-digit number whose area code and exchange start with
# 2-9), as nearly every stored number is: read and dialled without the parser (a queue page shows 25 of them).
# tests/test_phones.py checks that this gives what phonenumbers gives, for any such number.
_NANP_E164 = re.compile(r"\+1([2-9]\d\d)([2-9]\d\d)(\d{4})")


def _parsed(text: str | None) -> phonenumbers.PhoneNumber | None:
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def for_people(text: str | None) -> str:
    """`+12125550140` -> `(212) 555-0140` (any +1 number: US, Canada); others `+44 20 7946 0018`."""
    if text and (nanp := _NANP_E164.fullmatch(text)):
        return "({}) {}-{}".format(*nanp.groups())
    number = _parsed(text)
    if number is None:
        return text or ""
    if number.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION):  # +1: US, Canada
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def for_dialing(text: str | None) -> str:
    """The `tel:` target: E.164 (`+12125550140`), or the digits when the text does not parse."""
    if text and _NANP_E164.fullmatch(text):
        return text
    number = _parsed(text)
    if number is None:
        digits = NON_DIGITS.sub("", text or "")
        return f"+{digits}" if (text or "").strip().startswith("+") else digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
