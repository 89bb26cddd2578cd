"""Languages (SPEC section 14): Spanish from ?lang=, the cookie or Accept-Language; English by default."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ConsultationRequest, OfferStatus, WaitlistOffer
from clinic.public import articles
from clinic.public.wording import week_summary
from clinic.scheduling import DayHours
from clinic.scheduling.waitlist import Wishes
from clinic.services.booking import links, offers, seats, waitlist
from clinic.services.jobs import run_all
from tests.conftest import csrf_token_from
from tests.fixtures_courses import INFUSION_DAYS, local
from tests.fixtures_intake import intake_form_data
from tests.services.helpers import local as november

PATIENT_PAGES = ["/", "/learn/", "/learn/faq", "/contact", "/privacy", "/book"]
STAFF_PAGES = ["/staff/login"]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_lang_es_answers_spanish(client, path):
    response = client.get(path, query_string={"lang": "es"})
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "es"
    assert response.headers["Content-Language"] == "es"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert page.select_one(".skip-link").get_text() == "Saltar al contenido principal"
    assert page.select_one("#crisis-heading").get_text() == "Si necesita ayuda ahora"
    assert "oprima 2" in page.select_one(".site-footer").get_text()
    assert "lang=es" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_english_stays_the_default(client, path):
    response = client.get(path)
    page = soup(response)
    assert page.html["lang"] == "en"
    assert response.headers["Content-Language"] == "en"
    assert page.select_one(".skip-link").get_text() == "Skip to main content"
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_accept_language_es_mx_gets_spanish_without_a_parameter(client):
    response = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert soup(response).html["lang"] == "es"
    assert response.headers["Content-Language"] == "es"


def test_english_accept_language_and_unknown_languages_get_english(client):
    assert soup(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})).html["lang"] == "en"
    assert soup(client.get("/", headers={"Accept-Language": "fr-FR"})).html["lang"] == "en"
    assert soup(client.get("/?lang=fr")).html["lang"] == "en"


def test_the_choice_is_kept_in_a_cookie_and_beats_accept_language(client):
    client.get("/?lang=es")
    assert soup(client.get("/contact")).html["lang"] == "es"
    client.get("/?lang=en")
    response = client.get("/contact", headers={"Accept-Language": "es-MX"})
    assert soup(response).html["lang"] == "en"


def test_the_language_switch_keeps_the_page(client):
    page = soup(client.get("/learn/faq?lang=es"))
    switch = page.select_one(".language-switch a")
    assert switch["href"] == "/learn/faq?lang=en"
    assert switch["lang"] == "en"
    page = soup(client.get("/learn/faq?lang=en"))
    assert page.select_one(".language-switch a")["href"] == "/learn/faq?lang=es"
    assert page.select_one(".language-switch a").get_text() == "Español"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_stay_english(client, path):
    response = client.get(path, query_string={"lang": "es"}, headers={"Accept-Language": "es-MX"})
    page = soup(response)
    assert page.html["lang"] == "en"
    assert page.select_one(".skip-link").get_text() == "Skip to main content"


def test_error_pages_in_spanish(client):
    response = client.get("/learn/no-such-article?lang=es")
    assert response.status_code == 404
    page = soup(response)
    assert page.html["lang"] == "es"
    assert page.select_one("#error-heading").get_text() == "No encontramos esa página"


def test_articles_in_spanish_come_from_articles_es_when_present(tmp_path, monkeypatch):
    english = tmp_path / "faq.md"
    english.write_text("---\ntitle: Questions\nsummary: Answers\n---\nHello.\n", encoding="utf-8")
    (tmp_path / "other.md").write_text("---\ntitle: Other\nsummary: More\n---\nWords.\n", encoding="utf-8")
    (tmp_path / "es").mkdir()
    spanish = "---\ntitle: Preguntas\nsummary: Respuestas\n---\nHola.\n"
    (tmp_path / "es" / "faq.md").write_text(spanish, encoding="utf-8")
    monkeypatch.setattr(articles, "ARTICLES_DIR", tmp_path)
    articles.clear_cache()
    try:
        assert articles.article("faq", "es").title == "Preguntas"
        assert articles.article("other", "es").title == "Other"  # not translated yet: English
        assert articles.article("faq", "en").title == "Questions"
        assert [a.slug for a in articles.all_articles("es")] == [a.slug for a in articles.all_articles("en")]
    finally:
        articles.clear_cache()


# A Spanish-speaking patient, end to end in the web layer (the phone journey is tests/browser/)

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
SLOT = "2026-11-24T09:00:00-05:00"  # Tuesday 09:00, offered


def test_a_spanish_request_is_stored_in_spanish_and_emailed_in_spanish(app, client, sent, now):
    form = client.get(f"/consultation?slot={SLOT}&lang=es")
    page = soup(form)
    assert page.html["lang"] == "es"
    assert "martes, 24 de noviembre de 2026" in page.select_one(".slot-chosen").get_text()
    legend = page.select_one("#phq9_1-0").find_parent("fieldset").legend.get_text()
    assert legend == "1. Poco interés o placer en hacer cosas"
    assert "phqscreeners.com" in page.select_one("#phq9-heading").find_parent("section").get_text()
    token = csrf_token_from(form.get_data(as_text=True))

    # a mistake: the error is in Spanish, beside the field
    refused = client.post("/consultation", data=intake_form_data(SLOT, token, first_name=""))
    assert refused.status_code == 422 or refused.status_code == 200
    assert soup(refused).select_one("#first_name-error").get_text() == "Por favor, escriba su nombre."

    answered = client.post("/consultation", data=intake_form_data(SLOT, token, phq9_9="1"))
    assert answered.status_code == 303
    manage = soup(client.get(answered.headers["Location"]))
    assert manage.html["lang"] == "es"
    crisis = manage.select_one("#crisis-help")
    assert "Por favor, pida ayuda ahora" in crisis.get_text()
    assert "oprima 2" in crisis.get_text() and "AYUDA" in crisis.get_text()
    assert "Su consulta" == manage.h1.get_text()

    with app.app_context():
        consultation = db.session.scalars(select(ConsultationRequest)).one()
        assert consultation.language == "es"
    [email] = [m for m in sent if m.to == ["zoe.obrien@example.com"]]
    assert email.subject.startswith("Su consulta con ")
    assert email.body.startswith("Hola, Zoë:")
    assert "martes, 24 de noviembre de 2026 a las 9:00" in email.body
    link = re.search(r"http://\S+(/appointments/\S+)", email.body).group(1)
    assert link.endswith("?lang=es")

    fresh = app.test_client()  # the email opened elsewhere: the link alone says Spanish
    page = soup(fresh.get(link))
    assert page.html["lang"] == "es" and page.h1.get_text() == "Su consulta"
    assert "Cancelar mi consulta" in page.get_text()


def test_english_requests_keep_english_emails(app, client, sent, make_request):
    make_request()
    [email] = sent
    assert email.subject.startswith("Your consultation with ")
    assert email.body.startswith("Hello ")
    assert "?lang=" not in email.body


def test_staff_see_the_patients_language(app, staff_client, make_request):
    request_id = make_request(language="es")
    page = soup(staff_client.get(f"/staff/requests/{request_id}", headers={"Accept-Language": "es-MX"}))
    assert page.html["lang"] == "en"
    assert page.select_one("#patient-language").get_text() == "Spanish"


def test_a_missing_or_stale_compiled_catalog_is_compiled_at_start(tmp_path):
    import shutil

    from babel.messages.mofile import read_mo

    from clinic import i18n

    shutil.copytree(i18n.TRANSLATIONS, tmp_path / "translations")
    mo = tmp_path / "translations" / "es" / "LC_MESSAGES" / "messages.mo"
    mo.unlink(missing_ok=True)
    i18n.compile_catalogs(tmp_path / "translations")
    with mo.open("rb") as handle:
        assert read_mo(handle)["Skip to main content"].string == "Saltar al contenido principal"


# The course page and its cancel page (the link from a course email)


@pytest.fixture
def spanish_course_path(app, completed_request, book, sent):
    """An infusion course for a patient who wrote in Spanish: the page's path from the booking email."""
    request_id = completed_request(language="es", first_name="Marisol")
    book(request_id, "infusion", [local(day) for day in INFUSION_DAYS])
    email = next(m for m in sent if "/courses/" in m.body)
    return "/courses/" + re.search(r"/courses/(\S+)", email.body).group(1)


def test_the_course_page_answers_spanish(client, spanish_course_path):
    assert spanish_course_path.endswith("?lang=es")  # the email's link says Spanish on its own
    response = client.get(spanish_course_path)
    assert response.status_code == 200 and response.headers["Content-Language"] == "es"
    page = soup(response)
    assert page.html["lang"] == "es"
    assert page.h1.get_text() == "Sus citas"
    first = page.select_one("#appointment-1 h3").get_text(" ", strip=True)
    assert first == "Cita 1: lunes, 1 de marzo de 2027 a las 9:00 a.m. (hora oriental)"
    assert "Reservada" in page.select_one("#appointment-1 dl").get_text()
    assert "Tengo quién me lleve a casa" in page.get_text()
    assert "Apoyo entre citas" in page.select_one("#support").get_text()
    assert not re.search(r"\b(Appointment|Booked|Cancel|Reference|Times are)\b", page.main.get_text())


def test_the_course_cancel_page_answers_spanish_and_so_does_its_answer(client, spanish_course_path):
    path = spanish_course_path.replace("?lang=es", "/sessions/2/cancel?lang=es")
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "es" and response.headers["Content-Language"] == "es"
    assert (
        page.h1.get_text()
        == "¿Cancelar su cita del miércoles, 3 de marzo de 2027 a las 9:00 a.m. (hora oriental)?"
    )
    assert page.select_one("button.button-danger").get_text() == "Sí, cancelar la cita 2"
    assert not re.search(r"\b(Appointment|Cancel|Yes|keep)\b", page.main.get_text())
    token = csrf_token_from(response.get_data(as_text=True))
    done = client.post(path.replace("?lang=es", ""), data={"csrf_token": token}, follow_redirects=True)
    assert "La cita 2 está cancelada" in soup(done).main.get_text()
    again = client.post(path.replace("?lang=es", ""), data={"csrf_token": token})
    assert again.status_code == 409 and "Esta cita ya está cancelada." in soup(again).main.get_text()


def test_a_bad_course_link_says_so_in_spanish(client):
    response = client.get("/courses/nonsense?lang=es")
    assert response.status_code == 404
    assert "Este enlace a sus citas ya no es válido" in soup(response).main.get_text()


# Emails a job sends, with no request to say the language: the patient's stored language decides


def html_of(email) -> str:
    return email.alternatives[0][0] if email.alternatives else ""


def test_a_spanish_patients_waitlist_offer_email_and_page_are_in_spanish(
    app, client, make_request, sent, now
):
    waiting = make_request(slot=november(30, 10), language="es", first_name="Marisol")
    other = make_request(slot=november(24, 10), email="other@example.com")
    with app.app_context():
        waitlist.join(db.session.get(ConsultationRequest, waiting), Wishes(NOW.date()), now=NOW)
        seats.cancel_for_patient(db.session.get(ConsultationRequest, other), now=NOW)
        sent.clear()
        run_all(now=NOW)  # the job offers the freed time
        assert db.session.scalars(select(WaitlistOffer.status)).all() == [OfferStatus.OPEN]
    [email] = [m for m in sent if "/offers/" in m.body]
    assert email.subject == "Hay una hora más pronto libre en Northfield Clinic"
    html = html_of(email)
    for body in (email.body, html):
        assert "Hola, Marisol:" in body
        assert "martes, 24 de noviembre de 2026 a las 10:00 a.m. (hora oriental)" in body
        assert "Hora ofrecida:" in body and "Si no hace nada, su cita actual sigue igual." in body
        assert not re.search(r"\b(Hello|Time offered|Reference|If you do nothing)\b", body)
    assert '<html lang="es">' in html
    link = re.search(r"http://\S+(/offers/\S+)", email.body).group(1)
    assert link.endswith("?lang=es")

    page = soup(app.test_client().get(link))  # opened elsewhere: the link alone says Spanish
    assert page.html["lang"] == "es"
    assert page.h1.get_text() == "Hay una hora más pronto libre en Northfield Clinic"
    assert (
        page.select_one("#offer-time").get_text()
        == "martes, 24 de noviembre de 2026 a las 10:00 a.m. (hora oriental)"
    )
    assert [b.get_text() for b in page.select(".confirm-actions button")] == ["Tomar esta hora", "Dejarla"]
    assert not re.search(r"\b(Booking|Time offered|Take this time|Let it go)\b", page.main.get_text())


def test_the_offer_page_answers_spanish_with_lang_es_and_its_refusals_too(app, client, make_request, now):
    waiting = make_request(slot=november(30, 10), language="en")
    other = make_request(slot=november(24, 10), email="other@example.com")
    with app.app_context():
        waitlist.join(db.session.get(ConsultationRequest, waiting), Wishes(NOW.date()), now=NOW)
        seats.cancel_for_patient(db.session.get(ConsultationRequest, other), now=NOW)
        run_all(now=NOW)
        offer = db.session.scalars(select(WaitlistOffer)).one()
        path = "/offers/" + offers.offer_token(offer)
    assert soup(client.get(path)).html["lang"] == "en"  # the patient's link, in English
    response = client.get(path + "?lang=es")
    page = soup(response)
    assert page.html["lang"] == "es" and response.headers["Content-Language"] == "es"
    assert page.select_one("#offer-heading").get_text().startswith("Cita ")
    token = csrf_token_from(response.get_data(as_text=True))
    declined = client.post(path + "/decline", data={"csrf_token": token}, follow_redirects=True)
    assert "Usted dejó esta hora" in soup(declined).main.get_text()
    again = client.post(path + "/accept", data={"csrf_token": token})
    assert again.status_code == 409
    assert "Usted dejó esta hora" in soup(again).select_one("#offer-problem").get_text()
    missing = client.get("/offers/not-a-real-token?lang=es")
    assert (
        missing.status_code == 404
        and "Este enlace de la oferta no es válido" in soup(missing).main.get_text()
    )


def test_a_spanish_patients_check_in_email_from_the_job_is_in_spanish(
    app, clock, completed_request, book, sent
):
    request_id = completed_request(language="es", first_name="Marisol", email="marisol@example.com")
    book(request_id, "infusion", [local(day) for day in INFUSION_DAYS])
    when = local(INFUSION_DAYS[0]) - timedelta(hours=23)
    clock.set(when)
    sent.clear()
    with app.app_context():
        run_all(now=when)  # the day before the first session
    [email] = [m for m in sent if "/check-ins/" in m.body]
    assert email.subject == "Un mensaje de Northfield Clinic"
    html = html_of(email)
    for body in (email.body, html):
        assert "Hola, Marisol:" in body
        assert "Northfield Clinic quiere saber cómo ha estado." in body
        assert "miércoles, 3 de marzo de 2027 a las 10:00 a.m." in body  # the link works 72 hours
        assert not re.search(r"\b(Hello|would like to know|The link works)\b", body)
    assert '<html lang="es">' in html
    assert re.search(r"/check-ins/\S+\?lang=es", email.body)


def test_the_privacy_notice_answers_spanish(client):
    response = client.get("/privacy?lang=es")
    page = soup(response)
    assert page.html["lang"] == "es" and response.headers["Content-Language"] == "es"
    assert page.h1.get_text() == "Aviso de privacidad"
    assert page.select_one("#rights-heading").get_text() == "Sus derechos"
    assert '"Su consulta con Northfield Clinic"' in page.main.get_text()
    assert page.select_one("meta[name=description]")["content"].startswith("Cómo Northfield Clinic recoge")
    assert not re.search(r"\b(Privacy|What we collect|Your rights|Version|Phone)\b", page.main.get_text())


# Words written by code rather than templates: the week's opening days and the waitlist's wishes


@pytest.mark.parametrize(
    ("closed", "spanish"),
    [
        ({6}, "Abierto del lunes al sábado; cerrado el domingo."),
        ({5, 6}, "Abierto del lunes al viernes; cerrado el sábado y domingo."),
        ({1, 3, 6}, "Abierto lunes, miércoles, viernes y sábado; cerrado el martes, jueves y domingo."),
        (set(), "Abierto del lunes al domingo."),
        (set(range(7)), "Nuestro horario está en la página de contacto."),
    ],
)
def test_the_week_summary_in_spanish(app, closed, spanish):
    hours = {day: None if day in closed else DayHours(time(8), time(17, 30)) for day in range(7)}
    with app.test_request_context("/?lang=es"):
        assert week_summary(hours) == spanish


def test_the_book_page_describes_the_week_in_spanish(client):
    page = soup(client.get("/book?lang=es"))
    description = page.select_one("meta[name=description]")["content"]
    assert description.endswith("Abierto del lunes al sábado; cerrado el domingo.")


def test_the_waitlist_days_and_times_of_day_in_spanish(app, client, make_request, now):
    request_id = make_request(slot=november(30, 10), language="es")
    with app.app_context():
        path = "/appointments/" + links.manage_token(db.session.get(ConsultationRequest, request_id))
    page = soup(client.get(path + "?lang=es"))
    waitlist_box = page.select_one("#waitlist")
    labels = [label.get_text(" ", strip=True) for label in waitlist_box.select("label")]
    assert {"lunes", "sábado", "A cualquier hora del día"} <= set(labels)
    assert any(label.startswith("Por la mañana (citas que empiezan antes") for label in labels)
    assert not {"Monday", "Saturday", "Any time of day"} & set(labels)
    token = csrf_token_from(str(page))
    joined = client.post(
        path + "/waitlist",
        data={
            "csrf_token": token,
            "earliest": "11/23/2026",
            "days": ["mon", "fri"],
            "part_of_day": "morning",
        },
        follow_redirects=True,
    )
    wishes = soup(joined).select_one("#waitlist").get_text(" ", strip=True)
    assert "lunes, viernes" in wishes and "Por la mañana" in wishes
    assert "Monday" not in wishes and "Mornings" not in wishes


def test_refusals_from_the_services_are_in_spanish(app, client, make_request, now):
    request_id = make_request(slot=november(30, 10), language="es")
    with app.app_context():
        path = "/appointments/" + links.manage_token(db.session.get(ConsultationRequest, request_id))
    token = csrf_token_from(client.get(path + "?lang=es").get_data(as_text=True))
    refused = client.post(path + "/waitlist", data={"csrf_token": token, "earliest": "11/20/2026"})
    assert refused.status_code == 422
    assert (
        soup(refused)
        .select_one("#waitlist .error")
        .get_text(strip=True)
        .endswith("Elija hoy o un día posterior.")
    )
    same = client.post(path + "/reschedule", data={"csrf_token": token, "slot": "2026-11-30T10:00:00-05:00"})
    assert same.status_code == 422
    assert "Esa ya es la hora de su cita." in soup(same).select_one("#slot-error").get_text()


def test_a_bad_check_in_link_says_so_in_spanish(client):
    response = client.get("/check-ins/not-a-real-token?lang=es")
    assert response.status_code == 404
    assert "Este enlace no es válido." in soup(response).main.get_text()
