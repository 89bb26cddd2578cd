"""clinic.services.casework.agenda: the agenda loaded in three statements whatever the range."""

from datetime import UTC, date, datetime

from clinic.services.casework import agenda
from tests.services.helpers import local

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
MONDAY = date(2026, 11, 23)


def test_the_agenda_holds_the_active_bookings_with_their_requests(ctx, add_request):
    held = add_request(slot=local(24, 9), last_name="Onagenda")
    add_request(slot=local(24, 10), cancelled=True)
    week = agenda.agenda(MONDAY, 7)
    assert week.booking_count == 1
    tuesday = week.days[1]
    assert [b.request_id for b in tuesday.bookings] == [held]
    assert tuesday.slots[2].bookings[0].request.last_name == "Onagenda"


def test_the_agenda_costs_three_statements_for_a_day_or_a_week(app, queries, add_request):
    for day in range(23, 28):
        add_request(slot=local(day, 11))
    counted = []
    for days in (1, 7):
        with app.test_request_context(), queries() as statements:
            agenda.agenda(MONDAY, days)
        counted.append(len(statements))
    assert counted == [3, 3]
