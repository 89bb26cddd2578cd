"""The second factor as a service: codes with one step of drift, each accepted once, recovery codes spent
once, set-up and an admin's reset (the pages are tested in tests/web/test_two_factor.py)."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import RecoveryCode, StaffUser
from clinic.services.accounts import two_factor, users
from tests.fixtures_auth import TOTP_SECRET, enable_two_factor

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)]
)
def test_a_code_matches_within_one_step_of_drift(offset, accepted):
    code = pyotp.TOTP(TOTP_SECRET).at(NOW + timedelta(seconds=offset))
    assert (two_factor.matching_step(TOTP_SECRET, code, NOW) is not None) is accepted


def test_codes_are_read_with_spaces_and_recovery_codes_are_hashed():
    code = two_factor.current_code(TOTP_SECRET, NOW)
    assert two_factor.matching_step(TOTP_SECRET, f"{code[:3]} {code[3:]}", NOW) is not None
    recovery = two_factor.new_recovery_code()
    assert two_factor.recovery_hash(recovery) != recovery
    assert two_factor.recovery_hash(recovery) == two_factor.recovery_hash(recovery.lower())


def test_enable_refuses_a_wrong_code_then_returns_ten_recovery_codes(ctx, make_staff):
    user_id = make_staff()
    setup = two_factor.start_setup(user_id)
    with pytest.raises(two_factor.CodeRefused):
        two_factor.enable(user_id, "000000", now=NOW)
    codes = two_factor.enable(user_id, two_factor.current_code(setup.secret, NOW), now=NOW)
    assert len(set(codes)) == 10
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    assert db.session.get(StaffUser, user_id).has_two_factor


def test_a_code_is_spent_once_and_a_recovery_code_once(ctx, make_staff):
    user_id = make_staff()
    enable_two_factor(user_id)
    version = db.session.get(StaffUser, user_id).session_version
    code = two_factor.current_code(TOTP_SECRET, NOW)
    user, kind = two_factor.verify_sign_in(user_id, version, code, now=NOW)
    assert (user.id, kind) == (user_id, "totp")
    with pytest.raises(users.LoginFailed):
        two_factor.verify_sign_in(user_id, version, code, now=NOW)


def test_reset_removes_the_factor_and_ends_sessions(ctx, make_staff):
    user_id = make_staff()
    enable_two_factor(user_id)
    before = db.session.get(StaffUser, user_id).session_version
    user = two_factor.reset(user_id, actor_id=None)
    assert not user.has_two_factor and user.session_version == before + 1
    with pytest.raises(users.AccountNotFound):
        two_factor.reset(999_999, actor_id=None)
