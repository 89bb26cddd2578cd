"""Reference codes patients read over the phone, and the random public ids behind manage links."""

import secrets

# No 0/O or 1/I: a code read aloud or copied by hand cannot be misread.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PREFIX = "KT-"
LENGTH = 6


def new_reference() -> str:
    """A short code such as KT-7Q4M2X (32**6, about a billion, codes); the caller retries on a collision."""
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_public_id() -> str:
    """128 random bits, URL-safe: the id signed into a manage link, never the row id."""
    return secrets.token_urlsafe(16)


def is_reference(text: str) -> bool:
    body = text.removeprefix(PREFIX)
    return text.startswith(PREFIX) and len(body) == LENGTH and all(c in ALPHABET for c in body)
