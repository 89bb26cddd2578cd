"""Staff accounts: creation, sign-in with a database-counted lockout, roles, passwords, deactivation.

Every change is audited with ids and before/after values (role, is_active), never a password or a typed
email address. The last active admin can never be demoted or deactivated, even by two admins at once.
"""

from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db
from clinic.models import LoginFailure, StaffUser
from clinic.services import unit_of_work
from clinic.services.accounts import passwords
from clinic.services.audit.record import record
from clinic.timeutil import utcnow
from clinic.triage.enums import Role

RECORD = "staff_user"
LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
FAILURE_RETENTION = timedelta(days=1)
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
    """Wrong address, wrong password or inactive account: deliberately indistinguishable."""


class LoginLocked(Exception):
    """Too many recent failures for the address typed."""

    def __init__(self, until: datetime) -> None:
        super().__init__("locked")
        self.until = until


def normalize_email(email: str) -> str:
    """The form in which addresses are stored and compared: trimmed and lower-cased."""
    return email.strip().lower()


# Sign-in -------------------------------------------------------------------------------------------------


def authenticate(email: str, password: str, *, now: datetime) -> StaffUser:
    """Check a sign-in attempt and record its outcome (audit, failure count) in one transaction.

    The lockout is counted per typed address in the database, so it holds across workers and hosts and
    behaves the same whether or not an account exists. An unknown address is verified against a dummy
    hash so it costs as long as a wrong password. A refused attempt is committed before LoginFailed or
    LoginLocked is raised, so that it counts.
    """
    with unit_of_work():
        outcome = _attempt(normalize_email(email)[:EMAIL_MAX], password, now=now)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _attempt(key: str, password: str, *, now: datetime) -> StaffUser | LoginFailed | LoginLocked:
    """The signed-in user, or the refusal to raise once the attempt is recorded."""
    locked_until = _locked_until(key, now)
    if locked_until is not None:
        return LoginLocked(locked_until)  # attempts refused while locked are not recorded

    user = db.session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == key)).first()
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is not None and password_ok and user.is_active:
        db.session.execute(delete(LoginFailure).where(LoginFailure.email == key))
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        user.last_login_at = now
        record("auth.login", actor_id=user.id, record_type=RECORD, record_id=user.id)
        return user

    reason = "unknown_account" if user is None else ("inactive" if not user.is_active else "wrong_password")
    record_id = user.id if user else None
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_RETENTION))
    db.session.add(LoginFailure(email=key, at=now))
    db.session.flush()
    record_type = RECORD if user else None
    record(
        "auth.login_failed",
        actor_id=None,
        record_type=record_type,
        record_id=record_id,
        details={"reason": reason},
    )
    locked_until = _locked_until(key, now)
    if locked_until is None:
        return LoginFailed()
    minutes = int(LOCKOUT_DURATION.total_seconds() // 60)
    record(
        "auth.lockout",
        actor_id=None,
        record_type=record_type,
        record_id=record_id,
        details={"failures": LOCKOUT_THRESHOLD, "minutes": minutes},
    )
    return LoginLocked(locked_until)


def _locked_until(key: str, now: datetime) -> datetime | None:
    """When the lock on `key` ends, or None: a lock starts at the fifth failure within the window.

    Attempts refused while locked are not recorded, so the lock lasts its full duration from the failure
    that started it, and the rows read here stay few.
    """
    times = list(
        db.session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.email == key, LoginFailure.at > now - LOCKOUT_WINDOW - LOCKOUT_DURATION)
            .order_by(LoginFailure.at)
        )
    )
    until = None
    for last in range(LOCKOUT_THRESHOLD - 1, len(times)):
        if times[last] - times[last - LOCKOUT_THRESHOLD + 1] <= LOCKOUT_WINDOW:
            until = times[last] + LOCKOUT_DURATION
    return until if until is not None and until > now else None


def end_sessions(user_id: int) -> None:
    """Bump the session version: every cookie issued so far for this user is refused from now on."""
    with unit_of_work():
        _bump_session_version(user_id)


def logout(user_id: int) -> None:
    """Sign out: end every session of the user (a replayed cookie is refused) and audit it."""
    with unit_of_work():
        _bump_session_version(user_id)
        record("auth.logout", actor_id=user_id, record_type=RECORD, record_id=user_id)


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
