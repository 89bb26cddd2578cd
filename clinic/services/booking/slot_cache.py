"""Exact caching of the offered slots: the slot picker's week (`/book`) and the API's windows.

An answer is kept under the schedule version it was computed at and is served only while that version is
current and the clock has not reached the instant the answer stops being true by itself
(`Schedule.steady_until`: a slot falls inside the notice, one enters the horizon, a new day begins). The
version is bumped by database triggers in the transaction of every booking, cancellation, waitlist offer and
every change of hours, closures or settings (migration 0014), and read with the settings before anything
else, so a cached answer is never older than what the database holds at the moment it is served.

Answers live in Redis when SLOT_CACHE_URL is set (shared by every worker and host), otherwise in each worker
(a small LRU). Redis being unreachable costs only the cache: the answer is computed as if nothing were
kept. Nothing cached holds a patient's data: slots, closures and the clinic's hours only.
"""

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Generic, TypeVar

from flask import Flask, current_app

from clinic.kept_responses import keep_response
from clinic.services.rules.read import schedule_version

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")

MEMORY_ENTRIES = 512  # per worker: weeks × languages and API windows in use at once
LONGEST_KEPT_SECONDS = 3600  # in Redis, however long an answer would stay true


@dataclass(frozen=True, slots=True)
class Answer:
    computed_at: datetime
    until: datetime  # exclusive
    body: str

    def good_at(self, now: datetime) -> bool:
        return self.computed_at <= now < self.until


class MemoryStore(Generic[K, V]):
    """Each worker's own answers (or pages), the least recently used dropped first."""

    def __init__(self, entries: int = MEMORY_ENTRIES) -> None:
        self._entries = entries
        self._answers: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: K, answer: V) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)


class RedisStore:
    """Answers shared by every worker and host, each kept no longer than it stays true."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    def get(self, key: str) -> Answer | None:
        raw = self._redis.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        return Answer(
            datetime.fromisoformat(data["computed_at"]), datetime.fromisoformat(data["until"]), data["body"]
        )

    def put(self, key: str, answer: Answer) -> None:
        seconds = (answer.until - answer.computed_at).total_seconds()
        data = {
            "computed_at": answer.computed_at.isoformat(),
            "until": answer.until.isoformat(),
            "body": answer.body,
        }
        self._redis.set(key, json.dumps(data), ex=max(1, min(int(seconds) + 1, LONGEST_KEPT_SECONDS)))


def init_app(app: Flask) -> None:
    url = app.config.get("SLOT_CACHE_URL")
    app.extensions["slot_cache"] = RedisStore(url) if url else MemoryStore()
    # Answers of one database only: test runs and several clinics may share a Redis.
    database = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    app.extensions["slot_cache_prefix"] = "clinic:slots:" + hashlib.sha256(database.encode()).hexdigest()[:16]


def cached(kind: str, params: tuple[str, ...], now: datetime, compute: Callable[[], Answer]) -> str:
    """The body for (kind, params) at `now`: kept, or computed by `compute` and kept.

    `params` must name everything the body depends on besides the schedule and the clock (the week asked
    for, the language). `compute` returns the body with the instant it stops being true; it may abort (a
    bad parameter): nothing is kept then, so a kept answer exists only for what was valid at its version.
    """
    return kept(kind, params, now, compute).body


def cached_response(kind: str, params: tuple[str, ...], now: datetime, compute: Callable[[], Answer]) -> str:
    """`cached`, for a response every visitor without a session gets alike (the API, the slot picker's
    page): the whole response is then also kept before Flask (kept_responses), while its schedule version
    is current and the clock has not reached the answer's end."""
    answer = kept(kind, params, now, compute)
    keep_response(version=schedule_version(), computed_at=answer.computed_at, until=answer.until)
    return answer.body


def kept(kind: str, params: tuple[str, ...], now: datetime, compute: Callable[[], Answer]) -> Answer:
    """`cached`, with the instant the answer stops being true (to keep a page built around it)."""
    app = current_app._get_current_object()
    store = app.extensions["slot_cache"]
    key = ":".join((app.extensions["slot_cache_prefix"], kind, str(schedule_version()), *params))
    try:
        answer = store.get(key)
    except Exception as error:  # the cache is an optimisation: never fail a page for it
        log.warning("slot cache unreadable (%s): computing the answer", type(error).__name__)
        return compute()
    if answer is not None and answer.good_at(now):
        return answer
    answer = compute()
    try:
        store.put(key, answer)
    except Exception as error:
        log.warning("slot cache unwritable (%s): the answer is not kept", type(error).__name__)
    return answer
