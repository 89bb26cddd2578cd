"""What a signed-in user changes on their own account: the password.

A change needs the current password (someone at an unlocked screen cannot take the account over), and a
wrong current password counts toward the same lockout as a wrong one at sign-in, so a stolen session cannot
be used to guess it. The change ends every other session of the account at once (the session version).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.accounts import passwords, sign_in, users
from clinic.services.accounts.sign_in import ClientInfo
from clinic.services.audit.record import record

WRONG_CURRENT = "That is not your current password."
SAME_AS_BEFORE = "Choose a password different from your current one."


class PasswordChangeError(users.AccountError):
    """A change refused, with the message for the field it concerns."""


def change_password(
    user_id: int,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
    client: ClientInfo | None = None,
) -> StaffUser:
    """Set a new password for the signed-in user; return the account with its new session version.

    Raises PasswordChangeError (field `new_password` or `current_password`), or LoginLocked when wrong
    current passwords have paused the account.
    """
    client = client or ClientInfo()
    user = db.session.get(StaffUser, user_id, populate_existing=True)
    if user is None:
        db.session.rollback()
        raise users.AccountNotFound("That account does not exist.")
    problem = passwords.policy_problem(
        new_password, context=(user.email, user.email.split("@")[0], user.name)
    )
    if problem:
        db.session.rollback()
        raise PasswordChangeError(problem, field="new_password")
    if new_password == current_password:
        db.session.rollback()
        raise PasswordChangeError(SAME_AS_BEFORE, field="new_password")
    key = sign_in.address_key(user.email)
    attempt = sign_in.claim(key, now)
    old_hash = user.password_hash
    db.session.commit()  # counted; no transaction open during the slow check

    if not passwords.verify_password(old_hash, current_password):
        try:
            users.record_failure(
                attempt,
                "auth.password_change_failed",
                user_id=user_id,
                reason="wrong_password",
                client=client,
                now=now,
            )
        except users.LoginFailed:
            raise PasswordChangeError(WRONG_CURRENT, field="current_password") from None
    new_hash = passwords.hash_password(new_password)  # slow too: before the transaction begins
    sign_in.give_back(attempt)
    changed = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id, StaffUser.password_hash == old_hash)  # no change slipped in meanwhile
        .values(
            password_hash=new_hash,
            password_changed_at=now,
            session_version=StaffUser.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise PasswordChangeError(WRONG_CURRENT, field="current_password")
    record(
        "auth.password_change",
        actor_id=user_id,
        record_type=users.RECORD,
        record_id=user_id,
        details=client.as_details(),
    )
    db.session.commit()
    return db.session.get(StaffUser, user_id, populate_existing=True)
