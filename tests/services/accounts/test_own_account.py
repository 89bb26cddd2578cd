"""A user changes their own password: the current one is checked, the new one judged, sessions end."""

from datetime import UTC, datetime

import pytest

from clinic.extensions import db
from clinic.models import StaffUser
from clinic.services.accounts import own_account, passwords
from tests.fixtures_auth import DEFAULT_PASSWORD

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
NEW = "quiet lantern orchard rivers 42"


def test_a_wrong_current_password_is_refused_beside_its_field(ctx, make_staff):
    user_id = make_staff()
    with pytest.raises(own_account.PasswordChangeError) as refused:
        own_account.change_password(user_id, "not my password at all", NEW, now=NOW)
    assert refused.value.field == "current_password"


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "123456789012", "clinicclinic"])
def test_a_weak_new_password_is_refused(ctx, make_staff, weak):
    user_id = make_staff()
    with pytest.raises(own_account.PasswordChangeError) as refused:
        own_account.change_password(user_id, DEFAULT_PASSWORD, weak, now=NOW)
    assert refused.value.field == "new_password"


def test_a_change_sets_the_hash_and_ends_other_sessions(ctx, make_staff):
    user_id = make_staff()
    before = db.session.get(StaffUser, user_id).session_version
    user = own_account.change_password(user_id, DEFAULT_PASSWORD, NEW, now=NOW)
    assert user.session_version > before
    assert passwords.verify_password(db.session.get(StaffUser, user_id).password_hash, NEW)
