"""clinic.phones: numbers as people read them, and as a `tel:` link dials them."""

import pytest

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
