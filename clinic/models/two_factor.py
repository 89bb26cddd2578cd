from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.models.types import UTCDateTime
from clinic.timeutil import utcnow


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app when it is lost.

    Only a SHA-256 of the code is kept: the codes are 80 random bits, so a hash cannot be reversed by
    guessing. `used_at` is set by one guarded UPDATE, so a code is accepted once however many try it.
    """

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.UniqueConstraint("staff_user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
