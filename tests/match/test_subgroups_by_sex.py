"""Measurement bounds written per sex ("QTcF ≥ 450 ms for men and ≥ 470 ms for women") apply to
patients of that sex; a subgroup that says more than the sex is still looked up as a condition."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from trialfinder.criteria import parse_criteria
from trialfinder.match import Observation, PatientProfile, evaluate_trial
from trialfinder.model import Trial

ON = dt.date(2024, 3, 1)


def _last_criterion(criterion: str, profile: PatientProfile) -> tuple[str, str]:
    """Return the verdict and reason of ``criterion`` as an exclusion, for ``profile``."""
    text = f"Exclusion Criteria:\n\n- {criterion}\n"
    trial = msgspec.convert(
        {"nct_id": "NCT00000001", "overall_status": "RECRUITING", "eligibility_criteria": text},
        Trial,
    )
    verdict = evaluate_trial(trial, parse_criteria(text), profile, ON)
    return verdict.criteria[-1].verdict, verdict.criteria[-1].reason


def _qtc(sex: str | None, value: float) -> PatientProfile:
    return PatientProfile(
        sex=sex,  # type: ignore[arg-type]
        observations=[Observation(name="QTc", value=value, unit="ms")],
    )


@pytest.mark.parametrize(
    ("criterion", "sex", "value", "expected"),
    [
        (
            "QTcF ≥ 450 ms for men and ≥ 470 ms for women",
            "male",
            460,
            ("not_met", "qtc 460 ms is in ≥ 450 ms"),
        ),
        (
            "QTcF ≥ 450 ms for men and ≥ 470 ms for women",
            "female",
            460,
            ("met", "qtc 460 ms is not in ≥ 470 ms"),
        ),
        (
            "QTcF ≥ 450 ms for men and ≥ 470 ms for women",
            "female",
            480,
            ("not_met", "qtc 480 ms is in ≥ 470 ms"),
        ),
        (
            "QTcF > 450 msec for males or > 470 msec for females",
            "male",
            455,
            ("not_met", "qtc 455 ms is in > 450 ms"),
        ),
        (
            "QTcF > 450 msec for males or > 470 msec for females",
            "female",
            455,
            ("met", "qtc 455 ms is not in > 470 ms"),
        ),
    ],
    ids=["men-above", "women-below", "women-above", "males-above", "females-below"],
)
def test_a_bound_for_one_sex_applies_to_that_sex(
    criterion: str, sex: str, value: float, expected: tuple[str, str]
) -> None:
    assert _last_criterion(criterion, _qtc(sex, value)) == expected


def test_bounds_per_sex_are_left_out_when_the_sex_is_unknown() -> None:
    assert _last_criterion("QTcF ≥ 450 ms for men and ≥ 470 ms for women", _qtc(None, 460)) == (
        "unknown",
        "nothing to check",
    )


@pytest.mark.parametrize(
    ("subgroup", "sex"),
    [
        ("men", "male"),
        ("for males", "male"),
        ("male patients", "male"),
        ("in women", "female"),
        ("females", "female"),
        ("for female subjects", "female"),
        ("women of childbearing potential", None),
        ("females using Fredericia formula", None),
        ("patients with Gilbert's syndrome", None),
        ("menopause", None),
    ],
    ids=lambda value: str(value),
)
def test_which_subgroups_name_a_sex(subgroup: str, sex: str | None) -> None:
    from trialfinder.match._checker import _sex_of_subgroup

    assert _sex_of_subgroup(subgroup) == sex
