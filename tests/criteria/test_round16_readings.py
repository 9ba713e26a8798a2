"""Round 16: scale names joined by a slash, the short spellings of the MMSE, the Teacher's
Drooling Scale, ages written "y/o" after a scale, GFR as a share of the normal for age, lab ranges
whose top carries an upper sign, the other side of a lab's excluded middle ("potassium < 3.0 or
> 5.4 mEq/L"), a first bound written "if no liver metastases", and analyte spellings (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds
from trialfinder.criteria.constraints import Measurement
from trialfinder.criteria.parser import parse_criterion

Grouped = tuple[str, float | None, float | None, str | None]


def _measurements(text: str) -> list[Measurement]:
    return [c for c in parse_criterion(text) if isinstance(c, Measurement)]


def _grouped_labs(text: str) -> list[Grouped]:
    """Return (analyte, low, high, subgroup) of each measurement read from ``text``."""
    return [(c.analyte, c.bounds.low, c.bounds.high, c.subgroup) for c in _measurements(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHO/ECOG no greater than 2", [("ECOG", None, 2.0)]),
        (
            "Child-Pugh class A with WHO/ECOG PS of 0-1 at enrolment",
            [("Child-Pugh", 5.0, 6.0), ("ECOG", 0.0, 1.0)],
        ),
        ("ECOG/WHO performance status ≤ 1", [("ECOG", None, 1.0)]),
        ("Zubrod/ECOG performance status 0-2", [("ECOG", 0.0, 2.0)]),
        ("ECOG/Zubrod 0 or 1", [("ECOG", 0.0, 1.0)]),
    ],
)
def test_scale_names_joined_by_a_slash(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


def test_who_before_a_slash_names_no_performance_status_alone() -> None:
    assert score_bounds("WHO/ISUP grade 2") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mini mental score at least 15", [("MMSE", 15.0, None)]),
        # the score defines the negated dementia: its complement (rules round 31)
        ("No dementia (Mini-Mental state score no greater than 22)", [("MMSE", 22.0, None)]),
        ("Mini-Mental Exam score between 24 and 30 (inclusive)", [("MMSE", 24.0, 30.0)]),
        ("Folstein Mini-Mental Status Exam score of at least 24", [("MMSE", 24.0, None)]),
        ("mini-mental status exam score of 24 or more", [("MMSE", 24.0, None)]),
        (
            "A Mini-Mental State Examination (MMSE) score greater than or equal to 21.",
            [("MMSE", 21.0, None)],
        ),
    ],
)
def test_short_spellings_of_the_mini_mental_state_examination(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "confirming the Modified Teacher's Drooling Scale score ≥ 5",
            [("Modified Teacher's Drooling Scale", 5.0, None)],
        ),
        ("Teacher's Drooling Scale of 3 or more", [("Teacher's Drooling Scale", 3.0, None)]),
        ("Teacher Drooling Scale score ≤ 2", [("Teacher's Drooling Scale", None, 2.0)]),
    ],
)
def test_teachers_drooling_scale(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "> 12 y/o" is the age the scale is for, not a Karnofsky score of 12
        ("Performance Score: KPS \\> 12 y/o \\>/= 50 or LPS for \\< 12y \\>/= 50", []),
        ("Karnofsky > 16 y.o. ≥ 60", []),
        ("Lansky ≥ 50 for patients < 16 y/o", [("Lansky", 50.0, None)]),
        ("Karnofsky ≥ 60 (patients > 16 yo)", [("Karnofsky", 60.0, None)]),
    ],
)
def test_an_age_in_y_o_is_no_score_value(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Glomerular filtration rate at least 50% of normal", [("egfr", 50.0, None)]),
        ("eGFR \\<80% of age adjusted normal renal function", [("egfr", None, 80.0)]),
        (
            "Renal: Glomerular filtration rate at least 30% predicted for age",
            [("egfr", 30.0, None)],
        ),
        (
            "Creatinine clearance or glomerular filtration rate greater than 50% lower limit of\r\n"
            "             normal for age",
            [("creatinine_clearance", 50.0, None), ("egfr", 50.0, None)],
        ),
        (
            "creatinine clearance ≥ 60% of the predicted value",
            [("creatinine_clearance", 60.0, None)],
        ),
    ],
)
def test_gfr_as_a_share_of_the_normal_for_age(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
    # kept as written: a share of the normal converts to no mL/min
    assert all(m.unit == "%" and m.canonical is None for m in _measurements(text))


@pytest.mark.parametrize(
    "text",
    [
        "eGFR decline of > 30%",  # a change, not a level
        "eGFR > 30% below baseline",
        "serum creatinine > 50% above normal",  # creatinine is no share of the normal
    ],
)
def test_a_gfr_share_without_the_normal_is_not_read(text: str) -> None:
    assert lab_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected", "top_included"),
    [
        ("HbA1c 7% to \\<8% with associated diabetes symptoms", ("hba1c", 7.0, 8.0), False),
        ("HbA1c of 7.0% to less than 10.5%", ("hba1c", 7.0, 10.5), False),
        ("hemoglobin 9 - < 11 g/dL", ("hemoglobin", 9.0, 11.0), False),
        ("hemoglobin 9 to ≤ 11 g/dL", ("hemoglobin", 9.0, 11.0), True),
        ("HbA1c between 7.0% and 10.5%", ("hba1c", 7.0, 10.5), True),
    ],
)
def test_a_lab_range_whose_top_has_an_upper_sign(
    text: str, expected: Bound, top_included: bool
) -> None:
    (found,) = _measurements(text)
    assert (found.analyte, found.bounds.low, found.bounds.high) == expected
    assert found.bounds.low_inclusive
    assert found.bounds.high_inclusive is top_included


@pytest.mark.parametrize(
    "text",
    [
        "HbA1c 7% to >8%",  # a top must limit from above
        "HbA1c 8% to <7%",  # nor lie below the bottom
    ],
)
def test_no_lab_range_with_a_lower_sign_at_its_top(text: str) -> None:
    assert lab_bounds(text) == []


def test_an_upper_sign_after_and_stays_a_chain_of_two_bounds() -> None:
    (found,) = _measurements(
        "Have a hemoglobin A1c (HbA1c) greater than or equal to 7.5% and less than or equal to"
        "\r\n             10.0%, as measured by a central laboratory before Visit 2."
    )
    assert (found.rule, found.bounds.low, found.bounds.high) == ("lab_comparator", 7.5, 10.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Total bilirubin ≤ 1.5 × upper limit of normal (ULN) if no liver metastases or \\< 3"
            "\n\n  × ULN in the presence of documented Gilbert's syndrome (unconjugated"
            " hyperbilirubinemia)",
            [
                ("bilirubin", None, 1.5, "no liver metastases"),
                ("bilirubin", None, 3.0, "Gilbert's syndrome"),
            ],
        ),
        (
            "Alanine aminotransferase (ALT) ≤2.5x the upper limit of normal (ULN) if no"
            " demonstrable liver metastases or ≤5xULN in the presence of liver metastases;",
            [
                ("alt", None, 2.5, "no demonstrable liver metastases"),
                ("alt", None, 5.0, "liver metastases"),
            ],
        ),
        (
            "AST ≤ 3 × ULN if no hepatic involvement or ≤ 5 × ULN in patients with hepatic"
            " involvement",
            [
                ("ast", None, 3.0, "no hepatic involvement"),
                ("ast", None, 5.0, "hepatic involvement"),
            ],
        ),
    ],
)
def test_a_first_bound_written_if_no_liver_metastases(text: str, expected: list[Grouped]) -> None:
    assert _grouped_labs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "creatinine ≤ 1.5 mg/dL if age > 60 or ≤ 2 mg/dL",  # a number: no subgroup's name
        "Total bilirubin ≤ 1.5 × ULN if no Gilbert syndrome",  # no second bound
    ],
)
def test_if_without_a_second_bound_for_a_subgroup_names_none(text: str) -> None:
    assert all(subgroup is None for *_, subgroup in _grouped_labs(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Alveolar-arterial differences in dissolved oxygen >= 35 mm Hg but < 55 mm Hg on room"
            "\r\n             air.",
            [("alveolar_arterial_gradient", 35.0, 55.0)],
        ),
        (
            "resting alveolar-arterial O2 difference > 35 mmHg",
            [("alveolar_arterial_gradient", 35.0, None)],
        ),
        ("Patients with an Ankle-Arm index < 0.45", [("ankle_brachial_index", None, 0.45)]),
        ("peripheral vascular disease (ABI \\< 0.7),", [("ankle_brachial_index", None, 0.7)]),
        ("ankle/arm index ≤ 0.9", [("ankle_brachial_index", None, 0.9)]),
        (
            "Scr >2 mg/dl and serum K > 5meq/L",
            [("creatinine", 2.0, None), ("potassium", 5.0, None)],
        ),
        (
            "Optimally dialyzed (urea reduction ratio greater than 65%)",
            [("urea_reduction_ratio", 65.0, None)],
        ),
        ("Kt/V > 1.2 or URR ≥ 65%", [("urea_reduction_ratio", 65.0, None)]),
    ],
)
def test_new_analyte_spellings(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "creatine" written for creatinine
        (
            "Adequate organ function as defined by serum creatine less than 2.0 mg/dl",
            [("creatinine", None, 2.0)],
        ),
        ("Renal: Creatine no greater than 2.2 mg/dL", [("creatinine", None, 2.2)]),
        (
            "Severe renal insufficiency defined by a creatine clearance < 30 ml/min",
            [("creatinine_clearance", None, 30.0)],
        ),
        # the longer names of creatine kinase win
        ("serum creatine kinase > 5 x ULN", [("creatine_kinase", 5.0, None)]),
        ("creatine phosphokinase (CPK) ≤ 2.5 × ULN", [("creatine_kinase", None, 2.5)]),
    ],
)
def test_creatine_misspelt_for_creatinine(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize("text", ["vitamin K > 5 mg", "serum Kappa light chain > 5 mg"])
def test_a_k_outside_serum_k_is_no_potassium(text: str) -> None:
    assert all(analyte != "potassium" for analyte, *_ in lab_bounds(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "serum potassium less than 3.0 or greater than 5.4 mEq/L, SGPT greater than 100 U/L",
            [("potassium", None, 3.0), ("potassium", 5.4, None), ("alt", 100.0, None)],
        ),
        (
            "Thyroid stimulating hormone (TSH) value that is either \\< 0.45 mIU/L or \\>10 mIU/L",
            [("tsh", None, 0.45), ("tsh", 10.0, None)],
        ),
        (
            "WBC greater than 12,000/mm3 or less than 4,000/mm3 or immature neutrophils;",
            [("wbc", 12000.0, None), ("wbc", None, 4000.0)],
        ),
        ("Height < 150 or > 180 cm.", [("height", None, 150.0), ("height", 180.0, None)]),
        ("sodium < 130 or > 150 mmol/L", [("sodium", None, 130.0), ("sodium", 150.0, None)]),
    ],
)
def test_the_other_side_of_a_labs_excluded_middle(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_a_unit_written_once_serves_both_sides() -> None:
    low, high = _measurements("sodium < 130 or > 150 mmol/L")
    assert low.unit == high.unit == "mmol/L"
    assert low.canonical is not None and low.canonical.high == 130.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the same side twice: two ways to meet one bound, not an excluded middle
        (
            "CD4 count <= 200 cells/mm3 or <= 15 percent of total lymphocytes",
            [("cd4", None, 200.0)],
        ),
        ("hemoglobin > 10 or < 12 g/dL", [("hemoglobin", 10.0, None)]),  # no middle left out
        ("platelets < 50,000/mm3 or > 65 years", [("platelets", None, 50000.0)]),  # an age
        ("creatinine > 1.5 mg/dL or > 2 x ULN", [("creatinine", 1.5, None)]),
        # a bound for a subgroup, on the other side: neither read as the excluded middle
        (
            "potassium < 3.5 mmol/L or > 5.0 mmol/L in patients on dialysis",
            [("potassium", None, 3.5)],
        ),
    ],
)
def test_no_other_side_without_an_excluded_middle(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
