"""The eligibility questionnaire of one trial, and the profile built from its answers.

``questions_for`` asks what the trial's structured criteria need: age and sex (when limited),
each measurement with its unit, each score, pregnancy, and each condition or treatment as
yes / no / don't know. ``profile_from_answers`` turns the submitted form into a
``PatientProfile`` ("don't know" and blank answers add nothing, so they stay unknown).
Error messages name the question, never the value typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import msgspec

from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Measurement,
    ParsedCriteria,
    PregnancyConstraint,
    ScoreConstraint,
    SexConstraint,
    TreatmentConstraint,
)
from trialfinder.criteria.tables import normal_key
from trialfinder.errors import QueryError
from trialfinder.match.profile import Condition, Observation, PatientProfile, Score, Treatment
from trialfinder.model import Trial

__all__ = ["MAX_QUESTIONS", "Question", "profile_from_answers", "questions_for"]

MAX_QUESTIONS = 40
YES_NO = ("yes", "no", "unknown")
QuestionKind = Literal["age", "sex", "measurement", "score", "pregnancy", "condition", "treatment"]


class Question(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One question: ``id`` is the form field name; ``choices`` empty means a number."""

    id: str
    kind: QuestionKind
    text: str
    choices: tuple[str, ...] = ()
    unit: str = ""
    concept: str = ""
    loinc: str = ""


def _slug(text: str) -> str:
    return "".join(ch for ch in normal_key(text) if ch.isalnum())[:40]


def questions_for(parsed_criteria: ParsedCriteria, trial: Trial) -> list[Question]:
    """Return the questions that decide ``trial``'s structured criteria, most basic first."""
    found: dict[str, Question] = {}

    def add(question: Question) -> None:
        if question.id not in found and len(found) < MAX_QUESTIONS:
            found[question.id] = question

    constraints = [
        c
        for item in (*parsed_criteria.inclusion, *parsed_criteria.exclusion)
        for c in item.constraints
    ]
    if (
        trial.minimum_age_years is not None
        or trial.maximum_age_years is not None
        or any(isinstance(c, AgeConstraint) for c in constraints)
    ):
        add(Question(id="age", kind="age", text="How old is the patient?", unit="years"))
    if trial.sex in ("FEMALE", "MALE") or any(
        isinstance(c, SexConstraint | PregnancyConstraint) for c in constraints
    ):
        add(Question(id="sex", kind="sex", text="Sex", choices=("female", "male", "unknown")))
    for c in constraints:
        if isinstance(c, Measurement) and not c.uln_multiple and c.canonical is not None:
            name = c.analyte.replace("_", " ")
            unit = c.unit or c.canonical_unit
            add(
                Question(
                    id=f"lab-{_slug(c.analyte)}",
                    kind="measurement",
                    text=f"Latest {name}",
                    unit=unit,
                    concept=c.analyte,
                    loinc=c.loinc,
                )
            )
        elif isinstance(c, ScoreConstraint):
            add(
                Question(
                    id=f"score-{_slug(c.score)}",
                    kind="score",
                    text=f"{c.score} score",
                    concept=c.score,
                )
            )
        elif isinstance(c, PregnancyConstraint) and c.status in ("pregnant", "breastfeeding"):
            add(
                Question(
                    id=f"pregnancy-{c.status}",
                    kind="pregnancy",
                    text=f"Is the patient {c.status}?",
                    choices=YES_NO,
                    concept=c.status,
                )
            )
        elif isinstance(c, ConditionConstraint) and c.experiencer == "patient":
            add(
                Question(
                    id=f"condition-{_slug(c.concept)}",
                    kind="condition",
                    text=f"Does the patient have {c.text}?",
                    choices=YES_NO,
                    concept=c.concept,
                )
            )
        elif isinstance(c, TreatmentConstraint):
            add(
                Question(
                    id=f"treatment-{_slug(c.therapy)}",
                    kind="treatment",
                    text=f"Has the patient had {c.text}?",
                    choices=YES_NO,
                    concept=c.therapy,
                )
            )
    return list(found.values())


def _number(question: Question, text: str, low: float, high: float) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise QueryError(
            f"Answer to {question.text!r} must be a number between {low:g} and {high:g}",
            question.id,
        )
    return value


def profile_from_answers(questions: list[Question], answers: Mapping[str, str]) -> PatientProfile:
    """Return the profile the answers describe; unknown question ids in ``answers`` are ignored.

    Raises QueryError naming the question when an answer is not one of its choices or not a
    number in range.
    """
    age: float | None = None
    sex: Literal["female", "male"] | None = None
    pregnancy: Literal["pregnant", "breastfeeding", "not_pregnant"] | None = None
    conditions: list[Condition] = []
    treatments: list[Treatment] = []
    observations: list[Observation] = []
    scores: list[Score] = []
    for question in questions:
        answer = answers.get(question.id, "").strip()
        if not answer or answer == "unknown":
            continue
        if question.choices and answer not in question.choices:
            raise QueryError(
                f"Answer to {question.text!r} must be one of {', '.join(question.choices)}",
                question.id,
            )
        if question.kind == "age":
            age = _number(question, answer, 0, 130)
        elif question.kind == "sex":
            sex = "female" if answer == "female" else "male"
        elif question.kind == "measurement":
            value = _number(question, answer, -1e9, 1e12)
            observations.append(
                Observation(
                    loinc=question.loinc or None,
                    name=question.concept,
                    value=value,
                    unit=question.unit,
                )
            )
        elif question.kind == "score":
            scores.append(Score(name=question.concept, value=_number(question, answer, 0, 1e4)))
        elif question.kind == "pregnancy":
            if answer == "yes":
                pregnancy = "pregnant" if question.concept == "pregnant" else "breastfeeding"
            elif pregnancy is None and question.concept == "pregnant":
                pregnancy = "not_pregnant"
        elif question.kind == "condition":
            conditions.append(Condition(text=question.concept, negated=answer == "no"))
        elif question.kind == "treatment":
            treatments.append(Treatment(name=question.concept, negated=answer == "no"))
    return PatientProfile(
        age_years=age,
        sex=sex,
        pregnancy=pregnancy,
        conditions=conditions,
        treatments=treatments,
        observations=observations,
        scores=scores,
    )
