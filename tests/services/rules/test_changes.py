"""clinic.services.rules.changes: what every admin change shares (bookings affected, the question, flags)."""

from datetime import UTC, datetime, time

import pytest

from clinic.extensions import db
from clinic.models import Booking
from clinic.scheduling import DayHours
from clinic.services.rules.changes import (
    ConfirmationNeeded,
    active_bookings_from,
    change_date,
    confirm_or_raise,
    flag,
    slot_fit_errors,
)
from tests.services.helpers import local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York


def test_active_bookings_from_now_until_a_bound_in_time_order(ctx, add_request):
    add_request(slot=local(20, 9))  # past
    later = add_request(slot=local(25, 9))
    sooner = add_request(slot=local(24, 9))
    add_request(slot=local(24, 10), cancelled=True)
    refs = active_bookings_from(NOW)
    assert [r.request_id for r in refs] == [sooner, later]
    assert [r.request_id for r in active_bookings_from(NOW, until=local(25, 0))] == [sooner]
    assert all(not r.is_flagged and r.reference.startswith("KT-") for r in refs)


def test_flag_marks_the_bookings_in_the_current_transaction(ctx, add_request):
    add_request(slot=local(24, 9))
    refs = active_bookings_from(NOW)
    assert flag(refs, "x" * 300, now=NOW) == [refs[0].booking_id]
    booking = db.session.get(Booking, refs[0].booking_id)
    assert booking.flagged_at == NOW and len(booking.flag_reason) == 200
    assert flag([], "nothing", now=NOW) == []


def test_confirm_or_raise_asks_only_when_bookings_are_affected_and_unconfirmed(ctx, add_request):
    add_request(slot=local(24, 9))
    refs = active_bookings_from(NOW)
    confirm_or_raise([], confirmed=False)
    confirm_or_raise(refs, confirmed=True)
    with pytest.raises(ConfirmationNeeded) as asked:
        confirm_or_raise(refs, confirmed=False)
    assert asked.value.affected == refs


def test_change_date_is_the_clinic_day(ctx):
    assert change_date(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == "2026-11-23"  # 22:00 in New York


def test_slot_fit_errors_name_the_day_or_the_field():
    hours = {0: DayHours(time(9), time(9, 20)), 1: DayHours(time(8), time(17)), 6: None}
    errors = slot_fit_errors(hours, 30)
    assert list(errors) == ["mon_closes"] and "close at 09:30 or later" in errors["mon_closes"]
    by_field = slot_fit_errors(hours, 30, field="slot_minutes")
    assert list(by_field) == ["slot_minutes"] and "Monday's hours (09:00-09:20)" in by_field["slot_minutes"]
    assert slot_fit_errors(hours, 20) == {}
