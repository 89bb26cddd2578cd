"""clinic.phones: numbers as people read them, and as a `tel:` link dials them."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.phones import for_dialing, for_people


@pytest.mark.parametrize(
    ("stored", "read", "dialled"),
    [
        ("+12125550140", "(212) 555-0140", "+12125550140"),
        ("(212) 555-0140", "(212) 555-0140", "+12125550140"),
        ("+14165550199", "(416) 555-0199", "+14165550199"),  # Canada: +1, read the same way
        ("+442079460018", "+44 20 7946 0018", "+442079460018"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89", "+33123456789"),
        ("not a number", "not a number", ""),
        ("+1 2", "+1 2", "+12"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_phone_numbers_for_people_and_for_dialing(stored, read, dialled):
    assert for_people(stored) == read
    assert for_dialing(stored) == dialled


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True))
def test_stored_north_american_numbers_read_and_dial_as_the_parser_says(stored):
    """The shortcut for +1 numbers (no parser) gives exactly what phonenumbers gives."""
    number = phonenumbers.parse(stored, "US")
    assert for_people(stored) == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert for_dialing(stored) == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
