"""On SQLite, anything that may write takes the write lock up front (BEGIN IMMEDIATE); plain reads do not."""

import pytest
import sqlalchemy as sa

from clinic.extensions import db


@pytest.fixture
def begins(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's transaction modes only")
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", before)


def test_a_read_only_page_begins_deferred(staff_client, begins):
    assert staff_client.get("/staff/").status_code == 200
    assert begins and set(begins) == {"BEGIN"}


def test_a_get_that_audits_begins_immediate(staff_client, make_request, begins):
    request_id = make_request()
    begins.clear()
    assert staff_client.get(f"/staff/requests/{request_id}").status_code == 200
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}
    begins.clear()
    assert staff_client.get("/staff/requests.csv").status_code == 200
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}


def test_a_post_begins_immediate(client, begins, csrf):
    token = csrf("/staff/login")
    begins.clear()
    client.post(
        "/staff/login", data={"csrf_token": token, "email": "nobody@clinic.example", "password": "x" * 12}
    )
    assert begins and set(begins) == {"BEGIN IMMEDIATE"}
