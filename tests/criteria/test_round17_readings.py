"""Round 17 (issue 5): a list of analytes that shares the words before its value ("SGOT and
total bilirubin should be less than 2X ULN"), also in a bracket ("(AST or ALT) ≤ 3 × ULN");
comparators written with the side before "equal" ("below or equal to", "equal to or above") or
as a value that must "not fall below"; and the plural "viral loads"."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds
from trialfinder.criteria import Measurement, parse_criterion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SGOT and total bilirubin should be less than 2X upper limits of normal",
            [("ast", None, 2.0), ("bilirubin", None, 2.0)],
        ),
        ("AST and ALT values must be ≤ 2.5 × ULN", [("ast", None, 2.5), ("alt", None, 2.5)]),
        (
            "Alkaline phosphatase and transaminases (ALT and AST) may be up to 1.5 x upper limit "
            "of normal (ULN)",
            [("alp", None, 1.5), ("alt", None, 1.5), ("ast", None, 1.5)],
        ),
        (
            "SGOT, SGPT or alkaline phosphatase value of greater than three times the upper "
            "limit of normal",
            [("ast", 3.0, None), ("alt", 3.0, None), ("alp", 3.0, None)],
        ),
        (
            "AST/SGOT and/or ALT/SGPT no greater than 1.5 times ULN",
            [("ast", None, 1.5), ("alt", None, 1.5)],
        ),
        (
            "Serum glutamate oxaloacetate transaminase (SGOT) and serum glutamate pyruvate\n"
            "             transaminase (SGPT) no greater than 1.5 times ULN",
            [("ast", None, 1.5), ("alt", None, 1.5)],
        ),
        (
            "Hemoglobin and hematocrit are required to be at least 10 g/dL",
            [("hemoglobin", 10.0, None)],
        ),
        # a bracket opened before the list closes after it
        ("(AST or ALT) ≤ 3 x ULN", [("ast", None, 3.0), ("alt", None, 3.0)]),
        (
            "liver function tests (AST and ALT) < 2.5 x ULN",
            [("ast", None, 2.5), ("alt", None, 2.5)],
        ),
        (
            "Liver function tests (SGOT, and total bilirubin) should be less than 2X upper limits "
            "of normal",
            [("ast", None, 2.0), ("bilirubin", None, 2.0)],
        ),
        (
            "abnormal liver function tests (AST or ALT) (more than 3.5 times the upper level of "
            "the normal value)",
            [("ast", 3.5, None), ("alt", 3.5, None)],
        ),
        (
            "Pulmonary function tests (DLCO and spirometry) greater than 60% predicted",
            [("dlco", 60.0, None)],
        ),
    ],
)
def test_a_list_of_analytes_shares_the_words_before_its_value(
    text: str, expected: list[Bound]
) -> None:
    assert sorted(lab_bounds(text), key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(
    ("text", "not_read"),
    [
        # a further list item after the last name: the value is not the LH's
        (
            "Normal serum total T, LH, FSH, urine analyses, and sperm count > or equal to "
            "15million/ml",
            "lh",
        ),
        # one quotient of two names, not a list
        ("urine protein (albumin)/creatinine ratio of ≥1.0", "proteinuria"),
        # a change ("prolonged by"), not a level: the list does not spread it to PT
        ("PT or PTT prolonged by greater than 2 seconds", "pt"),
        # a short form in brackets is no second name
        ("the International Standardized Ratio of Prothrombin Time (INR) is less than 1.5", "pt"),
        # the words between two names are no connector: each keeps its own value
        ("anemia or thrombocytopenia requiring transfusion, platelets < 50,000/mm3", "hemoglobin"),
        ("hemoglobin and platelets within normal limits, creatinine ≤ 1.5 mg/dL", "platelets"),
        # the bracket closes on words that are no lead-in to the value
        ("(AST or ALT) were repeated, and the results < 3 x ULN", "ast"),
        ("(AST or ALT tests were repeated at the central laboratory) < 3 x ULN", "ast"),
    ],
)
def test_words_that_are_no_shared_lead_in_keep_the_value_from_the_list(
    text: str, not_read: str
) -> None:
    assert not_read not in {analyte for analyte, _, _ in lab_bounds(text)}


@pytest.mark.parametrize(
    ("text", "analyte", "low", "high", "inclusive"),
    [
        ("HDL-cholesterol below or equal to 44 mg/dL", "hdl", None, 44.0, True),
        ("creatinine below or equal 1.5 mg/dL", "creatinine", None, 1.5, True),
        ("systolic blood pressure equal to or below 70 mmHg", "sbp", None, 70.0, True),
        ("Diastolic blood pressure equal to or above 95 mm Hg", "dbp", 95.0, None, True),
        ("platelets equal or above 100,000/mm3", "platelets", 100000.0, None, True),
        ("creatinine under or equal to 1.5 mg/dL", "creatinine", None, 1.5, True),
        ("Hemoglobin above or equal to 9 g/dL", "hemoglobin", 9.0, None, True),
        ("total bilirubin equal to or lower than 1.5 mg/dL", "bilirubin", None, 1.5, True),
        ("eGFR equal to or higher than 60 mL/min/1.73 m2", "egfr", 60.0, None, True),
        (
            "the hemoglobin does not fall below 6.4 g/dl on two consecutive occasions",
            "hemoglobin",
            6.4,
            None,
            True,
        ),
        ("platelets must not drop below 50,000/mm3", "platelets", 50000.0, None, True),
    ],
)
def test_comparators_with_the_side_before_equal_or_a_floor_not_to_fall_below(
    text: str, analyte: str, low: float | None, high: float | None, inclusive: bool
) -> None:
    found = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert [(c.analyte, c.bounds.low, c.bounds.high) for c in found] == [(analyte, low, high)]
    bound = found[0].bounds
    assert (bound.low_inclusive if low is not None else bound.high_inclusive) is inclusive


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "viral loads (level of HIV in the blood) greater than 2,000 copies/ml",
            [("hiv_viral_load", 2000.0, None)],
        ),
        ("HIV viral loads < 50 copies/mL on two occasions", [("hiv_viral_load", None, 50.0)]),
    ],
)
def test_viral_loads_in_the_plural(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
