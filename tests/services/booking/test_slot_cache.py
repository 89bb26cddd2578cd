"""clinic.services.booking.slot_cache: answers kept per schedule version, served only while the clock
leaves them true; the per-worker store's bound; an unusable store costs only the cache."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic.extensions import db
from clinic.models import ScheduleVersion
from clinic.services.booking import slot_cache
from clinic.services.booking.slot_cache import Answer, MemoryStore

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)


class Counting:
    """A compute function that says how often it ran."""

    def __init__(self, until: datetime = LATER) -> None:
        self.runs = 0
        self.until = until

    def __call__(self) -> Answer:
        self.runs += 1
        return Answer(NOW, self.until, f"body {self.runs}")


def test_an_answer_is_good_from_when_it_was_computed_until_before_its_end():
    answer = Answer(NOW, LATER, "body")
    assert answer.good_at(NOW) and answer.good_at(LATER - timedelta(microseconds=1))
    assert not answer.good_at(LATER) and not answer.good_at(NOW - timedelta(microseconds=1))


def test_kept_per_version_and_params_until_the_clock_ends_it(app, ctx):
    compute = Counting()
    assert slot_cache.cached("book", ("2026-11-30", "en"), NOW, compute) == "body 1"
    assert slot_cache.cached("book", ("2026-11-30", "en"), NOW + timedelta(minutes=29), compute) == "body 1"
    assert slot_cache.cached("book", ("2026-11-30", "es"), NOW, compute) == "body 2"  # other params
    assert slot_cache.cached("book", ("2026-11-30", "en"), LATER, compute) == "body 3"  # the clock ended it
    db.session.execute(sa.update(ScheduleVersion).values(version=ScheduleVersion.version + 1))
    db.session.commit()
    db.session.remove()  # a new request reads the version afresh
    assert slot_cache.cached("book", ("2026-11-30", "en"), NOW, compute) == "body 4"


def test_the_memory_store_keeps_the_most_recent_answers():
    store = MemoryStore(entries=2)
    answer = Answer(NOW, LATER, "body")
    for key in ("a", "b"):
        store.put(key, answer)
    store.get("a")
    store.put("c", answer)
    assert store.get("a") is answer and store.get("b") is None and store.get("c") is answer


class Broken:
    def get(self, key):
        raise ConnectionError("down")

    def put(self, key, answer):
        raise ConnectionError("down")


@pytest.mark.parametrize("failing", ["get", "put"])
def test_a_store_that_fails_costs_only_the_cache(app, ctx, caplog, failing):
    store = MemoryStore()
    setattr(store, failing, Broken().get if failing == "get" else Broken().put)
    app.extensions["slot_cache"] = store
    compute = Counting()
    assert slot_cache.cached("api", ("today", "7"), NOW, compute) == "body 1"
    assert f"slot cache {'unreadable' if failing == 'get' else 'unwritable'} (ConnectionError)" in caplog.text
