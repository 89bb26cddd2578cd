"""The sign-in lockout: five failures for one address within 15 minutes pause it for 15 minutes.

Counted in the database, per address typed (a keyed hash of it, never the address itself), whether or not
such an account exists. Every attempt first *claims* a failure under a row lock on the address's throttle
row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write transactions begin with BEGIN IMMEDIATE, which
serializes them), and only then checks the password or code, outside any transaction. A claim that the
check clears is given back. So however many workers and threads try one address at once, at most five
checks ever run for it in a window: the sixth attempt finds five claims and is refused before any check.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic.extensions import db
from clinic.models import LoginFailure, LoginThrottle

LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
FAILURE_RETENTION = timedelta(days=1)
USER_AGENT_MAX = 200
_KEY_CONTEXT = b"clinic sign-in address hash v1"


class LoginLocked(Exception):
    """Too many recent failures for the address typed."""

    def __init__(self, until: datetime) -> None:
        super().__init__("locked")
        self.until = until


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Who is knocking: the client address and browser, for the audit events of sign-in."""

    address: str | None = None
    user_agent: str | None = None

    def as_details(self) -> dict[str, str]:
        details = {}
        if self.address:
            details["ip"] = _printable(self.address)[:64]
        if self.user_agent:
            details["user_agent"] = _printable(self.user_agent)[:USER_AGENT_MAX]
        return details


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt's place in the count: the failure row it holds, and whether it is the fifth."""

    key: str
    failure_id: int
    locks: bool


def address_key(email: str) -> str:
    """HMAC-SHA256 of the normalized address, keyed by SIGN_IN_HASH_KEY or a key derived from SECRET_KEY."""
    configured = current_app.config.get("SIGN_IN_HASH_KEY")
    if configured:
        secret = configured.encode() if isinstance(configured, str) else bytes(configured)
    else:
        base = current_app.config["SECRET_KEY"]
        base = base.encode() if isinstance(base, str) else bytes(base)
        secret = hmac.new(base, _KEY_CONTEXT, hashlib.sha256).digest()
    normalized = email.strip().lower()
    return hmac.new(secret, normalized.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def claim(key: str, now: datetime) -> Claim:
    """Claim one attempt for `key` in the current transaction, or raise LoginLocked (nothing recorded).

    The caller commits soon, before any slow check: the throttle row stays locked until then.
    """
    _lock_row(key, now)
    locked_until = _locked_until(key, now)
    if locked_until is not None:
        db.session.rollback()
        raise LoginLocked(locked_until)
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_RETENTION))
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_attempt_at < now - FAILURE_RETENTION))
    failure = LoginFailure(email_hash=key, at=now)
    db.session.add(failure)
    db.session.flush()
    locks = _locked_until(key, now) is not None
    return Claim(key=key, failure_id=failure.id, locks=locks)


def give_back(attempt: Claim) -> None:
    """The check passed: this attempt was no failure (added to the caller's transaction)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.failure_id))


def clear(key: str) -> None:
    """Signed in: forget every failure for the address (added to the caller's transaction)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_hash == key))


def locked_until(key: str, now: datetime) -> datetime | None:
    """When the lock on `key` ends, or None when it is not locked."""
    return _locked_until(key, now)


def _lock_row(key: str, now: datetime) -> None:
    """Create the address's throttle row if needed, then lock it until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for _ in range(3):
        db.session.execute(
            insert(LoginThrottle)
            .values(email_hash=key, last_attempt_at=now)
            .on_conflict_do_nothing(index_elements=["email_hash"])
        )
        locked = db.session.scalar(
            select(LoginThrottle.email_hash).where(LoginThrottle.email_hash == key).with_for_update()
        )
        if locked is not None:
            db.session.execute(
                update(LoginThrottle).where(LoginThrottle.email_hash == key).values(last_attempt_at=now)
            )
            return
    raise RuntimeError("the sign-in throttle row kept disappearing")  # pragma: no cover


def _locked_until(key: str, now: datetime) -> datetime | None:
    """When the lock on `key` ends, or None: a lock starts at the fifth failure within the window.

    Attempts refused while locked are not recorded, so the lock lasts its full duration from the failure
    that started it, and the rows read here stay few.
    """
    times = list(
        db.session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.email_hash == key, LoginFailure.at > now - LOCKOUT_WINDOW - LOCKOUT_DURATION)
            .order_by(LoginFailure.at, LoginFailure.id)
        )
    )
    until = None
    for last in range(LOCKOUT_THRESHOLD - 1, len(times)):
        if times[last] - times[last - LOCKOUT_THRESHOLD + 1] <= LOCKOUT_WINDOW:
            until = times[last] + LOCKOUT_DURATION
    return until if until is not None and until > now else None


def _printable(text: str) -> str:
    return "".join(character for character in text if character.isprintable())
