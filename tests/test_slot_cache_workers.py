"""Never stale across workers: gunicorn with two workers, each keeping its own cached answers (or sharing
Redis), on both databases. A patient books a slot through one worker; from then on neither worker offers it,
on `/book` or in the API, though both had it cached."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests import servers
from tests.conftest import csrf_token_from
from tests.fixtures_intake import intake_form_data
from tests.servers import http_request

ROUNDS = 8  # requests per check: two sync workers share them, so both answer some
NEW_YORK = ZoneInfo("America/New_York")


def offered(port: int, start: str) -> set[str]:
    status, body, _ = http_request(port, "GET", f"/api/v1/availability?start={start}&days=14")
    assert status == 200, body[-500:]
    return {slot["start"] for day in json.loads(body)["days"] for slot in day["slots"]}


def week_page(port: int, week: str) -> str:
    status, body, _ = http_request(port, "GET", f"/book?week={week}")
    assert status == 200, body[-500:]
    return body


@pytest.mark.slow
@pytest.mark.parametrize("shared", [False, True], ids=["each-worker", "redis"])
def test_a_slot_booked_through_one_worker_is_offered_by_neither(database_url, backend, tmp_path, shared):
    if shared and backend == "sqlite":
        pytest.skip("one shared-cache run is enough: Redis keeps the answers whatever the database")
    env = {"GUNICORN_WORKERS": "2"}
    if shared:
        env["CLINIC_SLOT_CACHE_URL"] = "redis://127.0.0.1:6379/14"
    with servers.gunicorn(database_url, tmp_path, **env) as server:
        # gunicorn runs on the real clock: a week a few days ahead, its Monday.
        ahead = datetime.now(UTC).astimezone(NEW_YORK).date() + timedelta(days=4)
        start = (ahead - timedelta(days=ahead.weekday())).isoformat()
        answers = [offered(server.port, start) for _ in range(ROUNDS)]
        assert all(answer == answers[0] for answer in answers) and answers[0]
        this_week = sorted(
            s for s in answers[0] if s < (ahead - timedelta(days=ahead.weekday() - 7)).isoformat()
        )
        slot = this_week[len(this_week) // 2]
        link = "slot=" + slot
        assert all(link in week_page(server.port, start) for _ in range(ROUNDS))

        status, page, cookies = http_request(server.port, "GET", "/consultation?" + urlencode({"slot": slot}))
        assert status == 200
        body = urlencode(intake_form_data(slot, csrf_token_from(page), email="cache@example.com"), doseq=True)
        status, page, _ = http_request(server.port, "POST", "/consultation", body, cookie="; ".join(cookies))
        assert status in (200, 302, 303), page[-1000:]

        for _ in range(ROUNDS):
            assert slot not in offered(server.port, start)
            assert link not in week_page(server.port, start)
