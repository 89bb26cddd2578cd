"""Phone numbers as people read them and as phones dial them (stored numbers are E.164: +12125550140).

A US number reads "(212) 555-0140"; a number from elsewhere in its international form ("+44 20 7946 0018");
either dials as E.164 in a `tel:` link. Text that is not a phone number is shown as typed and dialled as its
digits, so a page never fails on an odd stored value.
"""

from __future__ import annotations

import phonenumbers

from clinic.crypto.lookup import DEFAULT_REGION, NON_DIGITS


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
    number = _parsed(text)
    if number is None:
        return text or ""
    if number.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION):  # +1: US, Canada
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def for_dialing(text: str | None) -> str:
    """The `tel:` target: E.164 (`+12125550140`), or the digits when the text does not parse."""
    number = _parsed(text)
    if number is None:
        digits = NON_DIGITS.sub("", text or "")
        return f"+{digits}" if (text or "").strip().startswith("+") else digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
