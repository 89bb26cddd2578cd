"""Articles and the learn index are rendered once per worker for each URL, language and set of displayed
clinic details, and served again to visitors with no session (clinic/public/routes.py kept_for_visitors)."""

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import ClinicSettings
from clinic.public import articles
from clinic.services.rules import read

ARTICLE = "/learn/what-is-ketamine-therapy"


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The slugs of the articles actually loaded and rendered."""
    seen: list[str] = []
    load = articles.article

    def counting(slug, language):
        seen.append(slug)
        return load(slug, language)

    monkeypatch.setattr(articles, "article", counting)
    return seen


def test_a_visitor_gets_the_same_page_without_a_second_render(client, renders, queries):
    first = client.get(ARTICLE)
    with queries() as sent:
        second = client.get(ARTICLE)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert renders == ["what-is-ketamine-therapy"] and sent == []


def test_each_language_is_rendered_and_kept_apart(client, renders):
    english = client.get(ARTICLE).get_data(as_text=True)
    spanish = client.get(ARTICLE + "?lang=es").get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="es"' in spanish
    assert client.get(ARTICLE, headers={"Accept-Language": "es-MX"}).get_data(as_text=True) == spanish
    assert len(renders) == 3  # one per URL and language: the last is the plain URL in Spanish
    client.get(ARTICLE)  # Spanish still (the cookie ?lang=es set): the page kept just before
    assert len(renders) == 3


def test_a_visitor_with_a_session_gets_the_page_rendered_afresh(app, client, renders):
    client.get(ARTICLE)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    client.get(ARTICLE)
    assert len(renders) == 2


def test_a_new_phone_number_shows_once_the_layouts_copy_is_renewed(app, client):
    assert "(212) 555-0142" in client.get(ARTICLE).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(ClinicSettings).values(phone="(212) 555-0199"))
        db.session.commit()
        read.forget()  # as the admin change does in its own worker; others within SETTINGS_DISPLAY_SECONDS
    page = client.get(ARTICLE).get_data(as_text=True)
    assert "(212) 555-0199" in page and "(212) 555-0142" not in page


def test_an_unknown_article_is_never_kept(client, renders):
    assert client.get("/learn/no-such-article").status_code == 404
    assert client.get("/learn/no-such-article").status_code == 404
    assert renders == ["no-such-article", "no-such-article"]
