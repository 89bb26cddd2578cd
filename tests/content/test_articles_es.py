"""The Spanish articles: one for every English article, with the same slug, the same front matter keys and
the same source links, loadable by the same front-matter reader, and written at grade 6 to 8 in Spanish.

Readability is the Fernández-Huerta score (textstat 0.7.4, language "es"), the Spanish adaptation of the
Flesch reading ease: 206.84 - 60 x (syllables per word) - 1.02 x (words per sentence). Its scale
(Fernández Huerta 1959, as tabulated by legible.es):

    90-100  muy fácil          grade 4
    80-90   fácil              grade 5
    70-80   bastante fácil     grade 6
    60-70   normal             grades 7 and 8
    50-60   bastante difícil   pre-university
    30-50   difícil            selective courses
     0-30   muy difícil        university

So grade 6 to 8 is a true score from 60 to 80. textstat reads high in Spanish, for two reasons: it rounds
syllables per word to one decimal before the formula (one step of 0.1 moves the score by 6 points), and its
syllables come from pyphen's hyphenation points, which miss a vowel at the start of a word and vowels in
hiatus ("ayuda" counts 2, "día" counts 1). On these articles textstat's score is 4 to 10 points above the
same formula with Spanish syllables counted by rule (`spanish_syllables` below). So two checks:
textstat's score is from 70 to 85, and the score with counted syllables is from 60 to 80 (grade 6 to 8).

The text measured is the article as a reader sees it: Markdown rendered and stripped to its words,
placeholders filled in with a typical value, each heading, paragraph and list item counted as its own
sentence, and the list of sources left out (references, not prose).
"""

import re
from pathlib import Path

import frontmatter
import pytest
import textstat
from bs4 import BeautifulSoup

from clinic.public import articles, placeholders

EN_DIR = articles.ARTICLES_DIR
ES_DIR = EN_DIR / "es"
EN_SLUGS = sorted(path.stem for path in EN_DIR.glob("*.md"))
SOURCES_EN = "Sources"
SOURCES_ES = "Fuentes"
NEXT_STEP_ES = "Próximo paso"
GRADE_6_TO_8 = (60.0, 80.0)  # Fernández-Huerta, syllables counted by rule
TEXTSTAT_GRADE_6_TO_8 = (70.0, 85.0)  # the same band as textstat scores it (see above)
VOWELS = set("aeiouáéíóúü")
STRONG_VOWELS = set("aeoáéó")  # two of these side by side are two syllables (hiatus)
STRESSED_WEAK_VOWELS = set("íú")  # as are a stressed i or u beside any vowel (dí-a, o-ír)
# A typical value for each placeholder, only so that the measured text reads like the served page.
SAMPLE_VALUES = {"consultation_length": "30 minutos", "clinic_name": "nuestra clínica", "clinic_phone": "555"}


def post(path: Path) -> frontmatter.Post:
    return frontmatter.loads(path.read_text(encoding="utf-8"))


def sources_section(content: str, heading: str) -> str:
    """The Markdown under the '## <heading>' of an article (its list of sources)."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", content, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no '## {heading}' section"
    return match.group(1)


def links(markdown: str) -> set[str]:
    return set(re.findall(r"\]\((https://[^)\s]+)\)", markdown))


def readable_text(markdown: str) -> str:
    """The article's words as a reader sees them, one sentence per heading, paragraph and list item,
    without the list of sources."""
    filled = placeholders.PLACEHOLDER.sub(lambda m: SAMPLE_VALUES[m.group(1)], markdown)
    html, _ = articles.render_markdown(filled)
    page = BeautifulSoup(html, "html.parser")
    sources = page.find("h2", string=SOURCES_ES)
    if sources is not None:
        for node in [sources, *sources.find_next_siblings()]:
            node.decompose()
    sentences = []
    for block in page.find_all(["h2", "h3", "h4", "p", "li"]):
        words = " ".join(block.get_text(" ").split())
        if words:
            sentences.append(words if words[-1] in ".:;!?" else words + ".")
    return " ".join(sentences)


def spanish_syllables(word: str) -> int:
    """Syllables of a Spanish word by the rules of diphthong and hiatus: one per vowel group, plus one for
    each strong-strong pair and each stressed i or u beside another vowel. The u of que/qui/gue/gui is
    silent, and a final y is a vowel."""
    word = re.sub(r"(?<=[qg])u(?=[eiéí])", "", word.lower())
    word = re.sub(r"y$", "i", word)
    count, previous = 0, ""
    for letter in word:
        if letter in VOWELS:
            if not previous:
                count += 1
            elif (previous in STRONG_VOWELS and letter in STRONG_VOWELS) or STRESSED_WEAK_VOWELS & {
                previous,
                letter,
            }:
                count += 1
            previous = letter
        else:
            previous = ""
    return max(count, 1)


def counted_fernandez_huerta(text: str) -> float:
    """The Fernández-Huerta formula with syllables counted by rule, sentences counted by textstat."""
    words = re.findall(r"[^\W\d_]+", text)
    textstat.set_lang("es")
    try:
        sentences = textstat.sentence_count(text)
    finally:
        textstat.set_lang("en_US")
    syllables_per_word = sum(spanish_syllables(word) for word in words) / len(words)
    return round(206.84 - 60 * syllables_per_word - 1.02 * len(words) / sentences, 2)


def fernandez_huerta(text: str) -> float:
    textstat.set_lang("es")
    try:
        return textstat.fernandez_huerta(text)
    finally:
        textstat.set_lang("en_US")


def test_there_are_nine_english_articles_and_nine_spanish_ones():
    assert len(EN_SLUGS) == 9
    assert sorted(path.stem for path in ES_DIR.glob("*.md")) == EN_SLUGS


def test_the_english_loader_does_not_pick_up_the_spanish_files():
    assert {item.slug for item in articles.all_articles()} == set(EN_SLUGS)


@pytest.mark.parametrize("slug", EN_SLUGS)
def test_spanish_article_has_the_same_front_matter_and_sources(slug):
    english, spanish = post(EN_DIR / f"{slug}.md"), post(ES_DIR / f"{slug}.md")
    assert set(spanish.keys()) == set(english.keys())
    assert spanish["order"] == english["order"]
    for key in ("title", "summary"):
        assert isinstance(spanish[key], str) and spanish[key].strip()
        assert spanish[key] != english[key], f"{slug}: {key} is not translated"
    en_sources = sources_section(english.content, SOURCES_EN)
    es_sources = sources_section(spanish.content, SOURCES_ES)
    assert links(es_sources) == links(en_sources)
    assert es_sources.count("\n- ") == en_sources.count("\n- "), "one Spanish source per English source"
    # The settings-dependent placeholders are kept exactly as the English file writes them.
    assert placeholders.names_in(spanish.content) == placeholders.names_in(english.content)
    assert placeholders.names_in(spanish.content) <= set(placeholders.VALUES)


@pytest.mark.parametrize("slug", EN_SLUGS)
def test_spanish_article_renders_with_the_same_links_and_ending(slug):
    english, spanish = post(EN_DIR / f"{slug}.md"), post(ES_DIR / f"{slug}.md")
    en_html, _ = articles.render_markdown(english.content)
    es_html, _ = articles.render_markdown(spanish.content)
    en_page, es_page = BeautifulSoup(en_html, "html.parser"), BeautifulSoup(es_html, "html.parser")
    site_links = {a["href"] for a in en_page.find_all("a") if a["href"].startswith("/")}
    assert site_links == {a["href"] for a in es_page.find_all("a") if a["href"].startswith("/")}
    headings = [h.get_text() for h in es_page.find_all("h2")]
    assert headings[-2:] == [NEXT_STEP_ES, SOURCES_ES]
    assert len(headings) == len(en_page.find_all("h2"))


@pytest.mark.parametrize("slug", EN_SLUGS)
def test_spanish_crisis_wording_gives_the_spanish_988_options(slug):
    """Where the English page gives crisis numbers, the Spanish one gives them too, with the Lifeline's
    Spanish options: call 988 and press 2, or text AYUDA to 988."""
    english, spanish = post(EN_DIR / f"{slug}.md").content, post(ES_DIR / f"{slug}.md").content
    for number in ("911", "988"):
        assert (number in spanish) == (number in english), f"{slug}: {number}"
    if "call or text 988" in english:
        assert "marque el 2" in spanish, slug
        assert "AYUDA por texto al 988" in spanish, slug
    if "chat at [988lifeline.org]" in english:
        assert "[988lineadevida.org](https://988lineadevida.org)" in spanish, slug


@pytest.mark.parametrize("slug", EN_SLUGS)
def test_spanish_article_reads_at_grade_6_to_8(slug):
    text = readable_text(post(ES_DIR / f"{slug}.md").content)
    score, counted = fernandez_huerta(text), counted_fernandez_huerta(text)
    assert TEXTSTAT_GRADE_6_TO_8[0] <= score <= TEXTSTAT_GRADE_6_TO_8[1], f"{slug}: textstat {score}"
    assert GRADE_6_TO_8[0] <= counted <= GRADE_6_TO_8[1], f"{slug}: counted syllables {counted}"


def test_spanish_syllables_are_counted_by_rule():
    cases = {
        "ayuda": 3,
        "día": 2,
        "aerosol": 4,
        "tratamiento": 4,
        "ketamina": 4,
        "que": 1,
        "guerra": 2,
        "hoy": 1,
        "país": 2,
        "ciudad": 2,
        "arteriovenosa": 6,
    }
    assert {word: spanish_syllables(word) for word in cases} == cases


def test_the_spanish_readability_measure_can_fail():
    hard = (
        "La antagonización farmacológica de los receptores glutamatérgicos ionotrópicos desencadena "
        "modificaciones neuroplásticas considerablemente significativas en circuitos corticolímbicos."
    )
    easy = "Yo voy a la casa. Mi mamá me ve. Es de día."
    assert fernandez_huerta(readable_text(hard)) < TEXTSTAT_GRADE_6_TO_8[0]
    assert counted_fernandez_huerta(readable_text(hard)) < GRADE_6_TO_8[0]
    assert fernandez_huerta(readable_text(easy)) > TEXTSTAT_GRADE_6_TO_8[1]
    assert counted_fernandez_huerta(readable_text(easy)) > GRADE_6_TO_8[1]


def test_no_spanish_article_shares_eight_words_in_a_row_with_a_source():
    """The originality check of tests/data (README there) on the Spanish text: title, summary and body.

    Its fingerprints come from English source texts and its word pattern is ASCII ([a-z0-9']+), so on
    Spanish it can only catch English wording left in a page (such as a pasted sentence); it cannot catch
    a close translation of a source. It is run all the same, so that nothing copied slips in."""
    from tests.content.test_originality import load_fingerprints, shared_runs

    fingerprints = load_fingerprints()
    problems = []
    for slug in EN_SLUGS:
        spanish = post(ES_DIR / f"{slug}.md")
        html, _ = articles.render_markdown(spanish.content)
        body = BeautifulSoup(html, "html.parser").get_text(" ")
        text = " ".join([spanish["title"], spanish["summary"], body])
        problems.extend(f"{slug}: {run}" for run in shared_runs(text, fingerprints))
    assert not problems, "\n".join(problems)
