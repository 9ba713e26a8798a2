"""Rules round 29 (issue 5): a negation that governs a comparator clause states the
complementary bound ("Must not have ECOG greater than 3" is ECOG ≤ 3, "No serum creatinine
greater than 2.0 mg/dL" is creatinine ≤ 2.0); comparator phrases that carry their own negation
("no greater than", "not less than") and negations of something else keep their reading."""

from __future__ import annotations

import pytest

from support import Bound, age_years, lab_bounds, score_bounds
from trialfinder.criteria._extract import complement
from trialfinder.criteria.constraints import Bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Must not have ECOG greater than 3", [("ECOG", None, 3.0)]),
        ("Patients must not have an ECOG performance status greater than 2", [("ECOG", None, 2.0)]),
        (
            "Patients must not have a ECOG performance status of greater than 3.",
            [("ECOG", None, 3.0)],
        ),
        ("Must not have ECOG performance status of 2 or more.", [("ECOG", None, 2.0)]),
        ("No ECOG performance status of greater than 2", [("ECOG", None, 2.0)]),
        ("No Hamilton Depression Rating Scale score greater than 10", [("HAM-D", None, 10.0)]),
        ("No body mass index of 30 or greater", [("BMI", None, 30.0)]),
        # a range that reaches the top of its scale has one interval outside it
        ("No NYHA class III or IV heart disease", [("NYHA", None, 3.0)]),
        ("Cardiovascular: No New York Heart Association class II-IV", [("NYHA", None, 2.0)]),
    ],
)
def test_a_negated_score_bound_reads_as_its_complement(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Must not have serum bilirubin greater than 3 mg/dl", [("bilirubin", None, 3.0)]),
        ("Must not have hemoglobin less than 10 g/dL.", [("hemoglobin", 10.0, None)]),
        ("Must not have a baseline FEV1 of less than 60% predicted", [("fev1", 60.0, None)]),
        (
            "Patients must not have a systolic blood pressure greater than 180 mmHg.",
            [("sbp", None, 180.0)],
        ),
        ("No serum creatinine greater than 2.5 mg/dL", [("creatinine", None, 2.5)]),
        ("No patients with WBC less than 3000/mm3", [("wbc", 3000.0, None)]),
        ("No one with a platelet count less than 100,000/mm3", [("platelets", 100000.0, None)]),
        ("Renal: No known serum creatinine greater than 1.8 mg/dL", [("creatinine", None, 1.8)]),
        (
            "There should be no plasma HIV-1 RNA greater than 400 copies/mL",
            [("hiv_viral_load", None, 400.0)],
        ),
    ],
)
def test_a_negated_measurement_bound_reads_as_its_complement(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No patients above the age of 65 years.", [(None, 65.0)]),
        ("No subjects below 21 years of age.", [(21.0, None)]),
        ("No minors less than 18 years of age", [(18.0, None)]),
        ("Patients must not be younger than 18 years", [(18.0, None)]),
    ],
)
def test_a_negated_age_bound_reads_as_its_complement(
    text: str, expected: list[tuple[float | None, float | None]]
) -> None:
    assert age_years(text) == expected


def test_the_complement_keeps_the_other_end_open_or_closed() -> None:
    assert complement(Bounds(low=3.0)) == Bounds(high=3.0, high_inclusive=False)
    assert complement(Bounds(low=3.0, low_inclusive=False)) == Bounds(high=3.0)
    assert complement(Bounds(high=12.0, high_inclusive=False)) == Bounds(low=12.0)
    assert complement(Bounds(low=2.0, high=4.0), 1.0, 4.0) == Bounds(high=2.0, high_inclusive=False)
    assert complement(Bounds(low=2.0, high=4.0)) is None  # two intervals: left as written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # comparators that carry their own negation read as before
        ("ECOG no greater than 2", [("ECOG", None, 2.0)]),
        ("Karnofsky not less than 70", [("Karnofsky", 70.0, None)]),
        # the negation governs a condition, not the bound
        ("No history of stroke and ECOG <= 2", [("ECOG", None, 2.0)]),
        ("No cardiac disease, ECOG 0-1", [("ECOG", 0.0, 1.0)]),
        # a range inside its scale has values outside on both sides: left as written
        ("Must not have a HAM-D score of 10 to 20", [("HAM-D", 10.0, 20.0)]),
    ],
)
def test_other_negations_keep_the_score_as_written(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Creatinine not more than 1.5 mg/dL", [("creatinine", None, 1.5)]),
        ("ALT not exceeding 2.5 x ULN", [("alt", None, 2.5)]),
        ("Patients not on dialysis with creatinine > 2 mg/dL", [("creatinine", 2.0, None)]),
        ("If there is no liver metastasis, ALT > 2.5 x ULN", [("alt", 2.5, None)]),
    ],
)
def test_other_negations_keep_the_measurement_as_written(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age not less than 18 years", [(18.0, None)]),
        (
            "Male or female subjects at least 18 years of age, but no older than 60 years",
            [(18.0, 60.0)],
        ),
        ("No HRT and either age greater than 55", [(55.0, None)]),
    ],
)
def test_other_negations_keep_the_age_as_written(
    text: str, expected: list[tuple[float | None, float | None]]
) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "No hematocrit less than 30% (or hemoglobin less than 10 g/dL), or platelet count"
            " less than 100,000/mm3",
            [("hematocrit", 30.0, None), ("hemoglobin", 10.0, None), ("platelets", 100000.0, None)],
        ),
        (
            "Must not have serum bilirubin greater than 3 mg/dl, transaminases greater than 4"
            " times the upper limit of normal",
            [("bilirubin", None, 3.0), ("transaminases", None, 4.0)],
        ),
    ],
)
def test_the_negation_governs_the_bounds_listed_after_it(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "and" may add a requirement of its own; a run-on list starts a new item
        (
            "Must not have serum creatinine greater than 2 mg/dL and platelets at least"
            " 100,000/mm3",
            [("creatinine", None, 2.0), ("platelets", 100000.0, None)],
        ),
        (
            "Renal: No serum creatinine greater than 2.0 mg/dL Bilirubin less than 1.5 mg/dL",
            [("creatinine", None, 2.0), ("bilirubin", None, 1.5)],
        ),
    ],
)
def test_a_bound_not_listed_with_the_negated_one_is_read_as_written(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected
