"""Round 13: range tops after a lower bound, value-first lab ranges, PD-L1 shares, plural
"scores", pain on an unnamed 0-10 scale, and sex words that only qualify a threshold (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds
from trialfinder.criteria.constraints import SexConstraint
from trialfinder.criteria.parser import parse_criterion


def _sexes(text: str) -> list[str]:
    """Return the sex of each sex constraint read from ``text``."""
    return [c.sex for c in parse_criterion(text) if isinstance(c, SexConstraint)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BMI >25 kg/m² to >40 kg/m²", [("BMI", 25.0, 40.0)]),
        ("BMI- >23- 35Kg/m2", [("BMI", 23.0, 35.0)]),
        ("BMI >25 to <40 kg/m2", [("BMI", 25.0, 40.0)]),
        ("BMI ≥ 18.5 - 30 kg/m2", [("BMI", 18.5, 30.0)]),
        ("Body mass index (BMI) of ≥ 18.5 to 35 kg/m2", [("BMI", 18.5, 35.0)]),
        ("MMSE ≥ 20 to 26", [("MMSE", 20.0, 26.0)]),
        ("Karnofsky ≥ 70 - 100%", [("Karnofsky", 70.0, 100.0)]),
    ],
)
def test_a_range_top_after_a_lower_bound_closes_it(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the number after the dash is no top: lower than the bound, a duration, or another value
        ("BMI > 30 kg/m2 - 2 comorbidities", [("BMI", 30.0, None)]),
        ("BMI > 25 to 30 days before screening", [("BMI", 25.0, None)]),
        ("BMI ≤ 35 - 40 allowed with approval", [("BMI", None, 35.0)]),
    ],
)
def test_no_range_top_where_the_number_is_not_one(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ASI-3 scores above 24", [("ASI-3", 24.0, None)]),
        ("PCL scores above 30", [("PCL", 30.0, None)]),
        ("UPDRS part III scores ≥ 20", [("MDS-UPDRS", 20.0, None)]),  # a known scale's own row
        ("their total scores ≥ 20", []),  # no scale named
    ],
)
def test_a_named_scale_with_plural_scores(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Worst pain score of at least 5 on a scale of 10", [("NRS pain", 5.0, None)]),
        (
            "Low back pain score of at least 5 on a 0-10 NRS at screening;",
            [("NRS pain", 5.0, None)],
        ),
        ("pain intensity ≥ 4 on an 11-point numeric rating scale", [("NRS pain", 4.0, None)]),
        (
            "Average daily pain intensity of at least 4 on a 0 to 10 scale",
            [("NRS pain", 4.0, None)],
        ),
        ("pain ≥ 4 on a 0-10 VAS", []),  # a visual analogue scale: not the NRS
        ("average pain score ≥ 12 on a 0-10 scale", []),  # off the scale
        ("pain for at least 3 months on a daily basis", []),
    ],
)
def test_pain_on_an_unnamed_ten_point_scale_is_the_pain_nrs(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15-29% blasts in peripheral blood (PB) or bone marrow (BM)", [("blasts", 15.0, 29.0)]),
        ("20 to 30% blasts", [("blasts", 20.0, 30.0)]),
        (
            "between 10% and 60% bone marrow plasma cells",
            [("bone_marrow_plasma_cells", 10.0, 60.0)],
        ),
        (
            "mild hypertension in the range of 90 to 100 mm Hg diastolic blood pressure",
            [("dbp", 90.0, 100.0)],
        ),
        ("More than 25% lymphoblasts in bone marrow", [("blasts", 25.0, None)]),
    ],
)
def test_a_range_written_before_its_analyte(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2-3 platelet transfusions",  # a count of events, no unit
        "30-50% of patients had low platelets",  # the share of patients, not of a lab
        "29-15% blasts",  # the top below the bottom
        "10 mg/dL - 20% blasts",  # two units
    ],
)
def test_no_value_first_range_without_one_analyte_and_unit(text: str) -> None:
    assert [b for b in lab_bounds(text) if b[1] is not None and b[2] is not None] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PD-L1 expression ≥ 1%", [("pd_l1_tps", 1.0, None)]),
        ("Documented tumour PD-L1 status ≥ 1% by central lab", [("pd_l1_tps", 1.0, None)]),
        ("PD-L1 TC ≥ 50%", [("pd_l1_tc", 50.0, None)]),
        ("Known tumour PD-L1 expression status defined as TC ≥ 50%", [("pd_l1_tc", 50.0, None)]),
        ("Has a PD-L1-high (Tumor cells [TC] ≥50%) tumor", [("pd_l1_tc", 50.0, None)]),
        ("to confirm tumor PD-L1 expression TC ≥ 1%.", [("pd_l1_tc", 1.0, None)]),
        ("PD-L1 expression on tumor cells ≥ 50%", [("pd_l1_tc", 50.0, None)]),
        ("PD-L1 expression CPS ≥ 1", [("pd_l1_cps", 1.0, None)]),
        ("PD-L1 expression (CPS ≥ 10)", [("pd_l1_cps", 10.0, None)]),
        # outside a PD-L1 criterion TC stays total cholesterol
        ("TC ≥ 240 mg/dL", [("total_cholesterol", 240.0, None)]),
    ],
)
def test_pd_l1_shares(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "QTcF > 460 ms in both males and females",
        "BMI < 20 for both sexes",
        "QTcF: males > 450 ms, females > 470 ms",
        "Hemoglobin: male < 13 g/dL, female < 12 g/dL",
        "Women that are pregnant or breastfeeding",
        "Women that are of childbearing potential must use contraception",
    ],
)
def test_no_sex_where_the_words_qualify_a_threshold_or_a_pregnancy(text: str) -> None:
    assert _sexes(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Male ≥ 18 years of age.", ["male"]),
        ("Females ≥ 18 years", ["female"]),
        ("Both male and female subjects of all ethnic backgrounds are eligible.", ["all"]),
        ("Men and women aged 18 or older", ["all"]),
        ("Healthy women that are aged 18-45", ["female"]),
    ],
)
def test_sex_still_read_where_it_says_who_takes_part(text: str, expected: list[str]) -> None:
    assert _sexes(text) == expected
