"""The encryption primitives, without the app: sealing, binding to a column, keys, padding, blind indexes."""

import base64
from datetime import date

import pytest

from clinic.crypto.keyring import (
    KeyProblem,
    Keyring,
    Undecryptable,
    decode,
    encode,
    key_id,
    key_id_of,
    new_key,
    parse_key,
    parse_keys,
)

OLD, NEW, INDEX = (bytes([n]) * 32 for n in (1, 2, 3))
EMAIL = "consultation_requests.email"


def test_a_sealed_value_opens_and_tells_its_key():
    ring = Keyring([OLD], INDEX)
    token = ring.seal(b"jo@example.com", EMAIL)
    assert key_id_of(token) == key_id(OLD) == ring.newest
    assert b"jo@example.com" not in token.encode() and "jo@" not in token
    assert ring.open(token, EMAIL) == b"jo@example.com"


def test_each_sealing_differs():
    ring = Keyring([OLD], INDEX)
    assert ring.seal(b"same", EMAIL) != ring.seal(b"same", EMAIL)


def test_a_value_copied_into_another_column_does_not_decrypt():
    ring = Keyring([OLD], INDEX)
    token = ring.seal(b"Robin", "consultation_requests.first_name")
    with pytest.raises(Undecryptable, match=r"consultation_requests\.last_name") as error:
        ring.open(token, "consultation_requests.last_name")
    assert "Robin" not in str(error.value)


def test_a_value_copied_into_another_row_does_not_decrypt():
    ring = Keyring([OLD], INDEX)
    token = ring.seal(b"Robin", EMAIL, "a" * 32)
    assert ring.open(token, EMAIL, "a" * 32) == b"Robin"
    with pytest.raises(Undecryptable, match=rf"{EMAIL} \(row seal b{{32}}\)") as error:
        ring.open(token, EMAIL, "b" * 32)
    assert "Robin" not in str(error.value)
    with pytest.raises(Undecryptable):
        ring.open(token, EMAIL)  # nor with the column binding alone (values before migration 0008)
    with pytest.raises(Undecryptable):
        ring.open(ring.seal(b"Robin", EMAIL), EMAIL, "a" * 32)
    moved = Keyring([NEW, OLD], INDEX).reseal(token, EMAIL, "a" * 32)
    assert Keyring([NEW], INDEX).open(moved, EMAIL, "a" * 32) == b"Robin"  # a rotation keeps the row


def test_an_altered_value_does_not_decrypt():
    ring = Keyring([OLD], INDEX)
    token = ring.seal(b"Robin", EMAIL)
    kid, body = token.split(":")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(Undecryptable):
        ring.open(f"{kid}:{flipped}", EMAIL)
    with pytest.raises(Undecryptable):
        ring.open(f"{kid}:!!not base64!!", EMAIL)


def test_lengths_are_hidden_to_within_a_block():
    ring = Keyring([OLD], INDEX)
    assert len(ring.seal(b"Al", EMAIL)) == len(ring.seal(b"Bartholomew", EMAIL))
    assert len(ring.seal(b"x" * 15, EMAIL)) < len(ring.seal(b"x" * 16, EMAIL))
    assert ring.open(ring.seal(b"", EMAIL), EMAIL) == b""
    assert ring.open(ring.seal(b"ends\x00\x80\x00", EMAIL), EMAIL) == b"ends\x00\x80\x00"


def test_older_keys_still_open_and_reseal_moves_to_the_newest():
    old_token = Keyring([OLD], INDEX).seal(b"note", "notes.body")
    ring = Keyring([NEW, OLD], INDEX)
    assert ring.open(old_token, "notes.body") == b"note"
    moved = ring.reseal(old_token, "notes.body")
    assert key_id_of(moved) == key_id(NEW)
    assert ring.reseal(moved, "notes.body") == moved  # already newest: left alone
    with pytest.raises(Undecryptable, match="not configured"):
        Keyring([NEW], INDEX).open(old_token, "notes.body")


def test_blind_indexes_are_keyed_per_purpose_and_stable():
    ring = Keyring([OLD], INDEX)
    digest = ring.digest("consultation_requests.email", "jo@example.com")
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert digest == Keyring([NEW], INDEX).digest("consultation_requests.email", "jo@example.com")
    assert digest != ring.digest("login_failures.email", "jo@example.com")
    assert digest != Keyring([OLD], NEW).digest("consultation_requests.email", "jo@example.com")


@pytest.mark.parametrize(
    ("kind", "value"),
    [("text", "Zoë O'Brien"), ("date", date(1971, 7, 19)), ("int", 3), ("json", [2, 0, 3]), ("json", [])],
)
def test_kinds_round_trip(kind, value):
    assert decode(kind, encode(kind, value)) == value


@pytest.mark.parametrize(
    ("kind", "value"), [("text", 3), ("date", "1971-07-19"), ("int", True), ("int", "3")]
)
def test_kinds_refuse_the_wrong_python_type(kind, value):
    with pytest.raises(TypeError):
        encode(kind, value)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        encode("blob", b"")
    with pytest.raises(ValueError):
        decode("blob", b"")


def test_keys_parse_from_base64_in_either_alphabet():
    key = new_key()
    raw = base64.b64decode(key)
    assert parse_key(key) == raw
    assert parse_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert parse_keys(f" {key} , {new_key()} ")[0] == raw


@pytest.mark.parametrize(
    ("value", "problem"),
    [("", "no key"), ("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_bad_keys_are_refused(value, problem):
    with pytest.raises(KeyProblem, match=problem):
        parse_keys(value)


def test_a_keyring_refuses_no_key_a_repeated_key_and_a_shared_index_key():
    with pytest.raises(KeyProblem, match="at least one"):
        Keyring([], INDEX)
    with pytest.raises(KeyProblem, match="twice"):
        Keyring([OLD, OLD], INDEX)
    with pytest.raises(KeyProblem, match="index key"):
        Keyring([OLD], OLD)
