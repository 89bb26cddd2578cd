"""clinic.services.accounts.users: creation, sign-in, lockout, roles, passwords, deactivation, last admin."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import AuditEvent, LoginFailure, StaffUser
from clinic.services.accounts import passwords, users
from clinic.services.accounts.sign_in import address_key
from clinic.triage.enums import Role
from tests.fixtures_auth import DEFAULT_PASSWORD

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
GOOD = "quiet meadow lantern 42"


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def user(user_id: int) -> StaffUser:
    return db.session.get(StaffUser, user_id, populate_existing=True)


# create_user -----------------------------------------------------------------------------------------


def test_create_user_stores_a_normalized_active_account_and_audits_it(ctx, make_staff):
    admin_id = make_staff(role="admin")
    created = users.create_user(
        email="  New.Nurse@Clinic.Example ",
        name="  Nia   Nurse ",
        role="staff",
        password=GOOD,
        actor_id=admin_id,
    )
    row = user(created.id)
    assert (row.email, row.name, row.role, row.is_active) == (
        "new.nurse@clinic.example",
        "Nia Nurse",
        Role.STAFF,
        True,
    )
    assert row.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(row.password_hash, GOOD)
    [event] = events("admin.staff_create")
    assert (event.actor_id, event.record_type, event.record_id) == (admin_id, "staff_user", created.id)
    assert event.details == {"after": {"role": "staff", "is_active": True}}


def test_create_user_refuses_a_duplicate_email_whatever_its_case(ctx, make_staff):
    make_staff(email="nurse@clinic.example")
    with pytest.raises(users.AccountError) as raised:
        users.create_user(
            email="NURSE@clinic.example", name="Other", role="staff", password=GOOD, actor_id=None
        )
    assert raised.value.field == "email"
    assert "already exists" in str(raised.value)
    assert db.session.scalar(select(func.count(StaffUser.id))) == 1


@pytest.mark.parametrize("password", ["too short", "password2026", "QWERTYUIOP123456"])
def test_create_user_refuses_a_weak_password(ctx, password):
    with pytest.raises(users.PasswordPolicyError) as raised:
        users.create_user(email="a@clinic.example", name="A", role="staff", password=password, actor_id=None)
    assert raised.value.field == "password"
    assert isinstance(raised.value, users.AccountError)
    assert db.session.scalar(select(func.count(StaffUser.id))) == 0
    assert events() == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Bad\x00Name"}, "name"),
        ({"role": "owner"}, "role"),
    ],
)
def test_create_user_refuses_bad_fields_naming_the_field(ctx, fields, field):
    values = {"email": "a@clinic.example", "name": "A Person", "role": "staff", "password": GOOD, **fields}
    with pytest.raises(users.AccountError) as raised:
        users.create_user(**values, actor_id=None)
    assert raised.value.field == field
    assert raised.value.message


def test_create_user_refuses_the_email_as_password(ctx):
    with pytest.raises(users.PasswordPolicyError):
        users.create_user(
            email="longaddress@clinic.example",
            name="A",
            role="staff",
            password="LongAddress@clinic.example",
            actor_id=None,
        )


# authenticate -----------------------------------------------------------------------------------------


def test_authenticate_returns_the_user_records_the_login_and_audits_it(ctx, make_staff):
    user_id = make_staff(email="nurse@clinic.example")
    signed_in = users.authenticate("  Nurse@Clinic.example", DEFAULT_PASSWORD, now=NOW)
    assert signed_in.id == user_id
    assert user(user_id).last_login_at == NOW
    [event] = events()
    assert (event.action, event.actor_id, event.record_id) == ("auth.login", user_id, user_id)


@pytest.mark.parametrize("email", ["nurse@clinic.example", "nobody@clinic.example"])
def test_a_failure_is_counted_and_audited_without_the_typed_email(ctx, make_staff, email):
    user_id = make_staff(email="nurse@clinic.example")
    with pytest.raises(users.LoginFailed):
        users.authenticate(email.upper(), "wrong password entirely", now=NOW)
    assert list(db.session.scalars(select(LoginFailure.email_hash))) == [address_key(email)]
    [event] = events()
    assert event.action == "auth.login_failed"
    assert event.actor_id is None
    assert event.record_id == (user_id if email.startswith("nurse") else None)
    dumped = json.dumps(event.details).lower()
    assert email not in dumped and "wrong password" not in dumped


def test_an_inactive_account_cannot_sign_in_even_with_its_password(ctx, make_staff):
    user_id = make_staff(email="gone@clinic.example")
    db.session.execute(sa.update(StaffUser).where(StaffUser.id == user_id).values(is_active=False))
    db.session.commit()
    with pytest.raises(users.AccountDeactivated):
        users.authenticate("gone@clinic.example", DEFAULT_PASSWORD, now=NOW)
    with pytest.raises(users.LoginFailed) as guessed:
        users.authenticate("gone@clinic.example", "a wrong password here", now=NOW)
    assert type(guessed.value) is users.LoginFailed  # a wrong password says nothing about the account


def test_an_unknown_address_is_verified_against_the_dummy_hash(ctx, monkeypatch):
    """Same work, so the same time, as a wrong password for a real account."""
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    with pytest.raises(users.LoginFailed):
        users.authenticate("nobody@clinic.example", "some password typed", now=NOW)
    assert calls == [None]  # verify_password(None, ...) checks against the dummy argon2 hash


def fail(email: str, at: datetime, times: int = 1) -> list[type]:
    outcomes = []
    for _ in range(times):
        try:
            users.authenticate(email, "wrong password entirely", now=at)
        except (users.LoginFailed, users.LoginLocked) as error:
            outcomes.append(type(error))
    return outcomes


@pytest.mark.parametrize("email", ["nurse@clinic.example", "nobody@clinic.example"])
def test_five_failures_lock_the_address_for_fifteen_minutes_even_with_the_right_password(
    ctx, make_staff, email
):
    user_id = make_staff(email="nurse@clinic.example")
    outcomes = fail(email, NOW, 4) + fail(email, NOW + timedelta(minutes=14))
    assert outcomes == [users.LoginFailed] * 4 + [users.LoginLocked]
    with pytest.raises(users.LoginLocked) as raised:
        users.authenticate(email, DEFAULT_PASSWORD, now=NOW + timedelta(minutes=28))
    assert raised.value.until == NOW + timedelta(minutes=29)
    [lockout] = events("auth.lockout")
    assert lockout.record_id == (user_id if email.startswith("nurse") else None)
    assert email not in json.dumps(lockout.details)
    # the refused attempts while locked are not counted, so the lock ends on time
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 5
    if email.startswith("nurse"):
        assert (
            users.authenticate(email, DEFAULT_PASSWORD, now=NOW + timedelta(minutes=29, seconds=1)).id
            == user_id
        )
    else:
        assert fail(email, NOW + timedelta(minutes=29, seconds=1)) == [users.LoginFailed]


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(ctx, make_staff):
    make_staff(email="nurse@clinic.example")
    outcomes = []
    for minute in (0, 5, 10, 15, 20, 25, 30):
        outcomes += fail("nurse@clinic.example", NOW + timedelta(minutes=minute, seconds=1))
    assert outcomes == [users.LoginFailed] * 7
    assert events("auth.lockout") == []


def test_the_lock_counts_per_address_case_insensitively(ctx, make_staff):
    make_staff(email="nurse@clinic.example")
    make_staff(email="doctor@clinic.example")
    fail("Nurse@Clinic.example", NOW, 2)
    fail("NURSE@clinic.example", NOW, 2)
    assert fail("nurse@CLINIC.example", NOW) == [users.LoginLocked]
    assert (
        users.authenticate("doctor@clinic.example", DEFAULT_PASSWORD, now=NOW).email
        == "doctor@clinic.example"
    )


def test_a_successful_sign_in_clears_earlier_failures(ctx, make_staff):
    make_staff(email="nurse@clinic.example")
    fail("nurse@clinic.example", NOW, 4)
    users.authenticate("nurse@clinic.example", DEFAULT_PASSWORD, now=NOW)
    assert fail("nurse@clinic.example", NOW, 4) == [users.LoginFailed] * 4


def test_old_failures_are_purged(ctx):
    db.session.add(LoginFailure(email_hash=address_key("old@clinic.example"), at=NOW - timedelta(days=2)))
    db.session.commit()
    fail("new@clinic.example", NOW)
    assert list(db.session.scalars(select(LoginFailure.email_hash))) == [address_key("new@clinic.example")]


# sessions, passwords, roles, activity ---------------------------------------------------------------


def test_end_sessions_and_logout_bump_the_session_version(ctx, make_staff):
    user_id = make_staff()
    users.end_sessions(user_id)
    assert user(user_id).session_version == 2
    users.logout(user_id)
    assert user(user_id).session_version == 3
    assert [e.action for e in events()] == ["auth.logout"]


def test_set_password_checks_the_policy_and_ends_sessions(ctx, make_staff):
    admin_id = make_staff(role="admin")
    user_id = make_staff(email="nurse@clinic.example")
    with pytest.raises(users.PasswordPolicyError):
        users.set_password(user_id, "short", actor_id=admin_id)
    assert user(user_id).session_version == 1
    users.set_password(user_id, GOOD, actor_id=admin_id)
    row = user(user_id)
    assert passwords.verify_password(row.password_hash, GOOD)
    assert row.session_version == 2
    assert row.password_changed_at == NOW
    [event] = events()
    assert (event.action, event.actor_id, event.record_id) == (
        "admin.staff_password_reset",
        admin_id,
        user_id,
    )
    assert GOOD not in json.dumps(event.details)


def test_set_role_audits_before_and_after(ctx, make_staff):
    admin_id = make_staff(role="admin")
    user_id = make_staff()
    users.set_role(user_id, "admin", actor_id=admin_id)
    assert user(user_id).role == Role.ADMIN
    users.set_role(user_id, "admin", actor_id=admin_id)  # no change, no event
    [event] = events()
    assert event.action == "admin.staff_role"
    assert event.details == {"before": {"role": "staff"}, "after": {"role": "admin"}}


def test_deactivate_ends_sessions_and_reactivate_restores_access(ctx, make_staff):
    admin_id = make_staff(role="admin")
    user_id = make_staff(email="nurse@clinic.example")
    users.deactivate(user_id, actor_id=admin_id)
    row = user(user_id)
    assert (row.is_active, row.session_version) == (False, 2)
    with pytest.raises(users.LoginFailed):
        users.authenticate("nurse@clinic.example", DEFAULT_PASSWORD, now=NOW)
    users.reactivate(user_id, actor_id=admin_id)
    assert user(user_id).is_active
    assert users.authenticate("nurse@clinic.example", DEFAULT_PASSWORD, now=NOW).id == user_id
    changes = [(e.action, e.details) for e in events() if e.action.startswith("admin.")]
    assert changes == [
        ("admin.staff_deactivate", {"before": {"is_active": True}, "after": {"is_active": False}}),
        ("admin.staff_reactivate", {"before": {"is_active": False}, "after": {"is_active": True}}),
    ]


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(ctx, make_staff):
    admin_id = make_staff(role="admin")
    retired_id = make_staff(role="admin")
    users.deactivate(retired_id, actor_id=admin_id)  # an inactive admin does not count
    with pytest.raises(users.LastAdminError) as raised:
        users.set_role(admin_id, "staff", actor_id=admin_id)
    assert "last active admin" in str(raised.value)
    with pytest.raises(users.LastAdminError):
        users.deactivate(admin_id, actor_id=admin_id)
    row = user(admin_id)
    assert (row.role, row.is_active, row.session_version) == (Role.ADMIN, True, 1)
    users.set_role(retired_id, "staff", actor_id=admin_id)  # demoting an inactive admin is fine


def test_with_two_admins_one_can_step_down(ctx, make_staff):
    first = make_staff(role="admin")
    second = make_staff(role="admin")
    users.set_role(first, "staff", actor_id=first)
    with pytest.raises(users.LastAdminError):
        users.deactivate(second, actor_id=second)


def test_unknown_accounts_raise_not_found(ctx):
    for change in (
        lambda: users.set_role(999, "staff", actor_id=None),
        lambda: users.deactivate(999, actor_id=None),
        lambda: users.reactivate(999, actor_id=None),
        lambda: users.set_password(999, GOOD, actor_id=None),
    ):
        with pytest.raises(users.AccountNotFound):
            change()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, clock, make_staff):
    """Both changes count two admins if neither waits for the other: the count is locked and re-read."""
    clock.set(NOW)
    first, second = make_staff(role="admin"), make_staff(role="admin")
    barrier = threading.Barrier(2, timeout=2)
    with app.app_context():
        engine = db.engine

    def pause_after_counting(conn, cursor, statement, parameters, context, executemany):
        if getattr(local, "armed", False) and "staff_users.role" in statement and "is_active" in statement:
            local.armed = False
            try:
                barrier.wait()  # with the lock held, the other thread is still blocked in its count
            except threading.BrokenBarrierError:
                pass

    local = threading.local()
    outcomes: dict[int, str] = {}

    def demote(target: int, actor: int) -> None:
        local.armed = True
        with app.app_context():
            try:
                users.set_role(target, "staff", actor_id=actor)
                outcomes[target] = "demoted"
            except users.LastAdminError:
                outcomes[target] = "refused"
            finally:
                db.session.remove()

    sa.event.listen(engine, "after_cursor_execute", pause_after_counting)
    try:
        threads = [
            threading.Thread(target=demote, args=(second, first)),
            threading.Thread(target=demote, args=(first, second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sa.event.remove(engine, "after_cursor_execute", pause_after_counting)
    assert sorted(outcomes.values()) == ["demoted", "refused"]
    with app.app_context():
        admins = db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.role == Role.ADMIN))
    assert admins == 1
