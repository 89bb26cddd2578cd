"""The layout's copy of the clinic's name and contact details (SETTINGS_DISPLAY_SECONDS).

An article needs no query for its footer. The copy serves only the layout: a page that reads the settings
itself shows one version throughout, and an admin change is seen at once by the process that made it.
"""

import pytest
import sqlalchemy as sa

from clinic import create_app
from clinic.extensions import db
from clinic.models import ClinicSettings
from tests.conftest import base_config
from tests.web.test_admin_settings import DEFAULTS, post

ARTICLE = "/learn/what-is-ketamine-therapy"


def rename_elsewhere(app, name: str) -> None:
    """What another worker's admin change looks like from here: the row changes, nothing is told."""
    with app.app_context():
        db.session.execute(sa.update(ClinicSettings).values(name=name))
        db.session.commit()


def count_statements(app, client, path: str) -> tuple[int, str]:
    statements = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *rest) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements), page


def test_an_article_sends_no_query_once_the_layout_copy_is_kept(app, client):
    first, page = count_statements(app, client, ARTICLE)
    assert first == 1 and "Northfield Clinic" in page
    again, page = count_statements(app, client, ARTICLE)
    assert again == 0 and "Northfield Clinic" in page


def test_the_copy_lasts_its_seconds_then_the_new_values_show(app, client, monkeypatch):
    client.get(ARTICLE)
    rename_elsewhere(app, "Harborview Clinic")
    assert "Northfield Clinic" in client.get(ARTICLE).get_data(as_text=True)  # within the seconds
    # A page that reads the settings itself shows the new name everywhere, layout included.
    contact = client.get("/contact").get_data(as_text=True)
    assert "Harborview Clinic" in contact and "Northfield Clinic" not in contact
    monkeypatch.setattr("clinic.services.rules.read.clock.monotonic", lambda: 10.0**9)  # the seconds pass
    page = client.get(ARTICLE).get_data(as_text=True)
    assert "Harborview Clinic" in page and "Northfield Clinic" not in page


def test_an_admin_change_shows_at_once_in_the_process_that_made_it(app, admin_client):
    admin_client.get(ARTICLE)
    response = post(admin_client, "/admin/settings", DEFAULTS | {"name": "Harborview Clinic"})
    assert response.status_code in (302, 303)
    page = admin_client.get(ARTICLE).get_data(as_text=True)
    assert "Harborview Clinic" in page and "Northfield Clinic" not in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_zero_seconds_reads_every_time(database_url):
    app = create_app({**base_config(database_url), "SETTINGS_DISPLAY_SECONDS": 0})
    client = app.test_client()
    client.get(ARTICLE)
    rename_elsewhere(app, "Harborview Clinic")
    assert "Harborview Clinic" in client.get(ARTICLE).get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
