"""Round 18 (issue 5): a second bound of the same reading for another occasion, after the first
("LV outflow tract gradient ≥ 30 mm Hg at rest or ≥ 50 mm Hg following isoproterenol infusion",
"SBP ≥ 130 mmHg at screening and ≥ 120 mmHg at the randomisation visit"); the occasion is kept
as the second bound's subgroup, so the matcher leaves that bound to the reader."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds
from trialfinder.criteria import Measurement, parse_criterion


@pytest.mark.parametrize(
    ("text", "expected", "occasion"),
    [
        (
            "LV outflow tract gradient greater than or equal to 30 mm Hg at rest or greater than "
            "or equal to 50 mm Hg following isoproterenol infusion",
            [("lvot_gradient", 30.0, None), ("lvot_gradient", 50.0, None)],
            "following isoproterenol infusion",
        ),
        (
            "SBP ≥ 130 mmHg at screening and ≥ 120 mmHg at the randomisation visit",
            [("sbp", 130.0, None), ("sbp", 120.0, None)],
            "at the randomisation visit",
        ),
        (
            "a SBP ≥ 130 mmHg (the most recent value within 4 weeks prior to screening) and "
            "≥ 120 mmHg at the Randomisation Visit.",
            [("sbp", 130.0, None), ("sbp", 120.0, None)],
            "at the Randomisation Visit",
        ),
        (
            "LVOT gradient > 30 mmHg at rest and/or > 50 mmHg with provocation",
            [("lvot_gradient", 30.0, None), ("lvot_gradient", 50.0, None)],
            "with provocation",
        ),
        (
            "Hemoglobin ≥ 9 g/dL, or ≥ 8 g/dL after transfusion",
            [("hemoglobin", 9.0, None), ("hemoglobin", 8.0, None)],
            "after transfusion",
        ),
    ],
)
def test_a_second_bound_for_another_occasion_is_read_with_its_occasion(
    text: str, expected: list[Bound], occasion: str
) -> None:
    assert lab_bounds(text) == expected
    found = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert [c.subgroup for c in found] == [None, occasion]


@pytest.mark.parametrize(
    "text",
    [
        # no unit on the second bound: not plainly the same quantity
        "LVOT gradient ≥ 30 mmHg at rest or ≥ 50 following exercise",
        # no occasion after the second bound: the other-side and list rules decide
        "SBP ≥ 130 mmHg and ≥ 120 mmHg",
        # a comparator inside the bracket: a bound of its own, not a remark
        "SBP ≥ 130 mmHg (or ≥ 125 mmHg on treatment) and ≥ 120 mmHg at the randomisation visit",
    ],
)
def test_no_second_occasion_bound_without_unit_occasion_or_plain_bracket(text: str) -> None:
    found = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert all(c.rule != "lab_occasion_second" for c in found)


def test_the_second_bound_takes_its_own_unit() -> None:
    found = [
        c
        for c in parse_criterion("Hemoglobin ≥ 90 g/L at baseline and ≥ 8 g/dL after transfusion")
        if isinstance(c, Measurement)
    ]
    assert [(c.unit, c.canonical.low if c.canonical else None) for c in found] == [
        ("g/L", 9.0),
        ("g/dL", 8.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "gradient ≥ 50 mm Hg following isoproterenol infusion to a heart rate of greater "
            "than 100 bpm",
            [],
        ),
        ("dose titrated to a target SBP < 120 mmHg", []),
        ("patients transfused to a hemoglobin of 10 g/dL or more", []),
        (
            "Heart rate ≥ 50 bpm and pacing to a heart rate of 100 bpm possible",
            [("heart_rate", 50.0, None)],
        ),
        # "to a" without a verb that brings the reading there: the patient's level
        ("in addition to a platelet count ≥ 100,000/mm3", [("platelets", 100000.0, None)]),
        ("heart rate of greater than 100 bpm", [("heart_rate", 100.0, None)]),
    ],
)
def test_a_target_to_bring_a_reading_to_is_no_level(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
