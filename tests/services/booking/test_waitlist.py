"""clinic.services.booking.waitlist: joining, changing wishes, leaving, and the line in order."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import AuditEvent, WaitlistEntry
from clinic.scheduling.waitlist import PartOfDay, Wishes
from clinic.services.booking import seats, waitlist
from tests.services.helpers import get, local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
MONDAY = date(2026, 11, 23)


def test_joining_changing_and_leaving_keep_one_entry_and_audit_ids_only(make_request, ctx):
    request_id = make_request(slot=local(30, 10))
    entry = waitlist.join(get(request_id), Wishes(MONDAY, frozenset({"wed", "mon"})), now=NOW)
    assert (entry.days, entry.part_of_day, entry.joined_at) == ("mon,wed", PartOfDay.ANY, NOW)
    later = NOW + timedelta(hours=1)
    waitlist.join(get(request_id), Wishes(MONDAY, part_of_day=PartOfDay.AFTERNOON), now=later)
    entry = waitlist.current_entry(request_id)
    assert (entry.days, entry.part_of_day, entry.joined_at) == ("", PartOfDay.AFTERNOON, NOW)  # place kept
    waitlist.leave(get(request_id), now=later)
    assert waitlist.current_entry(request_id) is None
    with pytest.raises(waitlist.NotWaiting):
        waitlist.leave(get(request_id), now=later)
    waitlist.join(get(request_id), Wishes(MONDAY), now=later + timedelta(hours=1))
    assert waitlist.current_entry(request_id).joined_at == later + timedelta(hours=1)  # back of the line
    assert len(db.session.scalars(select(WaitlistEntry)).all()) == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("waitlist."))).all()
    assert [e.action for e in events] == [
        "waitlist.join",
        "waitlist.update",
        "waitlist.leave",
        "waitlist.join",
    ]
    assert all(set(e.details) == {"entry_id"} for e in events)


def test_wishes_must_allow_an_earlier_time(make_request, ctx):
    request_id = make_request(slot=local(30, 10))
    with pytest.raises(waitlist.WishesRefused) as refused:
        waitlist.join(get(request_id), Wishes(date(2026, 12, 1)), now=NOW)
    assert refused.value.field == "earliest"
    with pytest.raises(waitlist.WishesRefused):
        waitlist.join(get(request_id), Wishes(date(2026, 11, 22)), now=NOW)
    waitlist.join(get(request_id), Wishes(date(2026, 11, 30)), now=NOW)  # the booking's own day is fine


def test_a_cancelled_or_closed_booking_cannot_wait(make_request, ctx):
    cancelled = make_request(slot=local(30, 10), cancelled=True)
    with pytest.raises(seats.NoActiveBooking):
        waitlist.join(get(cancelled), Wishes(MONDAY), now=NOW)
    completed = make_request(slot=local(30, 11), status="completed")
    with pytest.raises(seats.NotChangeable):
        waitlist.join(get(completed), Wishes(MONDAY), now=NOW)


def test_the_line_is_in_offer_order_and_drops_those_who_cancelled(make_request, ctx):
    routine = make_request(slot=local(30, 9), email="r@example.com")
    urgent = make_request(slot=local(30, 11), email="u@example.com", urgent=True)
    gone = make_request(slot=local(30, 12), email="g@example.com", urgent=True)
    for request_id in (routine, urgent, gone):
        waitlist.join(get(request_id), Wishes(MONDAY), now=NOW)
    seats.cancel_for_patient(get(gone), now=NOW)
    line = waitlist.waiting_line()
    assert [(p.position, p.request.id) for p in line] == [(1, urgent), (2, routine)]
    assert waitlist.place_of(routine)[0].position == 2 and waitlist.place_of(routine)[1] == 2
    assert waitlist.place_of(gone) == (None, 2)
    assert db.session.scalar(select(WaitlistEntry.left_reason).where(WaitlistEntry.request_id == gone)) == (
        "cancelled"
    )
