"""Encryption at rest and blind indexes: pure primitives, keys passed in (the app's keys: clinic/keys.py)."""

from clinic.crypto.keyring import (
    KeyProblem,
    Keyring,
    Undecryptable,
    key_id_of,
    new_key,
    parse_key,
    parse_keys,
)

__all__ = ["KeyProblem", "Keyring", "Undecryptable", "key_id_of", "new_key", "parse_key", "parse_keys"]
