"""Passwords are judged by zxcvbn (score 3 or more) as well as by length and the common list: twelve
characters of repeats, sequences or one word doubled are refused (issue 15, finding 8)."""

import pytest

from clinic.services.accounts.passwords import MIN_STRENGTH, policy_problem, strength


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "123456789012", "clinicclinic", "abcabcabcabc", "qazwsxedcrfv", "111122223333"],
)
def test_twelve_guessable_characters_are_refused(password):
    assert len(password) >= 12
    assert policy_problem(password) is not None


def test_the_refusal_says_why_and_what_works():
    message = policy_problem("clinicclinic")
    assert "too easy to guess" in message and "unrelated words" in message


@pytest.mark.parametrize(
    "password", ["quiet meadow lantern 42", "correct horse battery staple", "plum kettle v", "zzqxvbnmkptr"]
)
def test_good_passphrases_pass(password):
    assert strength(password) >= MIN_STRENGTH
    assert policy_problem(password) is None


def test_the_accounts_own_words_make_a_password_weaker():
    assert policy_problem("zanzibar quokka") is None
    assert policy_problem("zanzibar quokka", context=["zanzibar.quokka@clinic.example", "Zanzibar Quokka"])


def test_a_very_long_password_is_judged_quickly_on_its_start():
    assert policy_problem("velvet harbour compass " * 40) is None
