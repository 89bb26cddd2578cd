"""Signed tokens for patients' links: a small JSON payload signed with SECRET_KEY (itsdangerous).

Each kind of link signs under its own salt, so a token of one kind never opens another. The reader only
checks the signature and the length: what the payload must hold, and until when and for which version of
its row it works, each kind of link decides (services/booking/links.py, services/courses/links.py).
"""

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

MAX_TOKEN_LENGTH = 200  # a longer token is refused unread


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign(salt: str, payload: object) -> str:
    """`payload` signed with SECRET_KEY under `salt`, URL-safe."""
    return _serializer(salt).dumps(payload)


def read(salt: str, token: str) -> object | None:
    """The payload `sign(salt, …)` put in `token`; None when the token is empty, too long, forged, signed
    under another salt or with another key, or malformed."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        return _serializer(salt).loads(token)
    except BadData:
        return None
