"""The database unreachable: friendly 503 pages with Retry-After, /healthz 503, never a 500 or a trace,
and a patient's typed consultation form comes back with everything they typed."""

import re

import pytest
from bs4 import BeautifulSoup

from clinic import create_app
from clinic.extensions import db
from tests.conftest import base_config, csrf_token_from

UNREACHABLE = {
    # A file in a directory that does not exist: SQLite cannot open it.
    "sqlite": "sqlite:////nonexistent-clinic-dir/never/clinic.db",
    # Nothing listens on port 1: the connection is refused at once.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/clinic_down?connect_timeout=2",
}
# Pages built from the database (hours, slots, settings) must say 503; pages that need nothing from it
# (articles, the login form) may keep working, but never with a 500.
DATABASE_PAGES = ["/", "/book", "/contact", "/consultation"]
STATIC_PAGES = ["/learn/", "/learn/faq", "/staff/login"]


@pytest.fixture
def down_app(backend):
    app = create_app({**base_config(UNREACHABLE[backend]), "PROPAGATE_EXCEPTIONS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def down(down_app):
    return down_app.test_client()


def assert_unavailable(response, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code}, not 503"
    assert response.headers.get("Retry-After", "").isdigit(), f"{what}: no Retry-After"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body, what


def test_healthz_says_the_database_is_unavailable(down):
    response = down.get("/healthz")
    assert_unavailable(response, "/healthz")
    assert response.get_json()["database"] == "unavailable"


def test_healthz_is_ok_when_the_database_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", DATABASE_PAGES)
def test_pages_answer_503_with_retry_after(down, path):
    response = down.get(path)
    assert_unavailable(response, path)
    assert "text/html" in response.content_type
    body = response.get_data(as_text=True)
    assert "briefly unavailable" in body
    assert "988" in body, "the crisis line must show even when the database is down"


@pytest.mark.parametrize("path", STATIC_PAGES)
def test_pages_without_data_keep_working_or_say_503(down, path):
    response = down.get(path)
    assert response.status_code in {200, 503}, f"{path}: {response.status_code}"
    if response.status_code == 503:
        assert_unavailable(response, path)
    assert "988" in response.get_data(as_text=True)


def test_api_answers_503_in_json(down):
    response = down.get("/api/v1/availability")
    assert_unavailable(response, "/api/v1/availability")
    assert "error" in response.get_json()


def test_staff_login_post_answers_503(app, client, down):
    page = client.get("/staff/login")
    token = csrf_token_from(page.get_data(as_text=True))
    down.set_cookie("clinic_session", client.get_cookie("clinic_session").value)
    response = down.post(
        "/staff/login", data={"csrf_token": token, "email": "a@b.example", "password": "x" * 14}
    )
    assert_unavailable(response, "POST /staff/login")


TYPED = {
    "first_name": "Marguerite",
    "last_name": "O'Donnell-Ruiz",
    "email": "marguerite.typed@example.com",
    "phone": "+1 212 555 0199",
    "date_of_birth": "1979-03-14",
    "preferred_contact": "phone",
    "antidepressant_trials": "3",
    "modality": "nasal_spray",
    "medications": "Typed medication list kept",
    "notes": "Typed notes that must survive an outage",
    "consent_privacy": "y",
    "consent_contact": "y",
    **{f"phq9_{i}": "1" for i in range(1, 10)},
}


def test_the_typed_consultation_form_is_shown_again(app, client, down):
    """The patient typed for ten minutes: a database outage must not throw it away."""
    slots = client.get("/api/v1/availability?days=14").get_json()
    slot = next(s["start"] for day in slots["days"] for s in day["slots"])
    page = client.get("/consultation", query_string={"slot": slot})
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    down.set_cookie("clinic_session", client.get_cookie("clinic_session").value)
    response = down.post("/consultation", data={**TYPED, "slot": slot, "csrf_token": token})
    assert_unavailable(response, "POST /consultation")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    form = soup.find("form", attrs={"method": re.compile("post", re.I)})
    assert form is not None, "the 503 page does not show the form again"
    for name in ("first_name", "last_name", "email", "phone", "date_of_birth"):
        field = form.find("input", attrs={"name": name})
        assert field is not None and field.get("value") == TYPED[name], f"{name} was not kept"
    for name in ("medications", "notes"):
        area = form.find("textarea", attrs={"name": name})
        assert area is not None and area.get_text().strip() == TYPED[name], f"{name} was not kept"
    assert form.find("input", attrs={"name": "phq9_9", "value": "1", "checked": True}) is not None
    assert form.find(["input", "option"], attrs={"value": "nasal_spray", "checked": True}) or form.find(
        "option", attrs={"value": "nasal_spray", "selected": True}
    ), "modality was not kept"
