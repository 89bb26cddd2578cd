"""Password hashing with argon2id, and the password policy.

argon2-cffi's defaults follow RFC 9106's recommendations. The policy follows NIST SP 800-63B: a minimum
length and a list of known-common passwords, no composition rules (they push people to `Password1!`).
"""

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1000  # long enough for any passphrase, short enough that nobody hashes a megabyte
COMMON_PASSWORDS = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"

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
    if any(word and folded == word.casefold() for word in context):
        return "Don't use your email address or name as your password."
    return None
