"""Two-factor sign-in: TOTP codes from an authenticator app (RFC 6238), and one-time recovery codes.

Codes have 6 digits and a 30-second step; the step before and the step after are accepted too, for a
phone clock a little off. Each code is accepted once: the user's row keeps the step of the last code
accepted, and a guarded UPDATE only accepts a later one, so two requests racing with one code cannot both
win. Recovery codes are 80 random bits, shown once, stored as SHA-256, and spent by a guarded UPDATE.
Wrong codes at sign-in count toward the same lockout as wrong passwords (`sign_in`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update

from clinic.extensions import db
from clinic.models import RecoveryCode, StaffUser
from clinic.services.accounts import sign_in, users
from clinic.services.accounts.sign_in import ClientInfo
from clinic.services.audit.record import record
from clinic.services.rules.read import clinic_info

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O or U
RECOVERY_GROUPS = 4
RECOVERY_GROUP_LENGTH = 4
DRIFT_STEPS = 1
ISSUER_FALLBACK = "Clinic"
_SEPARATORS = re.compile(r"[\s\-]+")
_TOTP = re.compile(r"\d{6}")
CODE_REFUSED = "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."


class TwoFactorError(Exception):
    """A setup step that cannot be done, with a message for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PendingSignInEnded(users.LoginFailed):
    """The sign-in waiting for a code can no longer finish: the account changed meanwhile."""


class CodeRefused(TwoFactorError):
    def __init__(self, message: str = CODE_REFUSED) -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Setup:
    """What the setup page shows: the secret as text, and the same as a QR code (inline SVG)."""

    secret: str
    uri: str
    qr_svg: str


# Codes ---------------------------------------------------------------------------------------------------


def new_secret() -> str:
    """160 random bits in base32, as authenticator apps expect."""
    return pyotp.random_base32()


def current_code(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at `now` (for the demo and the tests)."""
    return pyotp.TOTP(secret).at(now)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time-step whose code `code` is, within one step of `now`, or None."""
    code = normalize(code)
    if not _TOTP.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def normalize(code: str) -> str:
    """Spaces and hyphens dropped, upper case, and the letters people mistake for digits read as digits."""
    text = _SEPARATORS.sub("", code or "").upper()
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH))
    groups = [raw[i : i + RECOVERY_GROUP_LENGTH] for i in range(0, len(raw), RECOVERY_GROUP_LENGTH)]
    return "-".join(groups)


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode("ascii", "ignore")).hexdigest()


def _is_recovery_shape(code: str) -> bool:
    text = normalize(code)
    return len(text) == RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH and set(text) <= set(RECOVERY_ALPHABET)


# Setup ---------------------------------------------------------------------------------------------------


def needs_setup(user: StaffUser) -> bool:
    """True when the user must set up two-factor sign-in before any other page: admins always, every
    staff user when the clinic requires it. Reads the settings only for a user without two-factor."""
    if user.has_two_factor:
        return False
    return user.is_admin or clinic_info().require_two_factor


def _locked_without_two_factor(user_id: int) -> StaffUser:
    """The account, its row locked, while two-factor sign-in is still off (else AccountNotFound or
    TwoFactorError, the transaction rolled back)."""
    user = db.session.get(StaffUser, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise users.AccountNotFound("That account does not exist.")
    if user.has_two_factor:
        db.session.rollback()
        raise TwoFactorError("Two-factor sign-in is already on for this account.")
    return user


def start_setup(user_id: int) -> Setup:
    """The secret to set up (created on the first visit, kept until confirmed), or TwoFactorError when
    two-factor sign-in is on already."""
    user = _locked_without_two_factor(user_id)
    if user.totp_secret is None:
        user.totp_secret = new_secret()
    secret, email = user.totp_secret, user.email
    db.session.commit()
    return describe(secret, email)


def describe(secret: str, email: str) -> Setup:
    issuer = clinic_info().name or ISSUER_FALLBACK
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app", svgclass="qr-code", border=4
    )
    return Setup(secret=secret, uri=uri, qr_svg=svg)


def enable(user_id: int, code: str, *, now: datetime, client: ClientInfo | None = None) -> list[str]:
    """Turn two-factor sign-in on once `code` proves the app has the secret; return the recovery codes,
    in clear this once (only their hashes are kept)."""
    user = _locked_without_two_factor(user_id)
    step = matching_step(user.totp_secret, code, now) if user.totp_secret else None
    if step is None:
        db.session.rollback()
        raise CodeRefused("That code is not right. Enter the 6-digit code your app shows now.")
    user.two_factor_enabled_at = now
    user.totp_last_step = step
    codes = _replace_recovery_codes(user.id, now)
    record(
        "auth.two_factor_enabled",
        actor_id=user.id,
        record_type=users.RECORD,
        record_id=user.id,
        details=(client or ClientInfo()).as_details(),
    )
    db.session.commit()
    return codes


def recovery_codes_left(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.staff_user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )


def reset(user_id: int, *, actor_id: int | None) -> StaffUser:
    """An admin turns a user's second factor off (a lost phone): secret and recovery codes are deleted,
    every session of the account ends, and the user sets two-factor up again at the next sign-in."""
    user = db.session.get(StaffUser, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        db.session.rollback()
        raise users.AccountNotFound("That account does not exist.")
    was_on = user.has_two_factor
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    user.session_version = user.session_version + 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    record(
        "admin.staff_two_factor_reset",
        actor_id=actor_id,
        record_type=users.RECORD,
        record_id=user.id,
        details={"before": {"two_factor": was_on}, "after": {"two_factor": False}},
    )
    db.session.commit()
    return user


def _replace_recovery_codes(user_id: int, now: datetime) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(staff_user_id=user_id, code_hash=recovery_hash(code), created_at=now) for code in codes
    )
    return codes


# Sign-in, second step ------------------------------------------------------------------------------------


def verify_sign_in(
    user_id: int, session_version: int, code: str, *, now: datetime, client: ClientInfo | None = None
) -> tuple[StaffUser, str]:
    """The second step of signing in: accept a TOTP or recovery code once and finish the sign-in.

    Returns (user, "totp" | "recovery"). Raises LoginFailed when the pending sign-in is no longer valid
    (account deactivated, reset, signed out everywhere) or the code is wrong, LoginLocked when the address
    is paused; a wrong code is counted and audited like a wrong password.
    """
    client = client or ClientInfo()
    user = db.session.get(StaffUser, user_id, populate_existing=True)
    if (
        user is None
        or not user.is_active
        or not user.has_two_factor
        or user.session_version != session_version
    ):
        db.session.rollback()
        raise PendingSignInEnded()
    key = sign_in.address_key(user.email)
    attempt = sign_in.claim(key, now)
    method = _spend_code(user, code, now)
    if method is None:
        users.record_failure(
            attempt, "auth.second_factor_failed", user_id=user.id, reason="wrong_code", client=client, now=now
        )
    users.complete_sign_in(user, key, now=now, client=client, second_factor=method)
    db.session.commit()
    return user, method


def _spend_code(user: StaffUser, code: str, now: datetime) -> str | None:
    """Accept `code` once, in the caller's transaction: "totp", "recovery", or None."""
    step = matching_step(user.totp_secret or "", code, now) if user.totp_secret else None
    if step is not None:
        accepted = db.session.execute(
            update(StaffUser)
            .where(
                StaffUser.id == user.id,
                or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        return "totp" if accepted == 1 else None
    if _is_recovery_shape(code):
        spent = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.staff_user_id == user.id,
                RecoveryCode.code_hash == recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        return "recovery" if spent == 1 else None
    return None
