"""Exact caching of `/book` and the availability API: one statement when nothing changed, never stale.

Every write to a table the offered slots come from bumps the schedule version in its own transaction
(database triggers, migration 0014), whatever code makes it; an answer also ends when the clock reaches the
instant it stops being true. Both databases.
"""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from clinic.extensions import db
from clinic.models import Booking, ClinicSettings, Closure, OpeningHours, ScheduleVersion
from clinic.services.booking.slot_cache import RedisStore
from tests.conftest import count_queries

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
WEEK = "2026-11-30"
TUESDAY_9 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 in New York
SLOT_LINK = "slot=2026-12-01T09:00:00-05:00"
API = f"/api/v1/availability?start={WEEK}&days=14"
API_SLOT = "2026-12-01T09:00:00-05:00"
pytestmark = pytest.mark.usefixtures("now")


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(ScheduleVersion.version))


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def starts(client, path: str) -> set[str]:
    """The slot starts the API offers."""
    body = json.loads(page(client, path))
    return {slot["start"] for day in body["days"] for slot in day["slots"]}


def statements(app, client, path: str) -> int:
    with count_queries(app) as sent:
        page(client, path)
    return len(sent)


@pytest.mark.parametrize("path", [f"/book?week={WEEK}", "/book", API, "/api/v1/availability"])
def test_an_unchanged_schedule_answers_from_the_cache_in_one_statement(app, client, path):
    cold = statements(app, client, path)
    warm = statements(app, client, path)
    assert warm == 1 < cold  # the settings with the schedule version, nothing else
    assert page(client, path) == page(client, path)


def test_a_booking_made_between_two_requests_is_never_offered_again(app, client, add_booking):
    assert SLOT_LINK in page(client, f"/book?week={WEEK}") and API_SLOT in starts(client, API)
    add_booking(TUESDAY_9)  # another worker's transaction: nothing in this process is told
    assert SLOT_LINK not in page(client, f"/book?week={WEEK}")
    assert API_SLOT not in starts(client, API)


def test_a_cancellation_offers_the_slot_again_at_once(app, client, add_booking):
    booking_id = add_booking(TUESDAY_9)
    assert SLOT_LINK not in page(client, f"/book?week={WEEK}")
    with app.app_context():
        db.session.execute(sa.update(Booking).where(Booking.id == booking_id).values(cancelled_at=NOW))
        db.session.commit()
    assert SLOT_LINK in page(client, f"/book?week={WEEK}") and API_SLOT in starts(client, API)


@pytest.mark.parametrize(
    "change",
    [
        sa.insert(Closure).values(start_date=date(2026, 12, 1), end_date=date(2026, 12, 1), reason="Team"),
        sa.update(OpeningHours).where(OpeningHours.weekday == 1).values(opens=time(10), closes=time(17)),
        sa.update(ClinicSettings).values(slot_minutes=45),
    ],
    ids=["closure", "hours", "settings"],
)
def test_a_rules_change_written_anywhere_is_seen_at_once(app, client, change):
    assert SLOT_LINK in page(client, f"/book?week={WEEK}") and API_SLOT in starts(client, API)
    with app.app_context():
        db.session.execute(change)
        db.session.commit()
    assert SLOT_LINK not in page(client, f"/book?week={WEEK}")
    assert API_SLOT not in starts(client, API)


def test_the_version_moves_once_per_transaction_and_only_for_what_slots_depend_on(app, add_booking):
    before = version(app)
    booking_id = add_booking(TUESDAY_9)
    after_booking = version(app)
    assert after_booking > before
    with app.app_context():
        # Two watched writes in one transaction: one bump on PostgreSQL (at commit), one per row on SQLite.
        db.session.execute(sa.update(Booking).where(Booking.id == booking_id).values(reminder_sent_at=NOW))
        db.session.commit()
        assert db.session.scalar(sa.select(ScheduleVersion.version)) == after_booking, "a reminder bumped it"
        db.session.execute(sa.update(Booking).where(Booking.id == booking_id).values(flag_reason="x"))
        db.session.commit()
        assert db.session.scalar(sa.select(ScheduleVersion.version)) == after_booking
    assert version(app) == after_booking


def test_a_rolled_back_change_leaves_the_version(app):
    before = version(app)
    with app.app_context():
        db.session.execute(sa.update(ClinicSettings).values(capacity=2))
        db.session.rollback()
    assert version(app) == before


def test_the_clock_ends_a_cached_answer_when_a_slot_falls_inside_the_notice(app, client, clock):
    # Monday 08:00 with two hours' notice: 10:00 is offered until 08:00 included, then 10:30 is the first.
    today = "/api/v1/availability?days=1"
    assert "2026-11-23T10:00:00-05:00" in starts(client, today)
    clock.set(NOW + timedelta(minutes=1))
    offered = starts(client, today)
    assert "2026-11-23T10:00:00-05:00" not in offered and "2026-11-23T10:30:00-05:00" in offered


def test_the_clinics_midnight_ends_a_cached_answer_of_today(app, client, clock):
    clock.set(datetime(2026, 11, 24, 4, 59, tzinfo=UTC))  # Monday 23:59 in New York
    assert json.loads(page(client, "/api/v1/availability?days=1"))["days"][0]["date"] == "2026-11-23"
    clock.set(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    assert json.loads(page(client, "/api/v1/availability?days=1"))["days"][0]["date"] == "2026-11-24"


def test_languages_are_kept_apart(client):
    english = page(client, f"/book?week={WEEK}&lang=en")
    spanish = page(client, f"/book?week={WEEK}&lang=es")
    assert "Next week" in english and "Next week" not in spanish
    assert "Next week" in page(client, f"/book?week={WEEK}&lang=en")


def test_redis_shares_answers_between_workers(app, client, database_url):
    """Two apps on one database and one Redis, as two workers: what one computed, the other serves, and a
    booking by either is seen by both."""
    from clinic import create_app
    from tests.conftest import base_config

    url = "redis://127.0.0.1:6379/15"
    try:
        RedisStore(url)._redis.ping()
    except Exception as error:
        pytest.skip(f"Redis unreachable: {type(error).__name__}")
    workers = [create_app(base_config(database_url) | {"SLOT_CACHE_URL": url}) for _ in range(2)]
    for worker in workers:
        worker.config["NOW_OVERRIDE"] = NOW
    first, second = (worker.test_client() for worker in workers)
    assert SLOT_LINK in page(first, f"/book?week={WEEK}")
    assert statements(workers[1], second, f"/book?week={WEEK}") == 1
    with workers[0].app_context():
        db.session.execute(sa.update(ClinicSettings).values(slot_minutes=45))
        db.session.commit()
    assert SLOT_LINK not in page(second, f"/book?week={WEEK}")
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()


def test_an_unreachable_redis_costs_only_the_cache(app, client, caplog):
    app.extensions["slot_cache"] = RedisStore("redis://127.0.0.1:1/0")
    assert SLOT_LINK in page(client, f"/book?week={WEEK}")
    assert API_SLOT in starts(client, API)
    assert "slot cache unreadable (ConnectionError)" in caplog.text


@pytest.mark.parametrize(
    "bad", ["/api/v1/availability?start=today", "/api/v1/availability?days=400", "/book?week=someday"]
)
def test_a_kept_answer_never_answers_a_bad_parameter(client, bad):
    page(client, "/api/v1/availability")  # today's window kept
    page(client, "/book")
    assert client.get(bad).status_code == 400
    assert client.get(bad).status_code == 400


def test_a_visitor_with_a_session_gets_the_kept_grid_in_a_page_of_their_own(app, client):
    anonymous = page(client, f"/book?week={WEEK}")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    with_session = page(client, f"/book?week={WEEK}")
    assert SLOT_LINK in with_session and with_session == anonymous
