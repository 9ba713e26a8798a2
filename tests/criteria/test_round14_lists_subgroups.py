"""Round 14: "and above/below" after a value, list numbers after a scale, and the sex a lab
bound is written for (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds
from trialfinder.criteria.constraints import Measurement
from trialfinder.criteria.parser import parse_criterion

Grouped = tuple[str, float | None, float | None, str | None]


def _grouped_labs(text: str) -> list[Grouped]:
    """Return (analyte, low, high, subgroup) of each measurement read from ``text``."""
    return [
        (c.analyte, c.bounds.low, c.bounds.high, c.subgroup)
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("score of 30 and below on the PCL-5", [("PCL-5", None, 30.0)]),
        ("10 and above on the Hamilton Depression Scale", [("HAM-D", 10.0, None)]),
        ("PHQ-9 score of 10 and above", [("PHQ-9", 10.0, None)]),
    ],
)
def test_and_above_or_below_after_a_score_value(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("platelets 50,000/mm3 and above", [("platelets", 50000.0, None)]),
        ("20% and above bone marrow blasts", [("blasts", 20.0, None)]),
        # the top of a range, not a bound of its own
        ("ejection fraction of between 40% and less than 50%", []),
    ],
)
def test_and_above_or_below_after_a_lab_value(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Score of 24 or lower on the ASI-3, 2) score of 30 and below on the PCL-5, 3) no PTSD",
            [("ASI-3", None, 24.0), ("PCL-5", None, 30.0)],
        ),
        ("1) MMSE 24, 2) written consent", []),
        # a bracket opened before the scale is closed by the ")" after its values
        ("Performance status (ECOG 0-1)", [("ECOG", 0.0, 1.0)]),
        ("good general condition (Karnofsky 70-100)", [("Karnofsky", 70.0, 100.0)]),
        # a list number that opens the criterion closes no bracket either
        ("3) major depressive disorder (PHQ-9 > 10)", [("PHQ-9", 10.0, None)]),
    ],
)
def test_a_list_number_after_a_scale_is_no_value(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "QTc interval prolongation (male \\> 450 ms; female \\> 470 ms)",
            [("qtc", 450.0, None, "male"), ("qtc", 470.0, None, "female")],
        ),
        (
            "ECG QTc prolongation (Male: >450ms, Female: >470ms).",
            [("qtc", 450.0, None, "Male"), ("qtc", 470.0, None, "Female")],
        ),
        (
            "arrhythmias (including QTc interval male ≥ 450 ms, female ≥ 470 ms)",
            [("qtc", 450.0, None, "male"), ("qtc", 470.0, None, "female")],
        ),
        (
            "QTcF: women > 470 ms, men > 450 ms",
            [("qtc", 470.0, None, "women"), ("qtc", 450.0, None, "men")],
        ),
        # one sex only: its bound is still that sex's, not everyone's
        (
            "Normal serum creatinine (males 0.9 - 1.4 mg/dL)",
            [("creatinine", 0.9, 1.4, "males")],
        ),
        # no sex written: no subgroup
        ("QTc > 470 ms", [("qtc", 470.0, None, None)]),
    ],
)
def test_the_sex_a_lab_bound_is_written_for(text: str, expected: list[Grouped]) -> None:
    assert _grouped_labs(text) == expected
