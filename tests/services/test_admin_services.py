"""Admin services: the affected-bookings rule (pure), hours, closures, settings and the audit log queries."""

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.admin.charts import week_chart
from clinic.extensions import db
from clinic.models import AuditEvent, Booking, ClinicSettings, Closure, ConsultationRequest, SlotClaim
from clinic.scheduling import BookingRules, ClosureRule, DayHours, Schedule
from clinic.scheduling.fit import fits, left_outside
from clinic.services.audit import log
from clinic.services.rules import closures, hours, read, settings
from clinic.services.rules.changes import AdminChangeError, BookingRef, ConfirmationNeeded
from clinic.triage.enums import Modality, Phq9Band, PreferredContact, Priority

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # Saturday 09:00 in New York
MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)
WEEK = {d: DayHours(time(8), time(17, 30)) for d in range(6)} | {6: None}
_refs = itertools.count(1)


def local(day: date, hour: int, minute: int = 0, tz: ZoneInfo = NY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def add_booking(app, starts_at: datetime, minutes: int = 30, *, seat: int = 1, flagged: bool = False) -> int:
    """Store a request with one active booking at `starts_at`; returns the booking id."""
    with app.app_context():
        n = next(_refs)
        request = ConsultationRequest(
            reference=f"KT-T{n:05d}",
            public_id=f"pub{n:029d}",
            priority=Priority.ROUTINE,
            priority_rank=Priority.ROUTINE.rank,
            first_name="Canary",
            last_name="Patient",
            email="canary@example.com",
            phone="+12125550100",
            date_of_birth=date(1980, 1, 1),
            preferred_contact=PreferredContact.EMAIL,
            phq9_answers=[0] * 9,
            phq9_score=0,
            phq9_band=Phq9Band.MINIMAL,
            antidepressant_trials=2,
            treatment_resistant=True,
            modality=Modality.UNDECIDED,
            consent_version="1",
            consented_at=NOW - timedelta(days=1),
            appointment_at=starts_at,
        )
        booking = Booking(
            request=request,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            flagged_at=NOW - timedelta(days=1) if flagged else None,
            flag_reason="earlier" if flagged else None,
        )
        booking.claim = SlotClaim(starts_at=starts_at, seat=seat)
        db.session.add(booking)
        db.session.commit()
        return booking.id


def booking_flag(app, booking_id: int) -> tuple[datetime | None, str | None]:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        return booking.flagged_at, booking.flag_reason


def at_fixed_time(client, clock, when: datetime = NOW):
    """Fix the clock and move the client's sign-in to the same moment (login_as stamps real time)."""
    clock.set(when)
    with client.session_transaction() as session:
        if "_user_id" in session:
            session["login_at"] = session["seen_at"] = when.isoformat()
    return client


def ref(starts_at: datetime, minutes: int = 30, *, flagged: bool = False, booking_id: int = 1) -> BookingRef:
    return BookingRef(
        booking_id, booking_id, f"KT-{booking_id}", starts_at, starts_at + timedelta(minutes=minutes), flagged
    )


# --- the pure rule ---


def schedule(week=WEEK, closures_=(), slot_minutes=30, tz="America/New_York") -> Schedule:
    return Schedule(week, list(closures_), BookingRules(tz, slot_minutes, 1, 2, 60))


def test_fits_only_on_a_grid_start_with_room_to_its_end():
    s = schedule()
    assert fits(s, local(MONDAY, 9), local(MONDAY, 9, 30), {})
    assert not fits(s, local(MONDAY, 9, 15), local(MONDAY, 9, 45), {})
    assert not fits(s, local(MONDAY, 17, 30), local(MONDAY, 18), {})  # after closing
    assert fits(s, local(MONDAY, 9), local(MONDAY, 10), {})  # a 60-minute booking spans two 30-minute slots
    assert not fits(s, local(MONDAY, 17), local(MONDAY, 18), {})  # runs past closing


def test_shorter_hours_leave_late_bookings_outside():
    current = schedule()
    proposed = schedule(WEEK | {0: DayHours(time(9), time(12))})
    kept, early, late = (
        ref(local(MONDAY, 9), booking_id=1),
        ref(local(MONDAY, 8), booking_id=2),
        ref(local(MONDAY, 12), booking_id=3),
    )
    assert left_outside(current, proposed, [late, kept, early]) == [early, late]


def test_already_flagged_booking_outside_both_is_not_listed_again():
    current = schedule(WEEK | {0: DayHours(time(9), time(12))})
    proposed = schedule(WEEK | {0: DayHours(time(10), time(12))})
    old = ref(local(MONDAY, 8), flagged=True, booking_id=1)
    unflagged = ref(local(MONDAY, 8, 30), booking_id=2)
    newly = ref(local(MONDAY, 9), flagged=True, booking_id=3)  # flagged earlier, fine now, outside again
    assert left_outside(current, proposed, [old, unflagged, newly]) == [unflagged, newly]


def test_part_day_closure_leaves_only_overlapping_bookings_outside():
    current = schedule()
    closure = ClosureRule(FRIDAY, FRIDAY, "Training", time(12), time(14))
    proposed = schedule(closures_=[closure])
    inside = [ref(local(FRIDAY, h, m), booking_id=i) for i, (h, m) in enumerate([(12, 0), (13, 30)], 1)]
    outside = [ref(local(FRIDAY, h, m), booking_id=i) for i, (h, m) in enumerate([(11, 30), (14, 0)], 10)]
    assert left_outside(current, proposed, inside + outside) == inside


def test_slot_length_change_keeps_only_bookings_on_the_new_grid():
    current = schedule()
    proposed = schedule(slot_minutes=45)
    on_grid = ref(local(MONDAY, 8, 45), booking_id=1)  # 08:45 is the second 45-minute slot
    off_grid = ref(local(MONDAY, 8, 30), booking_id=2)
    assert left_outside(current, proposed, [on_grid, off_grid]) == [off_grid]


def test_timezone_change_compares_the_same_instant_on_the_new_local_grid():
    current = schedule()
    proposed = schedule(tz="America/Chicago")  # an hour behind: 08:00 New York is 07:00 Chicago
    first = ref(local(MONDAY, 8), booking_id=1)
    later = ref(local(MONDAY, 9), booking_id=2)  # 08:00 in Chicago: still on its grid
    assert left_outside(current, proposed, [first, later]) == [first]


def test_week_chart_marks_slots_closures_and_closed_days_in_words():
    closure = ClosureRule(FRIDAY, FRIDAY, "Training", time(12), time(14))
    holiday = ClosureRule(date(2026, 11, 26), date(2026, 11, 26), "Thanksgiving")
    chart = week_chart(schedule(WEEK | {0: DayHours(time(9), time(12))}, [closure, holiday]), NOW.date(), 7)
    texts = [row.text for row in chart.rows]
    assert texts[0] == "Saturday November 21: open 08:00–17:30, 19 slots, 08:00 to 17:00."
    assert texts[1] == "Sunday November 22: closed."
    assert texts[2] == "Monday November 23: open 09:00–12:00, 6 slots, 09:00 to 11:30."
    assert texts[5] == "Thursday November 26: closed all day (Thanksgiving)."
    assert (
        texts[6]
        == "Friday November 27: open 08:00–17:30, 15 slots, 08:00 to 17:00; closed 12:00–14:00 (Training)."
    )
    friday = chart.rows[6]
    assert [b.kind for b in friday.boxes].count("closure") == 1
    assert all(0 < box.x and box.x + box.width <= chart.width for row in chart.rows for box in row.boxes)


# --- services against the database ---


@pytest.fixture
def ctx(app):
    app.config["NOW_OVERRIDE"] = NOW
    with app.test_request_context():
        yield app


def test_update_hours_asks_first_then_flags_and_audits(app, make_staff):
    admin = make_staff(role="admin")
    late = add_booking(app, local(MONDAY, 15))
    fine = add_booking(app, local(MONDAY, 10))
    new_week = WEEK | {0: DayHours(time(9), time(12))}
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            hours.update_hours(new_week, actor_id=admin, now=NOW, confirmed=False)
        assert [b.booking_id for b in asked.value.affected] == [late]
        assert read.stored_hours()[0] == DayHours(time(8), time(17, 30))  # nothing saved
        assert hours.update_hours(new_week, actor_id=admin, now=NOW, confirmed=True) == [late]
        assert read.stored_hours()[0] == DayHours(time(9), time(12))
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.hours")).one()
        assert event.actor_id == admin
        assert event.details["before"]["mon"] == "08:00-17:30"
        assert event.details["after"]["mon"] == "09:00-12:00"
        assert event.details["after"]["sun"] == "closed"
        assert event.details["flagged_bookings"] == [late]
    flagged_at, reason = booking_flag(app, late)
    assert flagged_at == NOW
    assert reason == "Outside opening hours after the change of 2026-11-21"
    assert booking_flag(app, fine) == (None, None)
    with app.app_context():
        assert db.session.get(Booking, late).cancelled_at is None  # kept, not moved
        assert db.session.get(Booking, late).starts_at == local(MONDAY, 15)


def test_update_hours_refuses_a_day_too_short_for_a_slot(ctx):
    with pytest.raises(AdminChangeError) as refused:
        hours.update_hours(WEEK | {2: DayHours(time(9), time(9, 20))}, actor_id=None, now=NOW, confirmed=True)
    assert set(refused.value.errors) == {"wed_closes"}
    assert "09:30" in refused.value.errors["wed_closes"]


def test_past_and_cancelled_bookings_are_never_affected(app):
    past = add_booking(app, local(date(2026, 11, 16), 15))  # last Monday
    with app.app_context():
        cancelled = db.session.get(Booking, add_booking(app, local(MONDAY, 16)))
        cancelled.cancelled_at, cancelled.claim = NOW, None
        db.session.commit()
    with app.test_request_context():
        assert hours.preview_hours(WEEK | {0: DayHours(time(9), time(12))}, now=NOW) == []
    assert booking_flag(app, past) == (None, None)


def test_add_closure_flags_bookings_inside_and_delete_reopens(app, make_staff):
    admin = make_staff(role="admin")
    inside = add_booking(app, local(FRIDAY, 12, 30))
    outside = add_booking(app, local(FRIDAY, 14))
    closure = closures.ClosureInput(FRIDAY, FRIDAY, "Staff training", time(12), time(14))
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            closures.add_closure(closure, actor_id=admin, now=NOW, confirmed=False)
        assert [b.booking_id for b in asked.value.affected] == [inside]
        assert db.session.scalars(select(Closure)).all() == []
        closure_id, flagged = closures.add_closure(closure, actor_id=admin, now=NOW, confirmed=True)
        assert flagged == [inside]
        assert closures.delete_closure(closure_id, actor_id=admin)
        assert not closures.delete_closure(closure_id, actor_id=admin)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["admin.closure_add", "admin.closure_delete"]
        deleted = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "admin.closure_delete")
        ).one()
        assert deleted.details["before"]["reason"] == "Staff training"
    assert booking_flag(app, inside)[1] == "Inside the closure added on 2026-11-21: Staff training"
    assert booking_flag(app, outside) == (None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": date(2026, 11, 26)}, "end_date"),
        ({"start_date": date(2026, 11, 1), "end_date": date(2026, 11, 2)}, "end_date"),
        ({"end_date": date(2027, 12, 31)}, "end_date"),
        ({"start_time": time(12)}, "end_time"),
        ({"end_time": time(12)}, "start_time"),
        ({"start_time": time(14), "end_time": time(12)}, "end_time"),
        ({"reason": "   "}, "reason"),
    ],
)
def test_closure_rules_refuse_bad_ranges(ctx, change, field):
    closure = closures.ClosureInput(
        **({"start_date": FRIDAY, "end_date": FRIDAY, "reason": "Holiday"} | change)
    )
    with pytest.raises(AdminChangeError) as refused:
        closures.add_closure(closure, actor_id=None, now=NOW, confirmed=True)
    assert list(refused.value.errors) == [field]


def settings_input(**changes) -> settings.SettingsInput:
    base = settings.SettingsInput(
        name="Northfield Clinic",
        phone="(212) 555-0142",
        email="care@northfield-clinic.example",
        address="120 Harbor Street, Suite 300, New York, NY 10001",
        timezone="America/New_York",
        slot_minutes=30,
        capacity=1,
        min_notice_hours=2,
        horizon_days=60,
    )
    return replace(base, **changes)


def test_update_settings_slot_change_keeps_instants_and_flags_off_grid(app, make_staff):
    admin = make_staff(role="admin")
    on_grid = add_booking(app, local(MONDAY, 8, 45), 30)
    off_grid = add_booking(app, local(MONDAY, 8, 30), 30)
    with app.test_request_context():
        with pytest.raises(ConfirmationNeeded) as asked:
            settings.update_settings(
                settings_input(slot_minutes=45), actor_id=admin, now=NOW, confirmed=False
            )
        assert [b.booking_id for b in asked.value.affected] == [off_grid]
        assert db.session.get(ClinicSettings, 1).slot_minutes == 30
        flagged = settings.update_settings(
            settings_input(slot_minutes=45, capacity=3), actor_id=admin, now=NOW, confirmed=True
        )
        assert flagged == [off_grid]
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.details["before"] == {"slot_minutes": 30, "capacity": 1}
        assert event.details["after"] == {"slot_minutes": 45, "capacity": 3}
    with app.app_context():
        assert db.session.get(Booking, off_grid).starts_at == local(MONDAY, 8, 30)
        assert db.session.get(Booking, off_grid).ends_at == local(MONDAY, 9)
    assert booking_flag(app, on_grid) == (None, None)


def test_update_settings_refuses_unknown_timezone_and_slot_longer_than_a_day(ctx):
    with pytest.raises(AdminChangeError) as refused:
        settings.update_settings(
            settings_input(timezone="Mars/Olympus", slot_minutes=240), actor_id=None, now=NOW, confirmed=True
        )
    assert set(refused.value.errors) == {"timezone"}
    hours.update_hours(WEEK | {0: DayHours(time(9), time(10))}, actor_id=None, now=NOW, confirmed=True)
    with pytest.raises(AdminChangeError) as refused:
        settings.update_settings(settings_input(slot_minutes=90), actor_id=None, now=NOW, confirmed=True)
    assert "Monday" in refused.value.errors["slot_minutes"]


def test_unchanged_settings_save_nothing(ctx):
    assert settings.update_settings(settings_input(), actor_id=None, now=NOW, confirmed=False) is None
    assert hours.update_hours(WEEK, actor_id=None, now=NOW, confirmed=False) is None
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_audit_summary_shows_changes_only():
    details = {
        "before": {"mon": "08:00-17:30", "tue": "08:00-17:30"},
        "after": {"mon": "09:00-12:00", "tue": "08:00-17:30"},
        "flagged_bookings": [4, 7],
    }
    assert log.summarize(details) == "mon: 08:00-17:30 → 09:00-12:00; flagged bookings: 4, 7"
    assert log.summarize({"before": {"reason": "Holiday"}}) == "was reason: Holiday"
    assert log.summarize(None) == ""
    assert len(log.summarize({"note": "x" * 1000})) == log.SUMMARY_LIMIT
