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


# The Spanish (US) form as published with the PHQ screeners (phqscreeners.com), compared word for word
# against copies of the printed form; the footer is the form's own attribution.
PUBLISHED_ITEMS = (
    "Poco interés o placer en hacer cosas",
    "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
    "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
    "Se ha sentido cansado(a) o con poca energía",
    "Sin apetito o ha comido en exceso",
    "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) o "
    "con su familia",
    "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la "
    "televisión",
    "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
    "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
    "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
)
PUBLISHED_FOOTER = (
    "Elaborado por los doctores Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke y colegas, mediante "
    "una subvención educativa otorgada por Pfizer Inc. No se requiere permiso para reproducir, traducir, "
    "presentar o distribuir."
)


def test_every_string_is_the_printed_form_word_for_word():
    assert phq9_es.PHQ9_QUESTION_ES == (
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes "
        "problemas?"
    )
    assert phq9_es.PHQ9_ITEMS_ES == PUBLISHED_ITEMS
    assert phq9_es.PHQ9_DIFFICULTY_QUESTION_ES == (
        "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer "
        "su trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?"
    )
    assert phq9_es.PHQ9_DIFFICULTY_ANSWERS_ES == (
        "No ha sido difícil",
        "Un poco difícil",
        "Muy difícil",
        "Extremadamente difícil",
    )
    assert phq9_es.PHQ9_SOURCE_ES.endswith(" " + PUBLISHED_FOOTER)
