"""What the blind indexes hash: one normal form for every common way of writing the same value."""

import pytest

from clinic.crypto.lookup import email_key, name_key, phone_keys


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Zoë", "zoe"),
        ("O'Brien-Núñez", "obriennunez"),
        ("  Mary Ann ", "maryann"),
        ("STRAẞE", "strasse"),
        ("Ångström", "angstrom"),
        ("%_'\\", ""),
    ],
)
def test_names_ignore_case_accents_spaces_and_punctuation(written, normal):
    assert name_key(written) == normal


def test_emails_are_trimmed_and_lower_cased():
    assert email_key("  Jo.Smith@Example.COM ") == "jo.smith@example.com"


@pytest.mark.parametrize(
    "written",
    ["2125550140", "(212) 555-0140", "212-555-0140", "+1 212 555 0140", "+12125550140", "1-212-555-0140"],
)
def test_common_phone_formats_give_one_number(written):
    assert phone_keys(written) == ("+12125550140", "5550140", "0140")


def test_a_foreign_number_keeps_its_country_and_its_last_digits():
    assert phone_keys("+44 20 7946 0018") == ("+442079460018", "9460018", "0018")


def test_a_number_that_does_not_parse_is_kept_as_digits():
    assert phone_keys("no number") == ("", "", "")
    assert phone_keys("1") == ("1", "1", "1")
