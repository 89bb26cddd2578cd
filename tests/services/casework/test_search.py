"""How staff search reads what was typed: each reading is a value a blind index (or the reference) holds."""

import pytest

from clinic.services.casework.search import Terms, terms


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", Terms()),
        ("   ", Terms()),
        ("KT-7Q4M2X", Terms(reference="KT-7Q4M2X", name="kt7q4m2x")),
        ("kt7q4m2x", Terms(reference="KT-7Q4M2X", name="kt7q4m2x")),
        (" Jo@Example.com ", Terms(email="jo@example.com")),
        ("(212) 555-0140", Terms(phone="+12125550140")),
        ("+44 20 7946 0018", Terms(phone="+442079460018")),
        ("555-0140", Terms(phone7="5550140")),
        ("0140", Terms(phone4="0140")),
        ("12345", Terms()),  # neither 4 nor 7 digits, nor a whole number
        ("Zoë", Terms(name="zoe")),
        ("Marta Quill", Terms(name="martaquill", full_names=(("marta", "quill"),))),
        (
            "Ana de la Cruz",
            Terms(
                name="anadelacruz",
                full_names=(("ana", "delacruz"), ("anade", "lacruz"), ("anadela", "cruz")),
            ),
        ),
        ("%", Terms()),
    ],
)
def test_readings_of_a_search(typed, expected):
    assert terms(typed) == expected


def test_many_words_are_one_name_only():
    assert terms("a b c d e f g").full_names == ()
    assert terms("a b c d e f g").name == "abcdefg"
