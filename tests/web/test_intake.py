"""GET/POST /consultation through the test client, CSRF on: every outcome of the intake form."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select, update

from clinic import create_app
from clinic.extensions import db, limiter
from clinic.models import AuditEvent, Booking, ClinicSettings, ConsultationRequest, OutboxMessage, SlotClaim
from clinic.services.booking import links
from clinic.services.booking.intake import CONSENT_VERSION
from clinic.triage.enums import Priority
from clinic.triage.screening import (
    CONDITIONS,
    PHQ9_ANSWERS,
    PHQ9_ATTRIBUTION,
    PHQ9_DIFFICULTY_ANSWERS,
    PHQ9_DIFFICULTY_QUESTION,
    PHQ9_ITEMS,
)
from tests.conftest import base_config, csrf_token_from
from tests.fixtures_intake import intake_form_data

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
pytestmark = pytest.mark.usefixtures("now")
TZ = ZoneInfo("America/New_York")
SLOT = "2026-11-24T09:00:00-05:00"  # Tuesday 09:00, offered
SLOT_UTC = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def form_page(client, slot: str = SLOT):
    response = client.get(f"/consultation?slot={slot}")
    return response, csrf_token_from(response.get_data(as_text=True))


def post(client, **overrides):
    _, token = form_page(client)
    return client.post("/consultation", data=intake_form_data(SLOT, token, **overrides))


def stored(app, model=ConsultationRequest) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# The form


def test_form_shows_the_chosen_slot_in_clinic_time(client):
    response = client.get(f"/consultation?slot={SLOT}")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("input", {"type": "hidden", "name": "slot"})["value"] == SLOT
    assert "Tuesday, November 24, 2026 at 9:00 AM Eastern Time" in page.get_text()
    change = page.find("a", string="Choose a different time")
    assert change["href"] == "/book?week=2026-11-24"


def test_form_shows_the_phq9_as_fieldsets_with_standard_wording(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    legends = [legend.get_text(" ", strip=True) for legend in page.select("fieldset legend")]
    for number, item in enumerate(PHQ9_ITEMS, start=1):
        assert f"{number}. {item}" in legends
        radios = page.find_all("input", {"type": "radio", "name": f"phq9_{number}"})
        assert [r["value"] for r in radios] == ["0", "1", "2", "3"]
        labels = [page.find("label", {"for": r["id"]}).get_text() for r in radios]
        assert labels == list(PHQ9_ANSWERS)
    assert "Over the last 2 weeks, how often have you been bothered" in page.get_text()


def test_form_lists_conditions_with_plain_labels_and_every_contract_field(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    boxes = page.find_all("input", {"type": "checkbox", "name": "conditions"})
    assert [b["value"] for b in boxes] == list(CONDITIONS)
    assert [page.find("label", {"for": b["id"]}).get_text() for b in boxes] == list(CONDITIONS.values())
    names = {tag.get("name") for tag in page.select("form[action='/consultation'] [name]")}
    expected = {
        "csrf_token",
        "slot",
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "preferred_contact",
        "antidepressant_trials",
        "conditions",
        "modality",
        "medications",
        "notes",
        "consent_privacy",
        "consent_contact",
        "website",
        "phq9_difficulty",
    } | {f"phq9_{i}" for i in range(1, 10)}
    assert names == expected
    for name in ("first_name", "last_name", "email", "phone", "date_of_birth", "antidepressant_trials"):
        field = page.find(attrs={"name": name})
        assert page.find("label", {"for": field["id"]}), name


def test_form_says_it_is_not_monitored_and_gives_911_and_988(client):
    text = soup(client.get(f"/consultation?slot={SLOT}")).find("main").get_text(" ", strip=True)
    assert "This form is not monitored around the clock." in text
    assert "call 911" in text and "call or text 988" in text


def test_form_asks_the_closing_question_after_item_9_with_its_four_answers(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    legends = [legend.get_text(" ", strip=True) for legend in page.select("fieldset legend")]
    assert legends.index(PHQ9_DIFFICULTY_QUESTION) == legends.index(f"9. {PHQ9_ITEMS[8]}") + 1
    radios = page.find_all("input", {"type": "radio", "name": "phq9_difficulty"})
    assert [r["value"] for r in radios] == ["0", "1", "2", "3"]
    assert [page.find("label", {"for": r["id"]}).get_text() for r in radios] == list(PHQ9_DIFFICULTY_ANSWERS)
    assert not any(r.has_attr("required") or r.has_attr("checked") for r in radios)
    hint = page.find(id=f"{radios[0]['name']}-hint").get_text()
    assert "Optional" in hint and "not part of the score" in hint


def test_form_credits_the_phq9_under_the_questionnaire_and_calls_it_widely_used(client):
    section = soup(client.get(f"/consultation?slot={SLOT}")).find(
        "section", attrs={"aria-labelledby": "phq9-heading"}
    )
    text = " ".join(section.get_text(" ").split())
    assert "a widely used questionnaire" in text and "everywhere" not in text
    assert section.find_all("p")[-1].get_text(strip=True) == PHQ9_ATTRIBUTION


def test_privacy_consent_label_links_the_notice_in_a_new_tab(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    box = page.find("input", {"name": "consent_privacy"})
    label = page.find("label", {"for": box["id"]})
    link = label.find("a", href="/privacy")
    assert link is not None and link["target"] == "_blank" and "noopener" in link["rel"]
    assert "opens in a new tab" in link.get_text()
    assert " ".join(label.get_text(" ").split()).startswith("I have read the privacy notice")


def test_conditions_hint_does_not_promise_nothing_rules_treatment_out(client):
    hint = soup(client.get(f"/consultation?slot={SLOT}")).find(id="conditions-hint").get_text()
    assert "never rules you out" not in hint and "never turns anyone away" in hint


@pytest.mark.parametrize(("answer", "stored_value"), [(None, None), ("0", 0), ("3", 3)])
def test_closing_question_is_optional_and_stored_with_the_request(app, client, answer, stored_value):
    overrides = {} if answer is None else {"phq9_difficulty": answer}
    response = post(client, **overrides)
    assert response.status_code == 303
    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        assert consultation.phq9_difficulty == stored_value
        assert consultation.phq9_score == 8  # never scored
        assert consultation.consent_version == CONSENT_VERSION


def test_the_consent_version_was_bumped_for_the_privacy_link():
    assert CONSENT_VERSION != "2026-11"


def test_an_allergy_to_ketamine_is_a_condition_on_the_form(app, client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    box = page.find("input", {"name": "conditions", "value": "ketamine_allergy"})
    label = page.find("label", {"for": box["id"]}).get_text()
    assert label == "Allergy or bad reaction to ketamine or esketamine"
    assert post(client, conditions=["ketamine_allergy"]).status_code == 303
    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        assert consultation.conditions == ["ketamine_allergy"] and consultation.priority is Priority.HIGH


def test_honeypot_is_hidden_from_people(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    honeypot = page.find("input", {"name": "website"})
    assert honeypot["tabindex"] == "-1" and honeypot["autocomplete"] == "off"
    wrapper = honeypot.find_parent("div")
    assert "visually-hidden" in wrapper["class"] and wrapper["aria-hidden"] == "true"


def test_form_for_a_slot_taken_meanwhile_offers_the_nearest(client, make_request):
    make_request(slot=SLOT)
    response = client.get(f"/consultation?slot={SLOT}")
    assert response.status_code == 200
    page = soup(response)
    assert "is no longer available" in page.get_text()
    assert page.find("input", {"type": "hidden", "name": "slot"}) is None
    choices = [r["value"] for r in page.find_all("input", {"type": "radio", "name": "slot"})]
    assert SLOT not in choices
    assert "2026-11-24T08:30:00-05:00" in choices and "2026-11-24T09:30:00-05:00" in choices


def test_a_slot_lost_to_a_closure_says_so_rather_than_someone_booked_it(app, client):
    from datetime import date

    from clinic.models import Closure

    with app.app_context():
        db.session.add(Closure(start_date=date(2026, 11, 24), end_date=date(2026, 11, 24), reason="Training"))
        db.session.commit()
    text = soup(client.get(f"/consultation?slot={SLOT}")).get_text(" ")
    assert "is no longer available" in text and "The clinic is closed at that time." in text
    assert "booked" not in text.split("is no longer available")[1].split("Please pick")[0]


def test_a_slot_too_soon_or_booked_says_which(client, make_request):
    soon = soup(client.get("/consultation?slot=2026-11-23T09:00:00-05:00")).get_text(" ")
    assert "It is now too close to book online (we need 2 hours' notice)." in soon
    make_request(slot=SLOT)
    assert "Someone has just booked it." in soup(client.get(f"/consultation?slot={SLOT}")).get_text(" ")


def test_every_intake_step_shows_the_progress_and_the_birth_date_hint_matches_the_field(client):
    page = soup(client.get(f"/consultation?slot={SLOT}"))
    step = page.find("ol", class_="progress").find(attrs={"aria-current": "step"})
    assert step.get_text(" ", strip=True) == "2 Tell us about you"
    hint = page.find(id="date_of_birth").find_parent(class_="field").get_text(" ")
    assert "04/12/1985" in hint and "1985-04-12" not in hint  # the field shows mm/dd/yyyy


def test_a_birth_date_typed_month_first_is_accepted_where_the_browser_has_no_date_field(app, client):
    assert post(client, date_of_birth="04/12/1985").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ConsultationRequest)).date_of_birth.isoformat() == "1985-04-12"


def test_after_a_422_the_error_summary_takes_the_focus(client):
    response = post(client, first_name="")
    assert response.status_code == 422
    page = soup(response)
    summary = page.find(attrs={"data-error-summary": True})
    assert summary["tabindex"] == "-1" and summary["role"] == "alert"
    assert "/static/js/error-summary.js" in [s["src"].split("?")[0] for s in page.find_all("script")]
    fresh = soup(client.get(f"/consultation?slot={SLOT}"))
    assert "/static/js/error-summary.js" not in [s["src"].split("?")[0] for s in fresh.find_all("script")]


@pytest.mark.parametrize(
    "query", ["", "?slot=", "?slot=tomorrow", "?slot=2026-11-24T09:00:00", "?slot=" + "9" * 500]
)
def test_form_without_a_usable_slot_links_back_to_the_picker(client, query):
    response = client.get(f"/consultation{query}")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("a", href="/book")
    choices = page.find_all("input", {"type": "radio", "name": "slot"})
    assert choices and choices[0]["value"] == "2026-11-23T10:00:00-05:00"  # the earliest free time


# Success


def test_success_stores_everything_in_one_go_and_redirects_to_the_manage_page(app, client, sent):
    response = post(
        client,
        first_name="  Zoë ",
        email="Zoe.OBrien@Example.COM",
        phone="212 555 0142",
        conditions=["seizures", "hypertension"],
        phq9_9="0",
        antidepressant_trials="4",
        modality="nasal_spray",
        preferred_contact="text",
        medications="Sertraline 50 mg\r\nBupropion",
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/appointments/[A-Za-z0-9_.\-]+", location)
    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        assert links.load_token(location.rsplit("/", 1)[1]).id == consultation.id
        assert (consultation.first_name, consultation.last_name) == ("Zoë", "O'Brien-Núñez")
        assert consultation.email == "Zoe.OBrien@example.com"
        assert consultation.phone == "+12125550142"
        assert consultation.date_of_birth.isoformat() == "1990-01-02"
        assert consultation.preferred_contact.value == "text"
        assert consultation.conditions == ["hypertension", "seizures"]
        assert consultation.modality.value == "nasal_spray"
        assert consultation.antidepressant_trials == 4 and consultation.treatment_resistant
        assert consultation.medications == "Sertraline 50 mg\nBupropion"
        assert consultation.phq9_answers == [1] * 8 + [0] and consultation.phq9_score == 8
        assert consultation.priority is Priority.HIGH
        assert consultation.active_booking.starts_at == SLOT_UTC
        assert consultation.appointment_at == SLOT_UTC
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor_id, event.record_id, event.details) == (
            "request.create",
            None,
            consultation.id,
            None,
        )
    assert [m.subject for m in sent] == ["Your consultation with Northfield Clinic"]
    # The name as typed or percent-encoded (a two-letter piece of it may occur in the link's random token).
    for private in ("Zoë", "Zo%C3%AB", "Zo%c3%ab", "example", "2125550142", "seizure"):
        assert private not in location


def test_success_accepts_names_in_any_script(app, client):
    response = post(client, first_name="李", last_name="Ἀλέξανδρος-محمد")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(ConsultationRequest.last_name)).one() == "Ἀλέξανδρος-محمد"


def test_adult_on_the_clinics_today_is_accepted(client, clock):
    clock.set(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # still November 23 in New York
    assert post(client, date_of_birth="2008-11-23").status_code == 303


def test_under_18_on_the_clinics_today_is_refused_even_if_utc_is_a_day_ahead(client, clock):
    clock.set(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # November 24 in UTC, November 23 in New York
    response = post(client, date_of_birth="2008-11-24")
    assert response.status_code == 422
    assert "adults only" in soup(response).find(id="date_of_birth-error").get_text()


# Honeypot, CSRF, rate limit


def test_filled_honeypot_looks_successful_but_stores_nothing(app, client, sent):
    response = post(client, website="https://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"] == "/consultation/received"
    assert stored(app) == stored(app, Booking) == stored(app, OutboxMessage) == stored(app, AuditEvent) == 0
    assert sent == []
    assert client.get("/consultation/received").status_code == 200


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_missing_or_bad_csrf_token_is_400_and_stores_nothing(app, client, token):
    data = intake_form_data(SLOT, token or "")
    if token is None:
        del data["csrf_token"]
    client.get("/consultation")
    response = client.post("/consultation", data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert stored(app) == 0


def test_many_submissions_from_one_address_get_a_friendly_429(database_url):
    app = create_app(
        {
            **base_config(database_url),
            "RATELIMIT_ENABLED": True,
            "INTAKE_RATE_LIMIT": "3 per hour",
            "NOW_OVERRIDE": NOW,
        }
    )
    client = app.test_client()
    statuses = [post(client, first_name="").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    response = post(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    text = response.get_data(as_text=True)
    assert "Too many attempts" in text and "Traceback" not in text
    assert client.get(f"/consultation?slot={SLOT}").status_code == 200  # reading the form is not limited
    other = app.test_client()
    _, token = form_page(other)
    response = other.post(
        "/consultation",
        data=intake_form_data(SLOT, token, first_name=""),
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 422  # another address has its own allowance
    with app.app_context():
        db.engine.dispose()


# 422: a message beside each bad field, every value kept

BAD_INPUT = [
    ("first_name", "", "Please enter your first name."),
    ("first_name", "   ", "Please enter your first name."),
    ("first_name", "Bo\x07b", "control characters"),
    ("first_name", "x" * 81, "at most 80 characters"),
    ("first_name", "\u0958" * 50, "at most 80 characters"),  # 100 characters once stored in NFC
    ("last_name", "Smith\u202e", "control characters"),
    ("last_name", "", "Please enter your last name."),
    ("email", "", "Please enter your email address."),
    ("email", "not-an-email", "valid email address"),
    ("email", "a@b", "valid email address"),
    ("email", "x" * 250 + "@example.com", "valid email address"),
    ("phone", "", "Please enter your phone number."),
    ("phone", "12", "phone number we can reach you on"),
    ("phone", "call me maybe", "phone number we can reach you on"),
    ("date_of_birth", "", "Please enter your date of birth."),
    ("date_of_birth", "13/02/1990", "month, day and year"),
    ("date_of_birth", "1990-13-01", "month, day and year"),
    ("date_of_birth", "1990-W01-1", "month, day and year"),
    ("date_of_birth", "02.01.1990", "month, day and year"),
    ("date_of_birth", "2030-01-01", "check the year"),
    ("date_of_birth", "1850-01-01", "check the year"),
    ("date_of_birth", "2010-05-05", "adults only"),
    ("preferred_contact", None, "how we should contact you"),
    ("preferred_contact", "fax", "one of the options shown"),
    ("phq9_3", None, "Please choose one answer."),
    ("phq9_9", "4", "one of the options shown"),
    ("phq9_difficulty", "4", "one of the options shown"),
    ("phq9_difficulty", "-1", "one of the options shown"),
    ("antidepressant_trials", "", "Please enter a number"),
    ("antidepressant_trials", "-1", "whole number from 0 to 20"),
    ("antidepressant_trials", "21", "whole number from 0 to 20"),
    ("antidepressant_trials", "two", "whole number from 0 to 20"),
    ("antidepressant_trials", "1.5", "whole number from 0 to 20"),
    ("conditions", ["hypertension", "migraine"], "only the options shown"),
    ("conditions", [""], "only the options shown"),
    ("modality", None, "Please choose a treatment"),
    ("modality", "pills", "one of the options shown"),
    ("medications", "m" * 2001, "at most 2000 characters"),
    ("notes", "hello\x00world", "control"),
    ("consent_privacy", None, "privacy notice"),
    ("consent_contact", None, "may contact you"),
]


@pytest.mark.parametrize(
    ("name", "value", "message"), BAD_INPUT, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_INPUT)]
)
def test_bad_input_is_422_with_a_message_beside_the_field_and_everything_kept(
    app, client, name, value, message
):
    _, token = form_page(client)
    data = intake_form_data(
        SLOT,
        token,
        first_name="Ana María",
        email="ana@example.com",
        notes="Evenings <b>please</b> & thanks",
        conditions=["pregnancy"],
        phq9_2="3",
        preferred_contact="phone",
        modality="nasal_spray",
    )
    if value is None:
        data.pop(name)
    else:
        data[name] = value
    response = client.post("/consultation", data=data)
    assert response.status_code == 422
    page = soup(response)
    field_id = {
        "conditions": "conditions",
        "preferred_contact": "preferred_contact",
        "phq9_3": "phq9_3",
        "phq9_9": "phq9_9",
        "modality": "modality",
    }.get(name, name)
    error = page.find(id=f"{field_id}-error")
    assert error is not None and message in error.get_text(), page.find(class_="notice-warning")
    assert page.find(attrs={"role": "alert"}).find("a", href=re.compile(f"^#{field_id}"))
    # everything else typed is still there
    for other, kept in (
        ("first_name", "Ana María"),
        ("email", "ana@example.com"),
        ("last_name", "O'Brien-Núñez"),
        ("phone", "(212) 555-0142"),
        ("date_of_birth", "1990-01-02"),
        ("antidepressant_trials", "3"),
    ):
        if other != name:
            assert page.find("input", {"name": other})["value"] == kept
    if name != "notes":
        assert (
            page.find("textarea", {"name": "notes"}).get_text().strip() == "Evenings <b>please</b> & thanks"
        )
    if name != "phq9_2":
        assert page.find("input", {"name": "phq9_2", "value": "3"}).has_attr("checked")
    if name != "conditions":
        assert page.find("input", {"name": "conditions", "value": "pregnancy"}).has_attr("checked")
    if name != "preferred_contact":
        assert page.find("input", {"name": "preferred_contact", "value": "phone"}).has_attr("checked")
    if name != "modality":
        assert page.find("input", {"name": "modality", "value": "nasal_spray"}).has_attr("checked")
    for consent in ("consent_privacy", "consent_contact"):
        if consent != name:
            assert page.find("input", {"name": consent}).has_attr("checked")
    assert page.find("input", {"type": "hidden", "name": "slot"})["value"] == SLOT
    assert stored(app) == 0


def test_bad_input_keeps_the_typed_bad_value_escaped(client):
    response = post(client, email='"><script>alert(1)</script>')
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert str(escape('"><script>alert(1)</script>')) in html


def test_missing_slot_is_422_with_the_nearest_times_to_pick(client, app):
    _, token = form_page(client)
    response = client.post("/consultation", data=intake_form_data("", token))
    assert response.status_code == 422
    page = soup(response)
    assert "Please choose a consultation time." in page.find(id="slot-error").get_text()
    assert page.find_all("input", {"type": "radio", "name": "slot"})
    assert page.find("input", {"name": "first_name"})["value"] == "Zoë"


# 409: the slot went meanwhile


def test_slot_taken_meanwhile_is_409_with_values_kept_and_nearest_slots(app, client, make_request, sent):
    _, token = form_page(client)
    make_request(slot=SLOT, email="first@example.com")  # someone else books while this patient types
    sent.clear()
    data = intake_form_data(SLOT, token, notes="Mornings are best", phq9_5="2", conditions=["seizures"])
    response = client.post("/consultation", data=data)
    assert response.status_code == 409
    page = soup(response)
    assert "no longer available" in page.get_text()
    assert page.find("input", {"name": "first_name"})["value"] == "Zoë"
    assert page.find("textarea", {"name": "notes"}).get_text().strip() == "Mornings are best"
    assert page.find("input", {"name": "phq9_5", "value": "2"}).has_attr("checked")
    assert page.find("input", {"name": "conditions", "value": "seizures"}).has_attr("checked")
    choices = [r["value"] for r in page.find_all("input", {"type": "radio", "name": "slot"})]
    assert SLOT not in choices and len(choices) == 6
    assert stored(app) == 1 and sent == []
    # picking one of the offered times in the same form books it
    data["slot"] = choices[0]
    data["csrf_token"] = csrf_token_from(response.get_data(as_text=True))
    assert client.post("/consultation", data=data).status_code == 303
    assert stored(app) == 2


@pytest.mark.parametrize("slot", ["2026-11-29T10:00:00-05:00", "2026-11-23T08:30:00-05:00"])
def test_slot_never_or_no_longer_offered_is_409(app, client, slot):
    _, token = form_page(client)
    response = client.post("/consultation", data=intake_form_data(slot, token))
    assert response.status_code == 409
    assert soup(response).find_all("input", {"type": "radio", "name": "slot"})
    assert stored(app) == 0


def test_capacity_three_takes_three_then_409(app, client):
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(capacity=3))
        db.session.commit()
    statuses = [post(client, email=f"p{i}@example.com").status_code for i in range(4)]
    assert statuses == [303, 303, 303, 409]
    assert stored(app, SlotClaim) == 3


# Generated input never breaks the form

FIELDS = [
    "slot",
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "preferred_contact",
    "antidepressant_trials",
    "conditions",
    "modality",
    "medications",
    "notes",
    "consent_privacy",
    "consent_contact",
    "website",
] + [f"phq9_{i}" for i in range(1, 10)]
TEXT_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "antidepressant_trials",
    "medications",
    "notes",
}
values = st.one_of(
    st.just(""),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1990, max_size=2100),
    st.text(st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=10),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "{{ 7*7 }}",
            "' OR 1=1 --",
            "&amp;&lt;",
            "0",
            "3",
            "-1",
            "1e9",
            "2026-02-30",
            "+1 212 555 0142",
            "ℌ𝔢𝔩𝔩𝔬",
            "\u202eevil",
        ]
    ),
)


@pytest.fixture
def unlimited_app(database_url):
    app = create_app({**base_config(database_url), "RATELIMIT_ENABLED": False, "NOW_OVERRIDE": NOW})
    yield app
    limiter.enabled = True  # the limiter is shared by every app in the process: switch it back on
    with app.app_context():
        db.engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FIELDS), value=values)
def test_generated_input_never_causes_a_500_or_loses_what_was_typed(unlimited_app, name, value):
    client = unlimited_app.test_client()
    response = client.get(f"/consultation?slot={SLOT}")
    token = csrf_token_from(response.get_data(as_text=True))
    data = intake_form_data(SLOT, token)
    data[name] = value
    response = client.post("/consultation", data=data)
    assert response.status_code in {303, 409, 422}, response.status_code
    if response.status_code == 303:
        return
    html = response.get_data(as_text=True)
    assert "Traceback" not in html
    if name in TEXT_FIELDS:
        shown = value.strip() if name not in {"medications", "notes"} else value
        assert str(escape(shown)) in html


def test_a_database_failure_mid_submit_is_503_with_everything_kept(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from clinic.services.booking import intake

    def database_gone(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(intake, "submit", database_gone)
    response = post(client, notes="Typed for ten minutes", phq9_4="3")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = soup(response)
    assert "Everything you typed is still here." in page.get_text()
    assert page.find("input", {"type": "hidden", "name": "slot"})["value"] == SLOT
    assert page.find("input", {"name": "first_name"})["value"] == "Zoë"
    assert page.find("textarea", {"name": "notes"}).get_text().strip() == "Typed for ten minutes"
    assert page.find("input", {"name": "phq9_4", "value": "3"}).has_attr("checked")
    assert "OperationalError" not in response.get_data(as_text=True)
    assert stored(app) == 0


@pytest.mark.parametrize(
    "slot", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "1999-12-31T09:00:00-05:00"]
)
def test_absurd_slot_years_are_refused_not_a_500(app, client, slot):
    assert client.get("/consultation", query_string={"slot": slot}).status_code == 200
    _, token = form_page(client)
    response = client.post("/consultation", data=intake_form_data(slot, token))
    assert response.status_code == 422
    assert "Please choose a consultation time." in soup(response).find(id="slot-error").get_text()
    assert stored(app) == 0
