"""Intake screening: the PHQ-9 score and band, the triage priority and why a clinician should look.

Pure rules, no Flask: the intake service calls `screen` on submit and stores the result with the
request. Screening never declines anyone; it only orders the queue and says what to review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clinic.triage.enums import Phq9Band, Priority

PHQ9_QUESTION = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

# Indexed by the answer's value: PHQ9_ANSWERS[2] == "More than half the days".
PHQ9_ANSWERS: tuple[str, ...] = ("Not at all", "Several days", "More than half the days", "Nearly every day")

# The instrument's closing question: optional and never scored, but it tells the clinician how much the
# symptoms get in the way of daily life. Indexed by the answer's value, 0 to 3.
PHQ9_DIFFICULTY_QUESTION = (
    "If you checked off any problems, how difficult have these problems made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
PHQ9_DIFFICULTY_ANSWERS: tuple[str, ...] = (
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
)
# Shown under the questionnaire, as its authors ask (Kroenke, Spitzer and Williams, J Gen Intern Med 2001).
PHQ9_ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an "
    "educational grant from Pfizer Inc. No permission required to reproduce, translate, display or "
    "distribute."
)

# Conditions that route a request to clinician review, code -> plain-language label (SPEC section 4).
CONDITIONS: dict[str, str] = {
    "aneurysm": "Aneurysm or arteriovenous malformation",
    "brain_bleed": "Bleeding in the brain, stroke",
    "hypertension": "High blood pressure",
    "heart_disease": "Heart disease or irregular heartbeat",
    "psychosis": "Psychosis, schizophrenia or mania",
    "substance_use": "Alcohol or drug use problems",
    "pregnancy": "Pregnant, trying or breastfeeding",
    "seizures": "Seizures",
    "ketamine_allergy": "Allergy or bad reaction to ketamine or esketamine",
}
# The ones that match a contraindication on the esketamine label (aneurysmal vascular disease or
# arteriovenous malformation, intracerebral haemorrhage, hypersensitivity): if a clinician confirms one,
# esketamine is ruled out. The form still declines nobody; staff see it among the reasons.
LABEL_CONTRAINDICATIONS = frozenset({"aneurysm", "brain_bleed", "ketamine_allergy"})

SELF_HARM_ITEM = 9
SEVERE_SCORE = 20
TREATMENT_RESISTANT_TRIALS = 2
MAX_TRIALS = 20

# Upper bound of each band, inclusive, in order.
_BANDS: tuple[tuple[int, Phq9Band], ...] = (
    (4, Phq9Band.MINIMAL),
    (9, Phq9Band.MILD),
    (14, Phq9Band.MODERATE),
    (19, Phq9Band.MODERATELY_SEVERE),
    (27, Phq9Band.SEVERE),
)


@dataclass(frozen=True, slots=True)
class Screening:
    score: int
    band: Phq9Band
    priority: Priority
    treatment_resistant: bool
    review_reasons: tuple[str, ...]

    @property
    def self_harm(self) -> bool:
        """Item 9 answered above 0: show crisis resources and tell the clinic at once."""
        return self.priority is Priority.URGENT


def is_self_harm(answers: Sequence[int]) -> bool:
    """The crisis rule, for the intake and every check-in alike: PHQ-9 item 9 (thoughts of self-harm)
    answered above 0. The request is then urgent, the patient sees the crisis panel at once and the clinic
    is told at once."""
    return answers[SELF_HARM_ITEM - 1] > 0


def band_for(score: int) -> Phq9Band:
    if not 0 <= score <= 27:
        raise ValueError("a PHQ-9 score is between 0 and 27")
    return next(band for upper, band in _BANDS if score <= upper)


def phq9_score(answers: Sequence[int]) -> int:
    """The PHQ-9 total, 0-27, of nine answers each 0-3 (ValueError otherwise): intake and check-ins alike."""
    answers = tuple(answers)
    if len(answers) != len(PHQ9_ITEMS):
        raise ValueError("the PHQ-9 has nine answers")
    if any(isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= 3 for a in answers):
        raise ValueError("each PHQ-9 answer is 0, 1, 2 or 3")
    return sum(answers)


def screen(answers: Sequence[int], trials: int, conditions: Iterable[str]) -> Screening:
    """Score the PHQ-9 and decide the triage priority.

    urgent: item 9 (thoughts of self-harm) above 0; high: a score of 20 or more, or any condition
    ticked; routine otherwise. Two or more antidepressants tried marks the depression treatment-resistant.
    """
    answers = tuple(answers)
    score = phq9_score(answers)
    if isinstance(trials, bool) or not isinstance(trials, int) or not 0 <= trials <= MAX_TRIALS:
        raise ValueError(f"antidepressant trials are between 0 and {MAX_TRIALS}")
    chosen = set(conditions)
    if chosen - set(CONDITIONS):
        raise ValueError("unknown condition")
    ticked = [code for code in CONDITIONS if code in chosen]

    band = band_for(score)
    if is_self_harm(answers):
        priority = Priority.URGENT
    elif score >= SEVERE_SCORE or ticked:
        priority = Priority.HIGH
    else:
        priority = Priority.ROUTINE
    return Screening(
        score=score,
        band=band,
        priority=priority,
        treatment_resistant=trials >= TREATMENT_RESISTANT_TRIALS,
        review_reasons=review_reasons(answers, score, ticked),
    )


def review_reasons(answers: Sequence[int], score: int, conditions: Iterable[str]) -> tuple[str, ...]:
    """Why a clinician should look, in words: the answers already screened and stored with a request."""
    chosen = set(conditions)
    self_harm = answers[SELF_HARM_ITEM - 1]
    reasons: list[str] = []
    if self_harm > 0:
        reasons.append(f"Thoughts of self-harm (PHQ-9 item 9): {PHQ9_ANSWERS[self_harm].lower()}")
    if score >= SEVERE_SCORE:
        reasons.append(f"PHQ-9 score {score} (severe)")
    reasons.extend(
        f"Ticked: {CONDITIONS[code].lower()}"
        + (" (if confirmed, an esketamine contraindication)" if code in LABEL_CONTRAINDICATIONS else "")
        for code in CONDITIONS
        if code in chosen
    )
    return tuple(reasons)
