"""Staff accounts: creation, sign-in with a database-counted lockout, roles, passwords, deactivation.

Every change is audited with ids and before/after values (role, is_active), never a password or a typed
email address. The last active admin can never be demoted or deactivated, even by two admins at once.
"""

from datetime import datetime
from typing import NoReturn

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services import unit_of_work
from clinic.services.accounts import passwords, sign_in
from clinic.services.accounts.sign_in import (  # noqa: F401 - part of this module's interface
    FAILURE_RETENTION,
    LOCKOUT_DURATION,
    LOCKOUT_THRESHOLD,
    LOCKOUT_WINDOW,
    ClientInfo,
    LoginLocked,
)
from clinic.services.audit.record import record
from clinic.timeutil import utcnow
from clinic.triage.enums import Role

RECORD = "staff_user"
EMAIL_MAX = 254
LAST_ADMIN = "This is the last active admin: make another account an admin first."
NAME_MAX = 120


class AccountError(Exception):
    """A change that cannot be made, with a message for the person who asked and the field it concerns."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PasswordPolicyError(AccountError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="password")


class LastAdminError(AccountError):
    """The change would leave the clinic with no active admin, and nobody able to manage accounts."""


class AccountNotFound(AccountError):
    pass


class LoginFailed(Exception):
    """Wrong address or wrong password: deliberately indistinguishable."""


class AccountDeactivated(LoginFailed):
    """The right password for a deactivated account. Said only after a correct password, so someone guessing
    learns nothing about which accounts exist or are active."""


def normalize_email(email: str) -> str:
    """The form in which addresses are stored and compared: trimmed and lower-cased."""
    return email.strip().lower()


# Sign-in -------------------------------------------------------------------------------------------------


def authenticate(email: str, password: str, *, now: datetime, client: ClientInfo | None = None) -> StaffUser:
    """Check a sign-in attempt and record its outcome (audit, failure count).

    The attempt first claims its place in the address's failure count (see `sign_in`): a sixth attempt
    within the window is refused (LoginLocked) before any password is checked, however many run at once.
    The password is then checked with no transaction open. An unknown address is verified against a dummy
    hash so it costs as long as a wrong password.

    For an account with two-factor sign-in on, a correct password only opens the second step: nothing is
    audited yet and earlier failures stay counted until `two_factor.verify_sign_in` accepts a code.
    """
    client = client or ClientInfo()
    address = normalize_email(email)[:EMAIL_MAX]
    key = sign_in.address_key(address)
    attempt = sign_in.claim(key, now)
    found = db.session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == address)).first()
    user_id = found.id if found else None
    password_hash = found.password_hash if found else None
    is_active = bool(found and found.is_active)
    db.session.commit()  # the claim is counted; no transaction stays open during the slow check

    password_ok = passwords.verify_password(password_hash, password)
    user = db.session.get(StaffUser, user_id, populate_existing=True) if user_id else None
    if user is not None and password_ok and is_active and user.is_active:
        if user.has_two_factor:
            sign_in.give_back(attempt)
            db.session.commit()
            return user
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        complete_sign_in(user, key, now=now, client=client)
        db.session.commit()
        return user

    inactive = user is not None and not (is_active and user.is_active)
    reason = "unknown_account" if user is None else ("inactive" if inactive else "wrong_password")
    record_failure(
        attempt,
        "auth.login_failed",
        user_id=user_id,
        reason=reason,
        client=client,
        now=now,
        failure=AccountDeactivated if inactive and password_ok else LoginFailed,
    )


def complete_sign_in(user: StaffUser, key: str, *, now: datetime, client: ClientInfo, **details) -> None:
    """Record a finished sign-in in the caller's transaction: failures forgotten, the login audited."""
    sign_in.clear(key)
    user.last_login_at = now
    record(
        "auth.login",
        actor_id=user.id,
        record_type=RECORD,
        record_id=user.id,
        details={**details, **client.as_details()},
    )


def record_failure(
    attempt: sign_in.Claim,
    action: str,
    *,
    user_id: int | None,
    reason: str,
    client: ClientInfo,
    now: datetime,
    failure: type[LoginFailed] = LoginFailed,
) -> NoReturn:
    """Audit a failed attempt (its claim stays counted) and raise `failure`, or LoginLocked when it was
    the failure that paused the address (the lock is audited once, by that attempt)."""
    record_type = RECORD if user_id else None
    record(
        action,
        actor_id=None,
        record_type=record_type,
        record_id=user_id,
        details={"reason": reason, **client.as_details()},
    )
    if attempt.locks:
        minutes = int(LOCKOUT_DURATION.total_seconds() // 60)
        record(
            "auth.lockout",
            actor_id=None,
            record_type=record_type,
            record_id=user_id,
            details={"failures": LOCKOUT_THRESHOLD, "minutes": minutes, **client.as_details()},
        )
    until = sign_in.locked_until(attempt.key, now) if attempt.locks else None
    db.session.commit()
    if until is not None:
        raise LoginLocked(until)
    raise failure()


def end_sessions(user_id: int) -> None:
    """Bump the session version: every cookie issued so far for this user is refused from now on."""
    with unit_of_work():
        _bump_session_version(user_id)


def logout(user_id: int, *, client: ClientInfo | None = None) -> None:
    """Sign out: end every session of the user (a replayed cookie is refused) and audit it."""
    details = (client or ClientInfo()).as_details()
    with unit_of_work():
        _bump_session_version(user_id)
        record("auth.logout", actor_id=user_id, record_type=RECORD, record_id=user_id, details=details)


def _bump_session_version(user_id: int) -> None:
    db.session.execute(
        update(StaffUser).where(StaffUser.id == user_id).values(session_version=StaffUser.session_version + 1)
    )


# Administration ------------------------------------------------------------------------------------------


def list_users() -> list[StaffUser]:
    """Every account, active ones first, then by name."""
    return list(
        db.session.scalars(
            select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.name, StaffUser.id)
        )
    )


def get_user(user_id: int) -> StaffUser | None:
    return db.session.get(StaffUser, user_id)


@unit_of_work()
def create_user(*, email: str, name: str, role: str | Role, password: str, actor_id: int | None) -> StaffUser:
    """Create an active account, or raise AccountError (PasswordPolicyError for a weak password)."""
    address = _valid_email(email)
    name = _valid_name(name)
    role = _valid_role(role)
    problem = passwords.policy_problem(password, context=(address, address.split("@")[0], name))
    if problem:
        raise PasswordPolicyError(problem)
    taken = db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == address))
    if taken is not None:
        raise AccountError("An account with that email address already exists.", field="email")
    now = utcnow()
    user = StaffUser(
        email=address,
        name=name,
        role=role,
        password_hash=passwords.hash_password(password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # created by someone else a moment ago
        raise AccountError("An account with that email address already exists.", field="email") from None
    record(
        "admin.staff_create",
        actor_id=actor_id,
        record_type=RECORD,
        record_id=user.id,
        details={"after": {"role": role.value, "is_active": True}},
    )
    return user


@unit_of_work()
def set_password(user_id: int, password: str, *, actor_id: int | None) -> StaffUser:
    """Set a new password (policy checked) and end every session of the account."""
    user = _get_for_update(user_id)
    problem = passwords.policy_problem(password, context=(user.email, user.email.split("@")[0], user.name))
    if problem:
        raise PasswordPolicyError(problem)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_version = user.session_version + 1
    record("admin.staff_password_reset", actor_id=actor_id, record_type=RECORD, record_id=user.id)
    return user


@unit_of_work()
def set_role(user_id: int, role: str | Role, *, actor_id: int | None) -> StaffUser:
    """Change the role; demoting the last active admin is refused."""
    role = _valid_role(role)
    active_admins = _lock_active_admins()
    user = _get_for_update(user_id)
    if user.role == role:
        return user
    if user.role == Role.ADMIN and user.is_active and active_admins <= {user.id}:
        raise LastAdminError(LAST_ADMIN, field="role")
    before = user.role.value
    user.role = role
    record(
        "admin.staff_role",
        actor_id=actor_id,
        record_type=RECORD,
        record_id=user.id,
        details={"before": {"role": before}, "after": {"role": role.value}},
    )
    return user


@unit_of_work()
def deactivate(user_id: int, *, actor_id: int | None) -> StaffUser:
    """Deactivate the account and end its sessions at once; the last active admin is refused."""
    active_admins = _lock_active_admins()
    user = _get_for_update(user_id)
    if not user.is_active:
        return user
    if user.role == Role.ADMIN and active_admins <= {user.id}:
        raise LastAdminError(LAST_ADMIN)
    user.session_version = user.session_version + 1
    return _set_active(user, False, actor_id=actor_id)


@unit_of_work()
def reactivate(user_id: int, *, actor_id: int | None) -> StaffUser:
    """Let a deactivated account sign in again (with its existing password)."""
    user = _get_for_update(user_id)
    if user.is_active:
        return user
    return _set_active(user, True, actor_id=actor_id)


def _set_active(user: StaffUser, active: bool, *, actor_id: int | None) -> StaffUser:
    user.is_active = active
    record(
        "admin.staff_reactivate" if active else "admin.staff_deactivate",
        actor_id=actor_id,
        record_type=RECORD,
        record_id=user.id,
        details={"before": {"is_active": not active}, "after": {"is_active": active}},
    )
    return user


def _lock_active_admins() -> set[int]:
    """The ids of the active admins, their rows locked until commit.

    On PostgreSQL the row locks make a second admin change wait, then re-read the rows it waited for,
    so two admins demoting each other at once cannot both succeed. On SQLite every write transaction
    already begins with BEGIN IMMEDIATE, which serializes them.
    """
    return set(
        db.session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == Role.ADMIN, StaffUser.is_active.is_(True))
            .order_by(StaffUser.id)
            .with_for_update()
        )
    )


def _get_for_update(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise AccountNotFound("That account does not exist.")
    return user


def _valid_email(email: str) -> str:
    address = normalize_email(email or "")
    if not address:
        raise AccountError("Enter an email address.", field="email")
    if len(address) > EMAIL_MAX:
        raise AccountError(f"Use at most {EMAIL_MAX} characters.", field="email")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError("Enter a valid email address, like name@example.com.", field="email") from None
    return address


def _valid_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter a name.", field="name")
    if len(name) > NAME_MAX:
        raise AccountError(f"Use at most {NAME_MAX} characters.", field="name")
    if any(not character.isprintable() for character in name):
        raise AccountError("Use letters, spaces and punctuation only.", field="name")
    return name


def _valid_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError("Choose staff or admin.", field="role") from None
