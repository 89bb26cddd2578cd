"""clinic.services.booking.openings: freed seats noted with the change that frees them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import WaitlistOpening
from clinic.scheduling import DayHours
from clinic.services.booking import openings, seats
from clinic.services.casework import cases
from clinic.services.rules import hours, read
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")


def noted() -> list[tuple[datetime, datetime, str]]:
    return [
        (o.starts_at, o.ends_at, o.reason)
        for o in db.session.scalars(select(WaitlistOpening).order_by(WaitlistOpening.id))
    ]


def test_cancels_and_reschedules_note_the_freed_slot(make_request, make_staff, ctx):
    patient = make_request(slot=local(24, 10))
    staff = make_request(slot=local(24, 11), email="s@example.com")
    seats.reschedule_for_patient(get(patient), local(25, 9), now=NOW)
    seats.cancel_for_patient(get(patient), now=NOW)
    cases.cancel_booking(staff, actor_id=make_staff(), now=NOW)
    half = timedelta(minutes=30)
    assert noted() == [
        (local(24, 10), local(24, 10) + half, openings.RESCHEDULE),
        (local(25, 9), local(25, 9) + half, openings.CANCEL),
        (local(24, 11), local(24, 11) + half, openings.CANCEL),
    ]


def test_hours_widened_note_the_horizon_and_hours_narrowed_do_not(make_staff, ctx):
    admin = make_staff(role="admin")
    week = read.stored_hours()
    narrower = {**week, 0: DayHours(time(9), time(17))}
    hours.update_hours(narrower, actor_id=admin, now=NOW, confirmed=True)
    assert noted() == []
    hours.update_hours({**narrower, 6: DayHours(time(10), time(14))}, actor_id=admin, now=NOW, confirmed=True)
    assert noted() == [(NOW, NOW + timedelta(days=61), openings.HOURS_WIDENED)]


def test_a_removed_closure_notes_its_days(make_staff, ctx):
    from clinic.services.rules import closures

    admin = make_staff(role="admin")
    closure_id, _ = closures.add_closure(
        closures.ClosureInput(date(2026, 11, 26), date(2026, 11, 27), "Holiday"),
        actor_id=admin,
        now=NOW,
        confirmed=True,
    )
    closures.delete_closure(closure_id, actor_id=admin)
    assert noted() == [(local(26, 0), local(28, 0), openings.CLOSURE_REMOVED)]
