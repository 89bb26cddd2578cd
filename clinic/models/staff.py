from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.sealed import SealedRow
from clinic.models.types import Encrypted, UTCDateTime, enum_column
from clinic.timeutil import utcnow
from clinic.triage.enums import Role


class StaffUser(SealedRow, UserMixin, db.Model):
    """A member of staff who signs in to the dashboard. `session_version` ends every session when bumped."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role", length=16))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (RFC 6238 TOTP). The secret is set when setup starts and counts only once
    # `two_factor_enabled_at` is set, after the user proved it with a code. `totp_last_step` is the time-step
    # of the last code accepted: a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(Encrypted("text", "staff_users.totp_secret"))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: a replayed cookie of an older version is refused."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None and self.totp_secret is not None


class LoginFailure(db.Model):
    """A failed sign-in (or one in progress), counted in the database so that the lockout holds across
    workers and hosts.

    Counted per email address typed, whether or not such an account exists, so the lockout never reveals
    which addresses have accounts. The address is stored only as a keyed hash (`email_hash`, HMAC-SHA256):
    whatever was typed, a password by mistake included, never sits in the table in clear.
    """

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_email_hash_at", "email_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(db.Model):
    """One row per typed address (keyed hash) that has tried to sign in: the row every attempt for that
    address locks (SELECT … FOR UPDATE) while it counts the recent failures and claims its own, so any
    number of parallel attempts, in any number of workers, are counted one after another."""

    __tablename__ = "login_throttles"

    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
