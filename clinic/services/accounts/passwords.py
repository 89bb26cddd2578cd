"""Password hashing with argon2id, and the password policy.

argon2-cffi's defaults follow RFC 9106's recommendations. The policy follows NIST SP 800-63B: a minimum
length, a list of known-common passwords and an estimate of how guessable the password is (zxcvbn, which
sees repeats, sequences, keyboard walks, dates and dictionary words: `aaaaaaaaaaaa`, `123456789012` and
`clinicclinic` are 12 characters but guessed at once), no composition rules (they push people to
`Password1!`).
"""

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 1000  # long enough for any passphrase, short enough that nobody hashes a megabyte
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable" (about 10^8 guesses or more)
STRENGTH_CHARS = 72  # zxcvbn's own limit: its cost grows quickly with length, so judge the first 72
# Words anyone would try first against this app's accounts.
APP_WORDS = ("clinic", "ketamine", "northfield", "staff", "admin", "nurse", "doctor")

PRODUCTION_HASHER = PasswordHasher()
_hasher = PRODUCTION_HASHER
# A hash to verify against when no account matches, so that a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing-only")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash it at the next sign-in."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower-cased, read once per process."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def policy_problem(password: str, *, context: Iterable[str] = ()) -> str | None:
    """Why `password` is refused, as a sentence for the person choosing it, or None when it is acceptable.

    `context` holds words tied to the account (its email, its name): a password equal to one of them is as
    guessable as a common one.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few unrelated words make a strong password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        return "That password is on a list of commonly used passwords. Choose something harder to guess."
    context = [word for word in context if word]
    if any(folded == word.casefold() for word in context):
        return "Don't use your email address or name as your password."
    if strength(password, context=context) < MIN_STRENGTH:
        return (
            "That password is too easy to guess: repeats, sequences, keyboard patterns and common words are "
            "tried first. A few unrelated words make a strong one."
        )
    return None


def strength(password: str, *, context: Iterable[str] = ()) -> int:
    """zxcvbn's score from 0 (guessed at once) to 4 (very hard), with the account's own words as hints."""
    hints = [*APP_WORDS, *(part for word in context for part in _words(word))]
    return zxcvbn(password[:STRENGTH_CHARS], user_inputs=hints)["score"]


def _words(text: str) -> list[str]:
    """An email or name and its parts ("nora.nurse@clinic.example": nora, nurse, clinic, example)."""
    parts = [text, *"".join(c if c.isalnum() else " " for c in text).split()]
    return [part.casefold() for part in parts if len(part) >= 3]
