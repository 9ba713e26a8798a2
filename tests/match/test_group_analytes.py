"""A bound on "transaminases" is checked against the patient's ALT and AST: an upper limit must
hold for every member known, a raised level ("> 100 U/L") for any; unknown if neither is known."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from trialfinder.criteria import parse_criteria
from trialfinder.match import Observation, PatientProfile, evaluate_trial
from trialfinder.model import Trial

ON = dt.date(2024, 3, 1)


def _verdict(section: str, criterion: str, labs: dict[str, float]) -> tuple[str, str, str]:
    """Return the verdict, reason and open question of ``criterion`` for a patient's labs."""
    text = f"{section} Criteria:\n\n- {criterion}\n"
    trial = msgspec.convert(
        {"nct_id": "NCT00000001", "overall_status": "RECRUITING", "eligibility_criteria": text},
        Trial,
    )
    profile = PatientProfile(
        observations=[Observation(name=n, value=v, unit="U/L") for n, v in labs.items()]
    )
    verdict = evaluate_trial(trial, parse_criteria(text), profile, ON)
    last = verdict.criteria[-1]
    return last.verdict, last.reason, " | ".join(verdict.open_questions)


@pytest.mark.parametrize(
    ("section", "criterion", "labs", "expected"),
    [
        (
            "Inclusion",
            "Transaminases ≤ 100 U/L",
            {"ALT": 40, "AST": 35},
            ("met", "alt 40 U/L is in ≤ 100 U/L; ast 35 U/L is in ≤ 100 U/L", ""),
        ),
        (
            "Inclusion",
            "Transaminases ≤ 100 U/L",
            {"ALT": 40, "AST": 135},
            ("not_met", "alt 40 U/L is in ≤ 100 U/L; ast 135 U/L is not in ≤ 100 U/L", ""),
        ),
        (
            "Inclusion",
            "Transaminases ≤ 100 U/L",
            {"SGPT": 40},
            (
                "unknown",
                "alt 40 U/L is in ≤ 100 U/L; ast not given",
                "What is the patient's ast (U/L)?",
            ),
        ),
        (
            "Inclusion",
            "Transaminases ≤ 100 U/L",
            {"SGOT": 140},
            ("not_met", "alt not given; ast 140 U/L is not in ≤ 100 U/L", ""),
        ),
        (
            "Inclusion",
            "Transaminases ≤ 100 U/L",
            {},
            (
                "unknown",
                "alt not given; ast not given",
                "What is the patient's alt (U/L)?",  # one question at a time: ALT first
            ),
        ),
        (
            "Exclusion",
            "Transaminases > 100 U/L",
            {"ALT": 40, "AST": 135},
            ("not_met", "alt 40 U/L is not in > 100 U/L; ast 135 U/L is in > 100 U/L", ""),
        ),
        (
            "Exclusion",
            "Transaminases > 100 U/L",
            {"ALT": 40, "AST": 35},
            ("met", "alt 40 U/L is not in > 100 U/L; ast 35 U/L is not in > 100 U/L", ""),
        ),
    ],
    ids=[
        "within-both",
        "ast-above",
        "ast-unknown",
        "alt-unknown-ast-above",
        "neither-known",
        "exclusion-raised-ast",
        "exclusion-neither-raised",
    ],
)
def test_transaminases_are_checked_on_alt_and_ast(
    section: str, criterion: str, labs: dict[str, float], expected: tuple[str, str, str]
) -> None:
    assert _verdict(section, criterion, labs) == expected
