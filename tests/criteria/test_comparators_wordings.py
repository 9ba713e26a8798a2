"""Comparator wordings seen in real criteria (vocab/comparators.tsv): "greater" without "than",
"more or equal to", "> or = to", "exceeded", each read with its operator and its bound."""

from __future__ import annotations

import pytest

from trialfinder.criteria import AgeConstraint, Measurement, parse_criterion
from trialfinder.criteria.lexicon import comparator_op

# (criterion as written in a ClinicalTrials.gov record, analyte, low, high, inclusive)
READINGS = [
    ("Serum bilirubin greater 4 mg/dl", "bilirubin", 4.0, None, False),
    ("WBC greater 3,000/mm(3)", "wbc", 3000.0, None, False),
    ("Creatinine greater 1.5 x ULN", "creatinine", 1.5, None, False),
    (  # the negation governs the bound: at most 5 x ULN (round 29)
        "Must not have transaminases greater 5 x upper limit of normal",
        "transaminases",
        None,
        5,
        True,
    ),
    ("Bilirubin no greater 1.5 mg/dL", "bilirubin", None, 1.5, True),
    ("platelets more or equal to 100,000/mm3", "platelets", 100000.0, None, True),
    ("platelets more or equal 100,000/mm3", "platelets", 100000.0, None, True),
    ("Lymphocytes higher or equal to 4.0 per 10^9/L", "lymphocytes", 4.0, None, True),
    ("Neutrophils lower or equal to 1.5 per 10^9/L", "anc", None, 1.5, True),
    ("creatinine > or = to 1.5 mg/dL", "creatinine", 1.5, None, True),
    ("creatinine < or = to 1.5 mg/dL", "creatinine", None, 1.5, True),
    ("total bilirubin exceeded 2 mg/dL", "bilirubin", 2.0, None, False),
]


@pytest.mark.parametrize(
    ("text", "analyte", "low", "high", "inclusive"), READINGS, ids=[r[0] for r in READINGS]
)
def test_a_comparator_wording_is_read(
    text: str, analyte: str, low: float | None, high: float | None, inclusive: bool
) -> None:
    [found] = parse_criterion(text)
    assert isinstance(found, Measurement)
    bounds = found.bounds
    assert (found.analyte, bounds.low, bounds.high) == (analyte, low, high)
    assert (bounds.low_inclusive if low is not None else bounds.high_inclusive) is inclusive


@pytest.mark.parametrize(
    ("literal", "op"),
    [
        ("greater", "gt"),
        ("no greater", "le"),
        ("not greater", "le"),
        ("more or equal to", "ge"),
        ("more or equal", "ge"),
        ("higher or equal to", "ge"),
        ("lower or equal to", "le"),
        ("> or = to", "ge"),
        ("< or = to", "le"),
        ("exceeded", "gt"),
        ("exceeding", "gt"),
        ("less then", "lt"),
    ],
    ids=lambda value: str(value),
)
def test_a_comparator_literal_has_its_operator(literal: str, op: str) -> None:
    assert comparator_op(literal) == op


def test_greater_alone_is_no_comparator_without_a_number() -> None:
    assert [type(c).__name__ for c in parse_criterion("Greater saphenous vein graft")] == [
        "Unparsed"
    ]


def test_greater_still_gives_way_to_greater_than_and_or_greater() -> None:
    [age] = parse_criterion("age greater than or equal to 18 years")
    assert isinstance(age, AgeConstraint)
    assert (age.years.low, age.years.low_inclusive) == (18.0, True)
    [score] = parse_criterion("ECOG 2 or greater")
    assert (type(score).__name__, score.span) == ("ScoreConstraint", (0, 17))


def test_a_number_written_against_the_comparator_is_read() -> None:
    [found] = parse_criterion("hemoglobin level less than12 g/dL")
    assert isinstance(found, Measurement)
    assert (found.bounds.high, found.bounds.high_inclusive) == (12.0, False)
