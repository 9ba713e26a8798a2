"""Rules round 31 (issue 5): a bound that defines a condition the criterion negates states the
complementary bound ("No renal failure (creatinine > 2.5)" is creatinine ≤ 2.5, "No hypotension
with systolic blood pressure less than 100" is systolic ≥ 100); a definition that goes on after
its bound (a conjunction), a bare colon and a negation that governs a verb keep the literal
reading, and the negated condition keeps its reading."""

from __future__ import annotations

import pytest

from support import Bound, age_years, lab_bounds, score_bounds
from trialfinder.criteria import parse_criterion
from trialfinder.criteria.constraints import ConditionConstraint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a bracket
        ("No renal failure (creatinine greater than 2.5 mg/dl)", [("creatinine", None, 2.5)]),
        (
            "No renal impairment (serum creatinine greater than 1.3 mg/dl)",
            [("creatinine", None, 1.3)],
        ),
        (
            "Must not have impaired renal function (creatinine greater than 1.6 mg/dl)",
            [("creatinine", None, 1.6)],
        ),
        ("No hypothyroidism (TSH greater than 6.0)", [("tsh", None, 6.0)]),
        ("No diabetes mellitus (FBS greater than 120 mg/dL)", [("glucose", None, 120.0)]),
        ("No anuria (urine output less than 50 mL/day)", [("urine_output", 50.0, None)]),
        # "i.e.", "defined as", "as indicated by"
        ("No severe anemia (i.e., hemoglobin less than 9.0 g/dL)", [("hemoglobin", 9.0, None)]),
        (
            "Patients must not have hypotension (i.e., systolic blood pressure less than 100 mmHg)",
            [("sbp", 100.0, None)],
        ),
        (
            "No pulmonary insufficiency (defined as oxygen saturation less than 90%)",
            [("oxygen_saturation", 90.0, None)],
        ),
        (
            "No severe renal insufficiency as indicated by a serum creatinine greater than 3.0",
            [("creatinine", None, 3.0)],
        ),
        # "with"
        (
            "No hypotension with basal sitting systolic arterial pressure less than 100 mm Hg",
            [("sbp", 100.0, None)],
        ),
        (
            "No diabetes with fasting blood glucose of 200 mg/dL or greater",
            [("glucose", None, 200.0)],
        ),
        # a definition that lists several bounds: each is complemented
        (
            "No severe renal insufficiency (Clcr less than 25 ml/min, BUN greater than 30 mg/dl,"
            " or creatinine greater than 2.0 mg/dl)",
            [("creatinine_clearance", 25.0, None), ("bun", None, 30.0), ("creatinine", None, 2.0)],
        ),
    ],
)
def test_a_bound_defining_a_negated_condition_reads_as_its_complement(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No congestive heart failure (NYHA class III/IV)", [("NYHA", None, 3.0)]),
        ("No severe heart failure (NYHA Class 4)", [("NYHA", None, 4.0)]),
    ],
)
def test_a_score_defining_a_negated_condition_reads_as_its_complement(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


def test_an_age_defining_a_negated_group_reads_as_its_complement() -> None:
    assert age_years("No minors (under 18 years of age)") == [(18.0, None)]


def test_the_negated_condition_keeps_its_reading() -> None:
    conditions = [
        (c.text, c.negated)
        for c in parse_criterion("No renal failure (creatinine greater than 2.5 mg/dl)")
        if isinstance(c, ConditionConstraint)
    ]
    assert conditions == [("renal failure", True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a definition that goes on is a conjunction: its complement is a disjunction
        (
            "No poorly controlled hypertension (diastolic greater than 110 mmHg and systolic"
            " greater than 180 mmHg)",
            [("dbp", 110.0, None), ("sbp", 180.0, None)],
        ),
        (
            "No disseminated intravascular coagulation defined as fibrinogen less than 100 mg/dL"
            " AND prolonged PT",
            [("fibrinogen", None, 100.0)],
        ),
        # the negation governs a verb: the bound describes the state the patient has
        (
            "Hypertension that cannot be well controlled by medication (systolic blood pressure"
            " greater than 150 mmHg)",
            [("sbp", 150.0, None)],
        ),
        # a bare colon opens a run-on list's section
        ("No hepatic disease Renal: Creatinine less than 2.5 mg/dL", [("creatinine", None, 2.5)]),
        # something other than a qualifier between the connector and the bound
        ("No chronic lung disease (unless DLCO at least 60%)", [("dlco", 60.0, None)]),
        # a bound in the condition's words: "No supine BP < 100/60 with pulse < 50" is a
        # conjunction; the pulse is read as written (the BP is round 29's)
        (
            "No supine blood pressure less than 100/60 mm Hg with pulse rate less than 50",
            [("sbp", 100.0, None), ("dbp", 60.0, None), ("heart_rate", None, 50.0)],
        ),
    ],
)
def test_other_definitions_keep_the_bound_as_written(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
