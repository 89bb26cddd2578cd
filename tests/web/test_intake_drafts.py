"""POST /consultation/save and GET /consultation/resume/<token>: the intake form's "Save and finish later"."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import db
from clinic.models import ConsultationRequest, IntakeDraft
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_intake import intake_form_data

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
SLOT = "2026-11-24T09:00:00-05:00"  # Tuesday 09:00, offered
LINK = re.compile(r"https?://[^\s\"<>]+/consultation/resume/([^\s\"<>?]+)(\?lang=es)?")


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def save(client, *, lang: str = "", **fields):
    """Open the form (in `lang`, if given) and press "Save and finish later" with `fields` only."""
    page = client.get(f"/consultation?slot={SLOT}" + (f"&lang={lang}" if lang else ""))
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "slot": SLOT, "website": "", **fields}
    return client.post("/consultation/save", data=data)


def value_of(page: BeautifulSoup, name: str) -> str | None:
    field = page.find(attrs={"name": name})
    return field.get("value") if field.name == "input" else field.get_text()


def test_the_form_offers_to_save_and_says_the_phq9_is_not_kept(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    button = page.find("button", string="Save and finish later")
    assert button["formaction"] == "/consultation/save" and "button-secondary" in button["class"]
    assert "The questions about the last two weeks are not saved" in page.find(id="save-for-later").get_text()


def test_saving_needs_only_a_valid_email_and_says_a_link_was_emailed(app, client, sent):
    response = save(
        client, email="half.done@example.com", first_name="Zoë", phq9_1="2", conditions=["seizures"]
    )
    assert response.status_code == 303 and response.headers["Location"] == "/consultation/saved"
    page = client.get("/consultation/saved")
    assert "We emailed you a link to finish your request; it works for 7 days." in page.get_data(as_text=True)
    assert count(app, IntakeDraft) == 1 and count(app, ConsultationRequest) == 0
    (email,) = sent
    assert email.to == ["half.done@example.com"] and LINK.search(email.body)
    assert "Zoë" not in email.body and "seizure" not in email.body.lower()


def test_a_bad_email_gets_its_message_and_keeps_everything_typed(app, client, sent):
    typed = {"email": "not-an-address", "first_name": "Zoë", "notes": "Kept as typed", "phq9_1": "2"}
    response = save(client, **typed, conditions=["seizures"])
    assert response.status_code == 422
    page = soup(response)
    assert "valid email address" in page.find(id="email-error").get_text()
    assert page.find(id="first_name-error") is None  # other fields' gaps do not block a save
    assert value_of(page, "email") == "not-an-address" and value_of(page, "first_name") == "Zoë"
    assert value_of(page, "notes").strip() == "Kept as typed"
    assert page.find("input", attrs={"name": "conditions", "value": "seizures"}).has_attr("checked")
    assert page.find("input", attrs={"name": "phq9_1", "value": "2"}).has_attr("checked")
    assert count(app, IntakeDraft) == 0 and sent == []


@pytest.mark.parametrize("answer", ["1", "3"])
def test_self_harm_answered_shows_the_crisis_panel_and_saves_nothing(app, client, sent, answer):
    response = save(client, email="ok@example.com", first_name="Zoë", phq9_9=answer)
    assert response.status_code == 200
    page = soup(response)
    panel = page.find(id="crisis-help")
    assert panel is not None and panel.find("a", href="tel:988") and panel.find("a", href="tel:911")
    assert "Our team has been told" not in panel.get_text()  # nothing reached the team
    assert "was not saved" in page.find(id="draft-not-saved").get_text()
    assert page.find("form", action="/consultation") is not None
    assert value_of(page, "first_name") == "Zoë" and value_of(page, "email") == "ok@example.com"
    assert page.find("input", attrs={"name": "phq9_9", "value": answer}).has_attr("checked")
    assert count(app, IntakeDraft) == 0 and sent == []


def test_the_resume_link_fills_the_form_again_and_sending_it_deletes_the_draft(app, client, sent):
    full = intake_form_data(SLOT, "", notes="Resumed notes", conditions=["hypertension"])
    del full["csrf_token"], full["consent_privacy"], full["consent_contact"]
    save(client, **{**full, "phq9_9": "0"})
    token = LINK.search(sent[0].body).group(1)
    response = client.get(f"/consultation/resume/{token}")
    assert response.status_code == 200
    page = soup(response)
    assert page.find(id="draft-resumed") is not None
    for name in ("first_name", "last_name", "email", "phone", "date_of_birth", "antidepressant_trials"):
        assert value_of(page, name) == full[name], name
    assert value_of(page, "notes").strip() == "Resumed notes"
    assert page.find("input", attrs={"name": "conditions", "value": "hypertension"}).has_attr("checked")
    assert page.find("input", attrs={"name": "modality", "value": "infusion"}).has_attr("checked")
    assert page.find("input", attrs={"name": "slot", "type": "hidden"})["value"] == SLOT
    assert not [
        i for i in page.find_all("input", attrs={"name": re.compile(r"^phq9_")}) if i.has_attr("checked")
    ]
    assert value_of(page, "draft") == token
    answered = intake_form_data(SLOT, csrf_token_from(str(page)), draft=token, notes="Resumed notes")
    assert client.post("/consultation", data=answered).status_code == 303
    assert count(app, ConsultationRequest) == 1 and count(app, IntakeDraft) == 0
    gone = client.get(f"/consultation/resume/{token}")
    assert gone.status_code == 404 and "This link no longer works" in gone.get_data(as_text=True)


def test_an_expired_link_says_so_with_a_way_to_start_again(app, client, sent, clock):
    save(client, email="late@example.com")
    token = LINK.search(sent[0].body).group(1)
    clock.set(NOW + timedelta(days=7, minutes=1))
    response = client.get(f"/consultation/resume/{token}")
    assert response.status_code == 410
    page = soup(response)
    assert page.h1.get_text(strip=True) == "This link has expired"
    assert page.find("a", href="/consultation", string="Start a new request") is not None
    assert "late@example.com" not in str(page)


def test_a_forged_link_is_a_clear_404(client):
    response = client.get("/consultation/resume/forged.token")
    assert response.status_code == 404 and "This link no longer works" in response.get_data(as_text=True)


def test_a_spanish_patient_gets_the_link_in_spanish(client, sent):
    assert save(client, lang="es", email="paciente@example.com").status_code == 303
    (email,) = sent
    assert email.subject == "Un mensaje de Northfield Clinic"
    assert "Guardó su solicitud" in email.body and "Hello" not in email.body
    match = LINK.search(email.body)
    assert match.group(2) == "?lang=es"
    page = client.get(f"/consultation/resume/{match.group(1)}?lang=es")
    assert "Le damos la bienvenida de nuevo" in page.get_data(as_text=True)


def test_saving_is_rate_limited_like_sending(database_url):
    app = create_app(
        {**base_config(database_url), "RATELIMIT_ENABLED": True, "INTAKE_RATE_LIMIT": "2 per hour"}
    )
    app.config["NOW_OVERRIDE"] = NOW
    client = app.test_client()
    statuses = [save(client, email="bad").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_a_time_booked_while_the_form_waited_gives_way_to_the_nearest_free_ones(
    app, client, sent, add_booking
):
    """A draft does not hold its time (the saved page says so): if someone books it first, the resumed form
    offers the nearest free times and keeps everything saved."""
    save(client, email="waited@example.com", first_name="Zoë")
    saved_page = client.get("/consultation/saved").get_data(as_text=True)
    assert "If you chose a time, it is not kept for you until you send your request." in saved_page
    add_booking(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))  # Tuesday 09:00 in New York: the saved time
    token = LINK.search(sent[0].body).group(1)
    page = soup(client.get(f"/consultation/resume/{token}"))
    assert "Please pick one of the nearest free times below." in page.get_text()
    assert [i["value"] for i in page.find_all("input", attrs={"name": "slot", "type": "radio"})]
    assert SLOT not in [i["value"] for i in page.find_all("input", attrs={"name": "slot", "type": "radio"})]
    assert value_of(page, "first_name") == "Zoë"


def test_the_top_of_the_form_points_to_saving_it(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    link = page.find("a", href="#save-for-later")
    assert link is not None and page.find(id="save-for-later") is not None
