"""docs/openapi.yaml is the JSON interface's contract: the app's real responses must validate against it.

Every response here comes from the test client and goes through openapi-core unchanged: the availability
API for an ordinary week, a window with a Sunday, whole-day and part-day closures and bad parameters, and
/healthz with the database up and unreachable. The second half proves the check has teeth: a response
whose JSON has drifted from the document (a key renamed, a type changed, a closure on an open day) fails.
"""

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from flask import Response
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_core.validation.response.exceptions import ResponseValidationError

from clinic import create_app
from clinic.extensions import db
from clinic.models import Closure
from tests.conftest import base_config
from tests.faults.test_database_down import UNREACHABLE

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
FRIDAY_MORNING = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 09:00 in New York


@pytest.fixture(scope="module")
def contract() -> OpenAPI:
    return OpenAPI.from_file_path(str(DOCUMENT))


@pytest.fixture
def friday(clock):
    return clock.set(FRIDAY_MORNING)


@pytest.fixture
def down(backend):
    """A client of an app whose database cannot be reached (as in tests/faults/test_database_down.py)."""
    app = create_app({**base_config(UNREACHABLE[backend]), "PROPAGATE_EXCEPTIONS": False})
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def conforming(contract: OpenAPI, response, *, request_too: bool = True):
    """The response's JSON once openapi-core has found it true to the document (and, by default, the
    request that produced it, so the parameters the tests send are the documented ones)."""
    if request_too:
        contract.validate_request(WerkzeugOpenAPIRequest(response.request))
    contract.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))
    return response.get_json()


def availability(client, query: str):
    return client.get(f"/api/v1/availability?{query}" if query else "/api/v1/availability")


def add_closure(app, day: date, reason: str, start: time | None = None, end: time | None = None) -> None:
    with app.app_context():
        db.session.add(Closure(start_date=day, end_date=day, start_time=start, end_time=end, reason=reason))
        db.session.commit()


def test_the_document_is_valid_openapi_3_1(contract):
    contract.check_spec()
    assert contract.spec["openapi"].startswith("3.1")
    assert set(contract.spec["paths"].keys()) == {"/api/v1/availability", "/healthz"}


def test_an_ordinary_week_conforms(client, contract, friday):
    body = conforming(contract, availability(client, "start=2026-12-07&days=6"))
    assert [day["weekday"] for day in body["days"]] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ]
    assert all(day["open"] and len(day["slots"]) == 19 for day in body["days"])


def test_the_default_window_conforms(client, contract, friday):
    body = conforming(contract, availability(client, ""))
    assert len(body["days"]) == 7 and body["days"][0]["date"] == "2026-11-20"


def test_a_window_with_a_sunday_conforms(client, contract, friday):
    body = conforming(contract, availability(client, "start=2026-12-10&days=7"))
    sunday = next(day for day in body["days"] if day["weekday"] == "Sunday")
    assert sunday["open"] is False and sunday["slots"] == [] and "closure" not in sunday


def test_a_whole_day_closure_conforms_with_its_reason(app, client, contract, friday):
    add_closure(app, date(2026, 12, 8), "Staff training")
    add_closure(app, date(2026, 12, 9), "Team meeting", time(12, 0), time(14, 0))
    days = conforming(contract, availability(client, "start=2026-12-07&days=3"))["days"]
    assert days[1]["open"] is False and days[1]["closure"] == "Staff training"
    part = days[2]  # a part-day closure leaves its slots out and the day open, with no reason
    assert part["open"] is True and "closure" not in part and len(part["slots"]) == 19 - 4


def test_a_day_on_the_horizon_conforms_with_no_slots_left(client, contract, friday):
    """An open day whose slots all lie past the horizon: open, with an empty list."""
    day = conforming(contract, availability(client, "start=2027-01-22&days=1"))["days"][0]
    assert day["open"] is True and day["slots"] == []


@pytest.mark.parametrize(
    "query",
    ["start=abc", "start=2026-02-30", "start=0001-01-01", "days=0", "days=61", "days=abc", "days=7.5"],
)
def test_bad_parameters_conform_as_a_400(client, contract, friday, query):
    response = availability(client, query)
    assert response.status_code == 400
    body = conforming(contract, response, request_too=False)
    assert body["error"]


def test_healthz_conforms_when_the_database_is_up(client, contract):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert conforming(contract, response) == {"status": "ok", "database": "ok"}


def test_healthz_conforms_when_the_database_is_unreachable(down, contract):
    response = down.get("/healthz")
    assert response.status_code == 503
    assert conforming(contract, response) == {"status": "degraded", "database": "unavailable"}


def test_the_api_conforms_when_the_database_is_unreachable(down, contract):
    response = availability(down, "days=14")
    assert response.status_code == 503
    assert set(conforming(contract, response)) == {"error"}


# --- the check has teeth: drifted JSON fails -----------------------------------------------------------


def first_open(body: dict) -> dict:
    return next(day for day in body["days"] if day["open"])


def first_closed(body: dict) -> dict:
    return next(day for day in body["days"] if not day["open"])


def _drop(key: str) -> Callable[[dict], None]:
    return lambda body: body.pop(key)


DRIFTS: dict[str, Callable[[dict], object]] = {
    "slot_minutes dropped": _drop("slot_minutes"),
    "slot_minutes as text": lambda body: body.update(slot_minutes="30"),
    "a key added at the top": lambda body: body.update(generated_at="2026-11-20T09:00:00-05:00"),
    "days as a mapping": lambda body: body.update(days={d["date"]: d for d in body["days"]}),
    "open as text": lambda body: first_open(body).update(open="true"),
    "weekday abbreviated": lambda body: first_open(body).update(weekday="Mon"),
    "date with a time": lambda body: first_open(body).update(date="2026-12-07T00:00:00"),
    "opens with seconds": lambda body: first_open(body).update(opens="08:00:00"),
    "opens missing on an open day": lambda body: first_open(body).pop("opens"),
    "a closure reason on an open day": lambda body: first_open(body).update(closure="Training"),
    "hours on a closed day": lambda body: first_closed(body).update(opens="08:00", closes="17:30"),
    "a slot on a closed day": lambda body: first_closed(body)["slots"].append(
        copy.deepcopy(first_open(body)["slots"][0])
    ),
    "an empty closure reason": lambda body: first_closed(body).update(closure=""),
    "remaining renamed": lambda body: first_open(body)["slots"][0].update(
        seats=first_open(body)["slots"][0].pop("remaining")
    ),
    "a full slot listed": lambda body: first_open(body)["slots"][0].update(remaining=0),
    "start in UTC with Z": lambda body: first_open(body)["slots"][0].update(start="2026-12-07T13:00:00Z"),
    "start without an offset": lambda body: first_open(body)["slots"][0].update(start="2026-12-07T08:00:00"),
    "end as a number": lambda body: first_open(body)["slots"][0].update(end=1796652000),
}


def replay(response, body: object, *, status: int | None = None) -> Response:
    """The same response, headers included, with another JSON body (and status): what the app would send
    had it drifted. Only the body (or status) differs, so a failure below is the drift's alone."""
    drifted = Response(json.dumps(body), status=status or response.status_code, mimetype="application/json")
    for name in ("Cache-Control", "Retry-After"):
        if name in response.headers:
            drifted.headers[name] = response.headers[name]
    return drifted


def test_a_replayed_response_passes_unchanged(client, contract, friday):
    """The replay itself is faithful: the real body replayed passes, so the drifts below fail on their own."""
    for path in ("/api/v1/availability?start=2026-12-07&days=7", "/api/v1/availability?days=0", "/healthz"):
        real = client.get(path)
        contract.validate_response(
            WerkzeugOpenAPIRequest(real.request), WerkzeugOpenAPIResponse(replay(real, real.get_json()))
        )


@pytest.mark.parametrize("drift", DRIFTS, ids=list(DRIFTS))
def test_drifted_availability_json_fails_the_check(app, client, contract, friday, drift):
    add_closure(app, date(2026, 12, 8), "Staff training")
    real = availability(client, "start=2026-12-07&days=7")
    conforming(contract, real)  # the real one passes: what fails below is the drift alone
    body = real.get_json()
    DRIFTS[drift](body)
    with pytest.raises(ResponseValidationError):
        contract.validate_response(
            WerkzeugOpenAPIRequest(real.request), WerkzeugOpenAPIResponse(replay(real, body))
        )


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/v1/availability?days=0", 400, {"error": "bad", "detail": "days"}),
        ("/api/v1/availability?days=0", 400, {"message": "days must be from 1 to 60"}),
        ("/api/v1/availability?days=0", 400, {"error": ""}),
        ("/api/v1/availability?days=0", 422, {"error": "an undocumented status"}),
        ("/healthz", 200, {"status": "OK", "database": "ok"}),
        ("/healthz", 200, {"status": "ok"}),
        ("/healthz", 200, {"status": "ok", "database": "ok", "version": "1.0"}),
        ("/healthz", 503, {"status": "ok", "database": "unavailable"}),
        ("/healthz", 503, {"error": "We are briefly unavailable"}),
    ],
)
def test_drifted_error_and_health_json_fails_the_check(client, contract, friday, path, status, body):
    """An undocumented status is refused too (ResponseNotFound, an OpenAPIError but no validation error)."""
    real = client.get(path)
    with pytest.raises(OpenAPIError):
        contract.validate_response(
            WerkzeugOpenAPIRequest(real.request), WerkzeugOpenAPIResponse(replay(real, body, status=status))
        )


def test_a_cacheable_answer_fails_the_check(client, contract, friday):
    real = availability(client, "days=7")
    cached = replay(real, real.get_json())
    cached.headers["Cache-Control"] = "max-age=60"
    with pytest.raises(ResponseValidationError):
        contract.validate_response(WerkzeugOpenAPIRequest(real.request), WerkzeugOpenAPIResponse(cached))


def test_a_503_without_retry_after_fails_the_check(down, contract):
    real = down.get("/healthz")
    request = WerkzeugOpenAPIRequest(real.request)
    contract.validate_response(request, WerkzeugOpenAPIResponse(replay(real, real.get_json())))
    stripped = replay(real, real.get_json())
    del stripped.headers["Retry-After"]
    with pytest.raises(ResponseValidationError):
        contract.validate_response(request, WerkzeugOpenAPIResponse(stripped))
