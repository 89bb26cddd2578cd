"""The Spanish (US) PHQ-9 data has the English form's shape, and its source is cited beside it."""

import ast
from pathlib import Path

from clinic.triage import phq9_es, screening


def test_the_spanish_phq9_mirrors_the_english_shapes():
    assert len(phq9_es.PHQ9_ITEMS_ES) == len(screening.PHQ9_ITEMS) == 9
    assert len(phq9_es.PHQ9_ANSWERS_ES) == len(screening.PHQ9_ANSWERS) == 4
    assert len(phq9_es.PHQ9_DIFFICULTY_ANSWERS_ES) == len(screening.PHQ9_DIFFICULTY_ANSWERS) == 4
    assert phq9_es.PHQ9_DIFFICULTY_ES["question"] == phq9_es.PHQ9_DIFFICULTY_QUESTION_ES
    assert phq9_es.PHQ9_DIFFICULTY_ES["answers"] == phq9_es.PHQ9_DIFFICULTY_ANSWERS_ES
    assert all(text.strip() == text and text for text in phq9_es.PHQ9_ITEMS_ES)


def test_the_spanish_wording_is_the_published_one():
    assert phq9_es.PHQ9_QUESTION_ES.startswith("Durante las últimas 2 semanas")
    assert phq9_es.PHQ9_ANSWERS_ES == (
        "Ningún día",
        "Varios días",
        "Más de la mitad de los días",
        "Casi todos los días",
    )
    assert (
        phq9_es.PHQ9_ITEMS_ES[8]
        == "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    assert "EE. UU." in phq9_es.PHQ9_SOURCE_ES and "Pfizer" in phq9_es.PHQ9_SOURCE_ES
    assert "Kroenke" in phq9_es.PHQ9_SOURCE_ES


def test_the_data_file_imports_nothing():
    tree = ast.parse(Path(phq9_es.__file__).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
