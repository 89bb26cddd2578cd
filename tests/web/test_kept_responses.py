"""Whole responses kept by each worker and sent again before Flask (clinic/kept_responses.py): to visitors
with no session, for as long as everything the answer was made from holds. Both databases."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from clinic import create_app, kept_responses
from clinic.extensions import db
from clinic.kept_responses import Holds, Kept, KeptResponses
from clinic.models import Closure
from clinic.services.rules import read
from tests.conftest import base_config, count_queries

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
ARTICLE = "/learn/what-is-ketamine-therapy"
WEEK = "2026-11-30"
BOOK = f"/book?week={WEEK}"
API = f"/api/v1/availability?start={WEEK}&days=14"
TUESDAY_9 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
SLOT_LINK = "slot=2026-12-01T09:00:00-05:00"
pytestmark = pytest.mark.usefixtures("now")


@pytest.mark.parametrize("path", [ARTICLE, "/learn/", BOOK, "/book", API, "/", "/contact"])
def test_the_same_request_again_is_answered_before_the_app(app, client, entered, path):
    first = client.get(path)
    with count_queries(app) as sent:
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()
    assert list(second.headers) == list(first.headers)  # security headers, language, no-store
    assert second.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in second.headers
    assert entered == [path]
    # An article holds while the layout's copy of the details does (no statement); the slots, the hours and
    # closures of the home and contact pages while the schedule version is the same (its one statement).
    assert len(sent) == (0 if path.startswith("/learn") else 1)


def test_a_booking_written_elsewhere_ends_the_kept_answers(app, client, entered, add_booking):
    assert SLOT_LINK in client.get(BOOK).get_data(as_text=True)
    client.get(API)
    add_booking(TUESDAY_9)  # another worker's transaction
    assert SLOT_LINK not in client.get(BOOK).get_data(as_text=True)
    assert '"start": "2026-12-01T09:00:00-05:00"' not in client.get(API).get_data(as_text=True)
    assert entered == [BOOK, API, BOOK, API]


def test_a_stale_answer_costs_no_second_read_of_the_version(app, client, add_booking):
    with count_queries(app) as cold:
        client.get(API)
    add_booking(TUESDAY_9)
    with count_queries(app) as after_change:
        client.get(API)
    assert len(after_change) == len(cold)  # the version read before the app is the request's own


def test_the_clock_ends_a_kept_answer(app, client, clock, entered):
    client.get(BOOK)
    client.get(BOOK)
    clock.set(NOW + timedelta(days=1))  # the week's first slots fall inside the notice
    client.get(BOOK)
    clock.set(NOW - timedelta(minutes=1))  # and a clock set back never reads an answer from its future
    client.get(BOOK)
    assert entered == [BOOK, BOOK, BOOK]


def test_a_new_copy_of_the_clinics_details_ends_a_kept_article(app, client, entered, monkeypatch):
    client.get(ARTICLE)
    monkeypatch.setattr("clinic.services.rules.read.clock.monotonic", lambda: 10.0**9)  # the seconds pass
    client.get(ARTICLE)
    client.get(ARTICLE)
    assert entered == [ARTICLE, ARTICLE]


def test_a_visitor_with_a_session_goes_through_the_app(app, client, entered):
    client.get(ARTICLE)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    client.get(ARTICLE)
    client.get(BOOK)
    client.get(BOOK)
    assert entered == [ARTICLE, ARTICLE, BOOK, BOOK]


def test_the_language_cookie_is_sent_again_to_each_new_visitor(app, entered):
    for _ in range(2):
        response = app.test_client().get(ARTICLE + "?lang=es")  # each a new visitor: the cookie is set
        assert response.headers["Set-Cookie"].startswith("lang=es;")
        assert response.headers["Content-Language"] == "es"
    assert entered == [ARTICLE + "?lang=es"]


def test_a_response_setting_any_other_cookie_is_never_kept(app, entered):
    def sets_a_session():
        from flask import session

        session["seen"] = True
        kept_responses.keep_response()
        return "hello"

    app.add_url_rule("/sets-a-session", view_func=sets_a_session)
    for _ in range(2):
        response = app.test_client().get("/sets-a-session")
        assert response.headers["Set-Cookie"].startswith(app.config["SESSION_COOKIE_NAME"] + "=")
    assert entered == ["/sets-a-session"] * 2


def test_each_language_and_scheme_is_kept_apart(client, entered):
    english = client.get(ARTICLE).get_data(as_text=True)
    spanish = client.get(ARTICLE, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="es"' in spanish
    client.get(ARTICLE, base_url="https://localhost")
    client.get(ARTICLE, headers={"X-Forwarded-Proto": "https"})  # read by the security headers
    assert len(entered) == 4
    client.get(ARTICLE)
    client.get(ARTICLE, headers={"Accept-Language": "es"})
    client.get(ARTICLE, base_url="https://localhost")
    client.get(ARTICLE, headers={"X-Forwarded-Proto": "https"})
    assert len(entered) == 4


ERRORS = ["/api/v1/availability?days=0", "/book?week=nonsense", "/learn/nothing-here"]


@pytest.mark.parametrize("path", ERRORS)
def test_errors_are_never_kept(client, entered, path):
    statuses = {client.get(path).status_code for _ in range(2)}
    assert statuses <= {400, 404} and entered == [path, path]


def test_head_and_other_methods_go_through_the_app(client, entered):
    client.get(ARTICLE)
    client.head(ARTICLE)
    assert entered == [ARTICLE, ARTICLE]


def test_an_unreadable_version_goes_through_the_app(app, client, entered, monkeypatch):
    client.get(API)

    def down(app):
        raise OperationalError("SELECT version", {}, Exception("connection refused"))

    monkeypatch.setattr(kept_responses, "versions_now", down)
    assert client.get(API).status_code == 200  # the app answers: its own read of the version works here
    assert entered == [API, API]


def test_a_view_that_may_meet_a_rate_limit_is_never_kept(client, entered, monkeypatch):
    monkeypatch.setattr(kept_responses, "may_limit", lambda app, endpoint: True)
    client.get(ARTICLE)
    client.get(ARTICLE)
    assert entered == [ARTICLE, ARTICLE]


def test_the_development_server_keeps_nothing(app, client, entered):
    app.debug = True
    app.testing = False
    try:
        client.get(ARTICLE)
        client.get(ARTICLE)
    finally:
        app.debug, app.testing = False, True
    assert entered == [ARTICLE, ARTICLE]


def kept(size: int) -> Kept:
    return Kept("200 OK", (), b"x" * size, Holds())


def test_the_kept_bytes_stay_within_their_bound(app):
    layer = KeptResponses(lambda environ, start: [], app, max_bytes=800)
    for n in range(10):
        layer._put(("path", n), kept(100))
    assert len(layer) == 8 and layer._bytes == 800
    assert layer._get(("path", 0)) is None and layer._get(("path", 9)) is not None
    layer._put(("big",), kept(101))  # more than an eighth of the bound: never kept
    assert layer._get(("big",)) is None
    layer._put(("path", 9), kept(50))  # replaced, not counted twice
    assert layer._bytes == 750
    layer.clear()
    assert len(layer) == 0 and layer._bytes == 0


def test_a_lost_connection_for_the_version_is_opened_again(app, client, entered):
    client.get(API)
    client.get(API)
    reader = app.extensions["version_reader"]
    reader.connection.connection.driver_connection.close()  # the server went away under it
    assert client.get(API).status_code == 200  # the read fails: the app answers
    assert client.get(API).status_code == 200  # a new connection: kept again
    assert entered == [API, API]


@pytest.mark.parametrize("path", ["/", "/contact"])
def test_a_closure_written_elsewhere_and_midnight_end_the_kept_hours(app, client, clock, entered, path):
    clock.set(datetime(2026, 11, 26, 4, 30, tzinfo=UTC))  # Wednesday 23:30 in New York
    client.get(path)
    assert "Staff training" not in client.get(path).get_data(as_text=True)
    with app.app_context():  # another worker's admin
        db.session.add(
            Closure(start_date=date(2026, 12, 2), end_date=date(2026, 12, 2), reason="Staff training")
        )
        db.session.commit()
    assert "Staff training" in client.get(path).get_data(as_text=True)
    assert entered == [path, path]
    clock.set(datetime(2026, 11, 26, 4, 59, 59, tzinfo=UTC))  # 23:59:59: the same day, kept
    client.get(path)
    clock.set(datetime(2026, 11, 26, 5, 0, tzinfo=UTC))  # midnight: Thursday is today
    client.get(path)
    assert entered == [path, path, path]


def test_statements_outside_a_request_plan_once_and_keep_the_urls_options(database_url, backend):
    """On PostgreSQL the connection of statements outside any request (versions, a kept page's fresh part)
    uses generic plans, with the session options the database URL gives kept beside them."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL setting")
    app = create_app(base_config(f"{database_url}?options=-c%20statement_timeout%3D5000"))
    try:
        with read.outside_request(app) as connection:
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_generic_plan"
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
    finally:
        read.close_version_reader(app)
