"""The questionnaire of one trial and the profile its answers make."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from trialfinder.criteria import parse_criteria
from trialfinder.errors import QueryError
from trialfinder.match import evaluate_trial, profile_from_answers, questions_for
from trialfinder.model import Trial

TRIAL = msgspec.convert(
    {
        "nct_id": "NCT00000002",
        "overall_status": "RECRUITING",
        "sex": "FEMALE",
        "minimum_age_years": 18.0,
        "minimum_age": "18 Years",
        "eligibility_criteria": (
            "Inclusion Criteria:\n\n- Type 2 diabetes\n- eGFR >= 30 mL/min/1.73m2\n\n"
            "Exclusion Criteria:\n\n- Prior insulin therapy\n- Pregnant\n"
        ),
    },
    Trial,
)
PARSED = parse_criteria(TRIAL.eligibility_criteria)


def test_questions_cover_structured_criteria() -> None:
    questions = questions_for(PARSED, TRIAL)
    assert [(q.id, q.kind, q.text, q.unit) for q in questions] == [
        ("age", "age", "How old is the patient?", "years"),
        ("sex", "sex", "Sex", ""),
        (
            "condition-diabetesmellitustype2",
            "condition",
            "Does the patient have Type 2 diabetes?",
            "",
        ),
        ("lab-egfr", "measurement", "Latest egfr", "mL/min/1.73m2"),
        ("treatment-insulin", "treatment", "Has the patient had insulin therapy?", ""),
        ("pregnancy-pregnant", "pregnancy", "Is the patient pregnant?", ""),
    ]


def test_answers_decide_the_trial() -> None:
    questions = questions_for(PARSED, TRIAL)
    answers = {
        "age": "54",
        "sex": "female",
        "condition-diabetesmellitustype2": "yes",
        "lab-egfr": "62",
        "treatment-insulin": "no",
        "pregnancy-pregnant": "no",
    }
    profile = profile_from_answers(questions, answers)
    verdict = evaluate_trial(TRIAL, PARSED, profile, dt.date(2024, 1, 1))
    assert verdict.outcome == "eligible"


def test_dont_know_stays_unknown() -> None:
    questions = questions_for(PARSED, TRIAL)
    profile = profile_from_answers(questions, {"age": "54", "lab-egfr": ""})
    verdict = evaluate_trial(TRIAL, PARSED, profile, dt.date(2024, 1, 1))
    assert verdict.outcome == "possibly_eligible"
    assert verdict.unknown == 5


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            {"age": "secret-value-123"},
            "Answer to 'How old is the patient?' must be a number between 0 and 130",
        ),
        ({"sex": "secret-value-123"}, "Answer to 'Sex' must be one of female, male, unknown"),
    ],
    ids=["age-not-a-number", "sex-not-a-choice"],
)
def test_bad_answer_names_the_question_not_the_value(answers: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError) as error:
        profile_from_answers(questions_for(PARSED, TRIAL), answers)
    assert error.value.message == message
    assert "secret-value-123" not in error.value.message
