"""Rules round 30: measurement forms from the tuning misses of issue 5 — analytes the vocabulary
lacked (homocysteine, a share of the marrow, a disc's height loss), "i.e." before a value, and
readings that were no bound on the patient (a target to maintain, a normal range stated as a
fact, one term of a ratio, a hormone's receptor)."""

from __future__ import annotations

import pytest

from trialfinder.criteria.constraints import Bounds, Measurement
from trialfinder.criteria.parser import parse_criterion

Lab = tuple[str, float | None, float | None]


def _labs(text: str) -> list[Lab]:
    """Return (analyte, low, high) for each measurement read from ``text``."""
    return [
        (c.analyte, c.bounds.low, c.bounds.high)
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # analytes the vocabulary lacked
        ("Plasma homocysteine greater than 15 micromol/L", [("homocysteine", 15.0, None)]),
        ("Disc height loss > 50% at the index level", [("disc_height_loss", 50.0, None)]),
        (
            "Loss of disc height (> 40%) compared with the level above",
            [("disc_height_loss", 40.0, None)],
        ),
        ("At least 30% bone marrow infiltration", [("bone_marrow_infiltration", 30.0, None)]),
        # "i.e." between the name and its value
        (
            "Severe renal impairment: creatinine clearance, i.e. < 30 mL/min",
            [("creatinine_clearance", None, 30.0)],
        ),
        (
            "Elevated homocysteine levels i.e. > 12 µmol/L",
            [("homocysteine", 12.0, None)],
        ),
    ],
)
def test_a_missing_form_is_read(text: str, expected: list[Lab]) -> None:
    assert _labs(text) == expected


def test_a_share_of_the_marrow_is_read_and_still_names_a_subgroup() -> None:
    text = (
        "Less than 25% bone marrow involvement; platelets ≥ 75,000/mm3 "
        "(≥ 50,000/mm3 if extensive bone marrow involvement)"
    )
    assert sorted(_labs(text)) == [
        ("bone_marrow_involvement", None, 25.0),
        ("platelets", 50000.0, None),
        ("platelets", 75000.0, None),
    ]


def test_a_share_followed_by_the_cells_it_counts_is_theirs() -> None:
    text = "Marrow infiltration greater than 40% or marrow involvement with ≥ 20% lymphoblasts"
    assert sorted(_labs(text)) == [
        ("blasts", 20.0, None),
        ("bone_marrow_infiltration", 40.0, None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        # a target a treatment keeps or reaches
        "Nasal CPAP with FiO2 between 0.30 and 0.60 to maintain SpO2 88-92%",
        "Beta-blocker titrated weekly to achieve a target heart rate of 55-60 bpm",
        # a normal range stated as a fact
        "FVC normal range is 80-120% of predicted",
        # one term of a ratio, written out with its short form
        "post-bronchodilator FEV1/Slow Vital Capacity (SVC) ratio < 70%",
        "forced expiratory volume in one second (FEV1)/forced vital capacity (FVC) ratio < 0.70",
        # a hormone's receptor
        "Progesterone receptor positive (at least 10 fmol/mg cytosol protein)",
        "TSH receptor antibodies > 1.75 IU/L",
    ],
)
def test_no_bound_on_the_patient_is_read(text: str) -> None:
    assert _labs(text) == []


def test_a_reference_range_beside_a_bound_is_left_out() -> None:
    text = "Creatinine clearance i.e. < 60 mL/min (normal creatinine clearance is 90-120 mL/min)"
    assert [(c.analyte, c.bounds) for c in parse_criterion(text) if isinstance(c, Measurement)] == [
        ("creatinine_clearance", Bounds(high=60.0, high_inclusive=False))
    ]
