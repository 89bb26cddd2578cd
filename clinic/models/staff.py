from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.types import BlindIndex, UTCDateTime, utcnow
from clinic.triage.enums import Role


class StaffUser(UserMixin, db.Model):
    """A member of staff who signs in to the dashboard. `session_version` ends every session when bumped."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(
        sa.Enum(
            Role,
            native_enum=False,
            create_constraint=True,
            name="role",
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: a replayed cookie of an older version is refused."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class LoginFailure(db.Model):
    """A failed sign-in, counted in the database so that the lockout holds across workers and hosts.

    Counted per email address typed, whether or not such an account exists, so the lockout never reveals
    which addresses have accounts. The address is stored as its keyed hash (a blind index): comparing the
    column with a normalised address hashes that address too, and nobody reads the addresses back.
    """

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(BlindIndex("login_failures.email", length=254))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
