"""Every page is in the clinic's own words: no run of 8 words in a row shared with a source text.

tests/data/source-shingles.txt holds fingerprints of every 8-word run of the texts the pages were first
drafted from (tests/data/README.md says how they are made). Each page is rendered through the test client,
its visible text fingerprinted the same way, and any match fails the test with the page and the words.
"""

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.content.pages import rendered_pages

SHINGLES = Path(__file__).resolve().parents[1] / "data" / "source-shingles.txt"
RUN = 8
WORD = re.compile(r"[a-z0-9']+")


def load_fingerprints() -> frozenset[str]:
    return frozenset(
        line.strip() for line in SHINGLES.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def runs(text: str) -> Iterator[tuple[str, str]]:
    """(fingerprint, words) for every run of 8 consecutive words of `text`."""
    words = WORD.findall(text.lower().replace("\u2019", "'"))
    for start in range(len(words) - RUN + 1):
        run = " ".join(words[start : start + RUN])
        yield hashlib.sha1(run.encode("utf-8")).hexdigest()[:16], run


def shared_runs(text: str, fingerprints: frozenset[str]) -> list[str]:
    return [run for fingerprint, run in runs(text) if fingerprint in fingerprints]


@pytest.fixture(scope="module")
def fingerprints() -> frozenset[str]:
    return load_fingerprints()


def test_the_fingerprint_list_is_the_full_one(fingerprints):
    assert len(fingerprints) > 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", fingerprint) for fingerprint in fingerprints)


def test_the_check_finds_copied_wording(fingerprints):
    """The check itself can fail: a sentence the first drafts shared with a source is caught, in any
    case, with either apostrophe and any punctuation between the words."""
    copied = (
        "With ketamine, people Often notice improvements in mood, energy and motivation within hours or days."
    )
    assert shared_runs(copied, fingerprints) == [
        "often notice improvements in mood energy and motivation",
        "notice improvements in mood energy and motivation within",
        "improvements in mood energy and motivation within hours",
        "in mood energy and motivation within hours or",
        "mood energy and motivation within hours or days",
    ]
    assert shared_runs("People notice a lift in mood within hours or days.", fingerprints) == []


def test_fingerprints_follow_the_documented_recipe():
    ((fingerprint, words),) = list(runs("Don\u2019t  stop: ONE two three-four five six"))
    assert words == "don't stop one two three four five six"
    assert fingerprint == hashlib.sha1(words.encode()).hexdigest()[:16]


def test_no_page_shares_eight_words_in_a_row_with_a_source(app, client, fingerprints):
    checked, problems = [], []
    for name, text in rendered_pages(app, client):
        checked.append(name)
        problems.extend(f"{name}: “{run}”" for run in dict.fromkeys(shared_runs(text, fingerprints)))
    assert not problems, "Pages share wording with a source text; reword:\n" + "\n".join(problems)
    # Every kind of page was really rendered and checked.
    assert {"/", "/learn/", "/contact", "/book", "/privacy"} <= set(checked)
    assert any(name.startswith("/consultation?slot=") for name in checked)
    assert any("just submitted" in name for name in checked)
    assert any(name.endswith("/reschedule") for name in checked)
    assert sum(name.startswith("/learn/") and name != "/learn/" for name in checked) >= 10
    assert sum(name.startswith("error page") for name in checked) >= 8
