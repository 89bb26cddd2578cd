"""A Spanish-speaking patient on a phone (SPEC section 14): a browser that asks for Spanish (es-MX) gets the
site in Spanish with no parameter, reads an article in Spanish, books, makes a mistake, answers item 9,
meets the crisis panel in Spanish, opens the Spanish email's link elsewhere, and cancels; axe finds no
serious violation on the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one live server

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
EMAIL = "paciente.espanol@example.com"


def pick_first_free_slot(page: Page, max_weeks: int = 4) -> None:
    for _ in range(max_weeks):
        slots = page.locator("a.slot")
        if slots.count():
            slots.first.click()
            page.wait_for_url("**/consultation?slot=*")
            return
        page.get_by_role("link", name=re.compile("Semana siguiente")).click()
    raise AssertionError("no free slot in the next weeks")


def fill_intake(page: Page, **overrides: str) -> None:
    for name, value in {**PATIENT, "email": EMAIL, "last_name": "Espanol", **overrides}.items():
        page.locator(f"[name='{name}']").fill(value)
    page.locator("input[name='preferred_contact'][value='email']").check()
    for item, answer in enumerate([1, 2, 1, 1, 1, 1, 1, 1, 1], start=1):  # item 9 = 1
        page.locator(f"input[name='phq9_{item}'][value='{answer}']").check()
    page.locator("[name='antidepressant_trials']").fill("3")
    page.locator("input[name='modality'][value='infusion']").check()
    page.locator("input[name='consent_privacy']").check()
    page.locator("input[name='consent_contact']").check()


@pytest.fixture
def phone_in(browser, browser_context_args):
    """`phone_in(locale)`: a new phone browser in that language (es-MX sends Accept-Language: es-MX)."""
    opened = []

    def open_context(locale: str):
        context = browser.new_context(**{**browser_context_args, **PHONE, "locale": locale})
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def test_a_spanish_speaker_on_a_phone_books_gets_help_and_cancels(phone_in, live_server, axe):
    context = phone_in("es-MX")
    context.set_default_timeout(10_000)
    page = context.new_page()

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".skip-link")).to_have_text("Saltar al contenido principal")
    expect(page.locator(".language-switch a")).to_have_text("English")
    axe(page)

    # An article first, from the home page: the Spanish article, not the English one.
    page.get_by_role("link", name="¿Qué es la terapia con ketamina?").first.click()
    expect(page).to_have_url(re.compile(r"/learn/what-is-ketamine-therapy$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("¿Qué es la terapia con ketamina?")
    expect(page.locator("article")).to_contain_text("La depresión afecta a millones de personas.")
    expect(page.locator("article")).not_to_contain_text("Depression affects")
    axe(page)

    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Pedir una consulta").click()
    expect(page).to_have_url(re.compile(r"/book"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Elija una hora para su primera consulta")
    axe(page)
    pick_first_free_slot(page)
    expect(page.locator("#phq9_1-0").locator("xpath=ancestor::fieldset/legend")).to_have_text(
        "1. Poco interés o placer en hacer cosas"
    )

    # A mistake first: the message is in Spanish, beside the field, and the rest is kept.
    fill_intake(page, first_name="")
    page.get_by_role("button", name="Pedir esta consulta").click()
    expect(page.locator("#first_name-error")).to_have_text("Por favor, escriba su nombre.")
    axe(page)
    page.locator("[name='first_name']").fill("Renée")
    page.locator("input[name='consent_privacy']").check()
    page.locator("input[name='consent_contact']").check()
    page.get_by_role("button", name="Pedir esta consulta").click()
    page.wait_for_url(re.compile(r"/appointments/[^/]+$"))

    panel = page.locator("#crisis-help")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_contain_text("mejor muerto(a)")
    expect(panel).to_contain_text("oprima 2")
    expect(panel).to_contain_text("AYUDA")
    expect(panel.locator("a[href='https://988lineadevida.org']")).to_be_visible()
    axe(page)

    sent = live_server.app.extensions["mailman"].outbox
    email = next(m for m in reversed(sent) if EMAIL in m.to)
    assert email.subject.startswith("Su consulta con ")
    assert email.body.startswith("Hola, Renée:")
    link = re.search(r"https?://\S+?(/appointments/\S+)\s", email.body).group(1)

    # The link opened on another phone set to English: the link alone keeps Spanish.
    later = phone_in("en-US").new_page()
    later.set_default_timeout(10_000)
    assert later.goto(link).status == 200
    expect(later.locator("html")).to_have_attribute("lang", "es")
    expect(later.get_by_role("heading", level=1)).to_have_text("Su consulta")
    expect(later.locator("#support")).to_be_visible()
    axe(later)

    later.get_by_role("link", name="Cancelar mi consulta").click()
    expect(later.get_by_role("heading", level=1)).to_contain_text("¿Cancelar su consulta del")
    axe(later)
    later.get_by_role("button", name="Sí, cancelar mi consulta").click()
    expect(later.locator(".flash")).to_have_text(
        "Su consulta está cancelada. Le enviamos una confirmación por correo electrónico."
    )
    cancelled = next(m for m in reversed(sent) if EMAIL in m.to)
    assert cancelled is not email and cancelled.body.startswith("Hola, Renée:")
    assert "está cancelada" in cancelled.body
