"""clinic.signing: the one reader and writer of patients' signed link tokens."""

import secrets

import pytest
from flask import Flask

from clinic import signing

SALT = "clinic.test-link"


@pytest.fixture
def in_context():
    """An app context with a key: the reader needs no database."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "signing-test-secret-key-0123456789-abcdefgh"
    with app.app_context():
        yield app


def test_a_token_reads_back_under_its_salt_and_key_only(in_context):
    token = signing.sign(SALT, ["public-id", 2])
    assert signing.read(SALT, token) == ["public-id", 2]
    assert signing.read("clinic.other-link", token) is None
    in_context.config["SECRET_KEY"] = "another-secret-key-0123456789-abcdefghijkl"
    assert signing.read(SALT, token) is None


def test_empty_forged_malformed_and_long_tokens_read_as_none(in_context):
    token = signing.sign(SALT, "public-id")
    for bad in ("", "x", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token.replace(".", "")):
        assert signing.read(SALT, bad) is None, bad
    signed_but_long = signing.sign(SALT, secrets.token_urlsafe(signing.MAX_TOKEN_LENGTH))
    assert len(signed_but_long) > signing.MAX_TOKEN_LENGTH
    assert signing.read(SALT, signed_but_long) is None
