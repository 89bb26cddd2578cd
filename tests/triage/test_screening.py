"""The screening rules, on every band edge: pure functions, no app."""

import pytest

from clinic.triage.enums import Phq9Band, Priority
from clinic.triage.screening import (
    CONDITIONS,
    LABEL_CONTRAINDICATIONS,
    PHQ9_ANSWERS,
    PHQ9_ATTRIBUTION,
    PHQ9_DIFFICULTY_ANSWERS,
    PHQ9_DIFFICULTY_QUESTION,
    PHQ9_ITEMS,
    band_for,
    screen,
)


def answers_for(score: int, item9: int = 0) -> list[int]:
    """Nine answers adding up to `score`, with item 9 as given."""
    answers, left = [0] * 9, score - item9
    answers[8] = item9
    for i in range(8):
        answers[i] = min(3, left)
        left -= answers[i]
    assert left == 0 and sum(answers) == score
    return answers


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, Phq9Band.MINIMAL),
        (4, Phq9Band.MINIMAL),
        (5, Phq9Band.MILD),
        (9, Phq9Band.MILD),
        (10, Phq9Band.MODERATE),
        (14, Phq9Band.MODERATE),
        (15, Phq9Band.MODERATELY_SEVERE),
        (19, Phq9Band.MODERATELY_SEVERE),
        (20, Phq9Band.SEVERE),
        (27, Phq9Band.SEVERE),
    ],
)
def test_band_edges(score, band):
    assert band_for(score) is band
    result = screen(answers_for(score, item9=3 if score == 27 else 0), 0, [])
    assert result.score == score
    assert result.band is band


@pytest.mark.parametrize("score", [-1, 28])
def test_band_refuses_impossible_scores(score):
    with pytest.raises(ValueError):
        band_for(score)


@pytest.mark.parametrize(
    ("score", "priority"),
    [(0, Priority.ROUTINE), (19, Priority.ROUTINE), (20, Priority.HIGH), (24, Priority.HIGH)],
)
def test_priority_by_score_without_self_harm(score, priority):
    assert screen(answers_for(score), 0, []).priority is priority


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_self_harm_answer_is_urgent_whatever_the_score(item9):
    result = screen(answers_for(item9, item9=item9), 0, [])
    assert result.priority is Priority.URGENT
    assert result.self_harm
    assert result.review_reasons[0].startswith("Thoughts of self-harm (PHQ-9 item 9)")
    assert PHQ9_ANSWERS[item9].lower() in result.review_reasons[0]


def test_item9_zero_is_not_urgent():
    result = screen([3, 3, 3, 3, 3, 3, 0, 0, 0], 0, [])
    assert result.priority is Priority.ROUTINE
    assert not result.self_harm
    assert result.review_reasons == ()


def test_urgent_outranks_conditions_and_severe_score():
    result = screen([3] * 9, 5, ["psychosis"])
    assert result.priority is Priority.URGENT
    assert result.review_reasons == (
        "Thoughts of self-harm (PHQ-9 item 9): nearly every day",
        "PHQ-9 score 27 (severe)",
        "Ticked: psychosis, schizophrenia or mania",
    )


@pytest.mark.parametrize("code", sorted(CONDITIONS.keys() - LABEL_CONTRAINDICATIONS))
def test_any_condition_routes_to_clinician_review(code):
    result = screen([0] * 9, 0, [code])
    assert result.priority is Priority.HIGH
    assert result.review_reasons == (f"Ticked: {CONDITIONS[code].lower()}",)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("aneurysm", "Ticked: aneurysm or arteriovenous malformation"),
        ("brain_bleed", "Ticked: bleeding in the brain, stroke"),
        ("ketamine_allergy", "Ticked: allergy or bad reaction to ketamine or esketamine"),
    ],
)
def test_a_label_contraindication_is_named_for_staff_but_declines_nobody(code, reason):
    result = screen([0] * 9, 0, [code])
    assert result.priority is Priority.HIGH  # routed to a clinician, never refused by the form
    assert result.review_reasons == (f"{reason} (if confirmed, an esketamine contraindication)",)


def test_reasons_list_conditions_in_checklist_order_once():
    result = screen([0] * 9, 0, ["seizures", "hypertension", "hypertension"])
    assert result.review_reasons == ("Ticked: high blood pressure", "Ticked: seizures")


def test_severe_score_reason():
    assert screen(answers_for(20), 0, []).review_reasons == ("PHQ-9 score 20 (severe)",)


@pytest.mark.parametrize(("trials", "resistant"), [(0, False), (1, False), (2, True), (20, True)])
def test_treatment_resistant_from_two_trials(trials, resistant):
    assert screen([0] * 9, trials, []).treatment_resistant is resistant


@pytest.mark.parametrize(
    ("answers", "trials", "conditions"),
    [
        ([0] * 8, 0, []),
        ([0] * 10, 0, []),
        ([0] * 8 + [4], 0, []),
        ([0] * 8 + [-1], 0, []),
        ([0] * 8 + [True], 0, []),
        ([0] * 9, -1, []),
        ([0] * 9, 21, []),
        ([0] * 9, 0, ["migraine"]),
    ],
)
def test_screen_refuses_impossible_input(answers, trials, conditions):
    with pytest.raises(ValueError):
        screen(answers, trials, conditions)


def test_constants_are_the_standard_phq9():
    assert len(PHQ9_ITEMS) == 9
    assert PHQ9_ITEMS[0] == "Little interest or pleasure in doing things"
    assert PHQ9_ITEMS[8].startswith("Thoughts that you would be better off dead")
    assert PHQ9_ANSWERS == ("Not at all", "Several days", "More than half the days", "Nearly every day")
    assert set(CONDITIONS) == {
        "aneurysm",
        "brain_bleed",
        "hypertension",
        "heart_disease",
        "psychosis",
        "substance_use",
        "pregnancy",
        "seizures",
        "ketamine_allergy",
    }


def test_conditions_are_spec_codes_in_order_with_spec_labels():
    """SPEC section 4 lists the codes and their plain-language labels, in this order."""
    assert list(CONDITIONS.items()) == [
        ("aneurysm", "Aneurysm or arteriovenous malformation"),
        ("brain_bleed", "Bleeding in the brain, stroke"),
        ("hypertension", "High blood pressure"),
        ("heart_disease", "Heart disease or irregular heartbeat"),
        ("psychosis", "Psychosis, schizophrenia or mania"),
        ("substance_use", "Alcohol or drug use problems"),
        ("pregnancy", "Pregnant, trying or breastfeeding"),
        ("seizures", "Seizures"),
        ("ketamine_allergy", "Allergy or bad reaction to ketamine or esketamine"),
    ]
    assert LABEL_CONTRAINDICATIONS < set(CONDITIONS)


def test_closing_question_and_attribution_are_the_instruments_own():
    assert PHQ9_DIFFICULTY_QUESTION.startswith("If you checked off any problems, how difficult have these")
    assert PHQ9_DIFFICULTY_QUESTION.endswith("or get along with other people?")
    assert PHQ9_DIFFICULTY_ANSWERS == (
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    )
    assert "Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke" in PHQ9_ATTRIBUTION
    assert "educational grant from Pfizer Inc." in PHQ9_ATTRIBUTION


def test_conditions_may_be_any_iterable():
    assert screen([0] * 9, 0, iter(["pregnancy"])).priority is Priority.HIGH
