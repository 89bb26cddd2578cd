"""Field encryption and blind indexes, as pure functions of keys and bytes (no Flask, no database).

A sealed value is text: `<key id>:<base64url(nonce | ciphertext | tag)>`, AES-256-GCM with a random 96-bit
nonce. The associated data binds the value to the place it was written for: its table and column (the
`context`) and its row (the `row`, the row's random seal), so a value copied into another column, or into the
same column of another row, fails to decrypt. The key id (8 hex digits derived from the key) says which key
sealed it: `rotate-keys` finds the values still sealed under an older key with a prefix match, and
decryption picks the key without trying them all.

Plaintexts are padded to a multiple of 16 bytes before encryption, so the stored length tells the size of a
value only to within 16 bytes.

A blind index is the keyed HMAC-SHA256 of a normalised value, truncated to 128 bits (32 hex digits), under a
key of its own: equal values give equal digests, so exact search works on an indexed column, while the digest
tells nothing to someone without the key. Each column hashes under its own purpose, so equal values in two
columns give different digests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
DIGEST_HEX = 32  # 128 bits of the HMAC
BLOCK = 16
SCHEME = b"clinic/aes-256-gcm/v1\x00"
KINDS = ("text", "date", "int", "json")


class KeyProblem(ValueError):
    """A key in the configuration is missing, malformed or reused."""


class Undecryptable(ValueError):
    """A stored value does not decrypt: unknown key, or a value that is not the one written here (copied from
    another column or row, or altered).

    The message names the column, the row's seal and the key id only, never the value.
    """


def new_key() -> str:
    """A fresh random 256-bit key, base64-encoded (what CLINIC_DATA_KEYS and CLINIC_INDEX_KEY hold)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, what: str = "key") -> bytes:
    """Decode one base64 (standard or URL-safe, padding optional) key of exactly 32 bytes."""
    cleaned = (text or "").strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{what} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyProblem(f"{what} must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def parse_keys(value: str | Iterable[str], what: str = "key") -> list[bytes]:
    """Keys from a comma-separated string (or a list), newest first."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    parts = [part.strip() for part in parts if part and part.strip()]
    if not parts:
        raise KeyProblem(f"no {what} given")
    return [parse_key(part, f"{what} {n}") for n, part in enumerate(parts, start=1)]


def key_id(key: bytes) -> str:
    """A short, stable name for a key: 8 hex digits of a hash of it (not enough to learn anything)."""
    return hashlib.sha256(b"clinic key id\x00" + key).hexdigest()[:8]


def key_id_of(token: str) -> str:
    """The id of the key that sealed `token`."""
    return token.split(":", 1)[0]


def encode(kind: str, value: Any) -> bytes:
    """A value of a column kind as bytes: text as UTF-8, a date in ISO form, an int or JSON compactly."""
    if kind == "text":
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        return value.encode("utf-8")
    if kind == "date":
        if not isinstance(value, date):
            raise TypeError(f"expected date, got {type(value).__name__}")
        return value.isoformat().encode("ascii")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected int, got {type(value).__name__}")
        return str(value).encode("ascii")
    if kind == "json":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raise ValueError(f"unknown kind {kind!r}")


def decode(kind: str, raw: bytes) -> Any:
    if kind == "text":
        return raw.decode("utf-8")
    if kind == "date":
        return date.fromisoformat(raw.decode("ascii"))
    if kind == "int":
        return int(raw)
    if kind == "json":
        return json.loads(raw)
    raise ValueError(f"unknown kind {kind!r}")


def _pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding: 0x80, then zeros up to a multiple of BLOCK."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % BLOCK)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ValueError("bad padding")
    return stripped[:-1]


def _aad(context: str, row: str | None) -> bytes:
    """The associated data: the scheme, the column, and (for every value the app writes) the row's seal.

    Values of migration 0005, before rows were bound, were sealed with `row=None`; migration 0008 bound them.
    """
    aad = SCHEME + context.encode("utf-8")
    return aad if row is None else aad + b"\x00" + row.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    """The data keys (newest first: it seals everything new) and the separate blind-index key."""

    def __init__(self, data_keys: Sequence[bytes], index_key: bytes) -> None:
        if not data_keys:
            raise KeyProblem("at least one data key is needed")
        ids = [key_id(key) for key in data_keys]
        if len(set(ids)) != len(ids):
            raise KeyProblem("a data key is listed twice")
        if index_key in data_keys:
            raise KeyProblem("the index key must differ from every data key")
        self._ciphers = {kid: AESGCM(key) for kid, key in zip(ids, data_keys, strict=True)}
        self.key_ids: tuple[str, ...] = tuple(ids)
        self.newest: str = ids[0]
        self._index_key = index_key

    def seal(self, plaintext: bytes, context: str, row: str | None = None) -> str:
        """Encrypt under the newest key, bound to `context` (e.g. "consultation_requests.email") and `row`
        (the row's seal)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.newest].encrypt(nonce, _pad(plaintext), _aad(context, row))
        return f"{self.newest}:{_b64(nonce + sealed)}"

    def open(self, token: str, context: str, row: str | None = None) -> bytes:
        """Decrypt a value sealed for `context` and `row`; Undecryptable if the key is unknown or the value
        was not written for this column and row (copied from another column or row) or was altered.

        The message names the column, the row's seal and the key id, never the value."""
        kid, _, body = token.partition(":")
        where = context if row is None else f"{context} (row seal {row})"
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise Undecryptable(f"{where}: sealed under key {kid!r}, which is not configured")
        try:
            raw = _unb64(body)
            return _unpad(cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(context, row)))
        except (InvalidTag, ValueError, binascii.Error):
            raise Undecryptable(
                f"{where}: a value does not decrypt (altered, or not written for this row and column)"
            ) from None

    def reseal(self, token: str, context: str, row: str | None = None) -> str:
        """The same plaintext sealed again under the newest key, for the same place (unchanged if it
        already is under the newest key)."""
        if key_id_of(token) == self.newest:
            return token
        return self.seal(self.open(token, context, row), context, row)

    def digest(self, purpose: str, value: str) -> str:
        """The blind index of an already normalised value for one purpose (a column)."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:DIGEST_HEX]
