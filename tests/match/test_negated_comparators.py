"""A negated comparator in the inclusion list ("must not have ECOG greater than 3") states the
complementary bound, so a patient within it meets the criterion (issue 5, rules round 29)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from trialfinder.criteria import parse_criteria
from trialfinder.match import PatientProfile, evaluate_trial
from trialfinder.match.profile import Condition, Observation, Score
from trialfinder.model import Trial

ON = dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("ecog", "verdict", "reason"),
    [(1, "met", "ECOG 1 is in ≤ 3"), (4, "not_met", "ECOG 4 is not in ≤ 3")],
)
def test_must_not_have_ecog_greater_than_3_admits_ecog_up_to_3(
    ecog: int, verdict: str, reason: str
) -> None:
    criteria = "Inclusion Criteria:\n\n- Must not have ECOG greater than 3\n"
    trial = msgspec.convert(
        {"nct_id": "NCT00000001", "overall_status": "RECRUITING", "eligibility_criteria": criteria},
        Trial,
    )
    patient = PatientProfile(scores=[Score(name="ECOG", value=ecog)])
    found = evaluate_trial(trial, parse_criteria(criteria), patient, ON).criteria[-1]
    assert (found.section, found.verdict, found.reason) == ("inclusion", verdict, reason)


@pytest.mark.parametrize(
    ("creatinine", "verdict"),
    [(1.0, "met"), (3.0, "not_met")],
)
def test_no_renal_failure_defined_by_creatinine_admits_creatinine_up_to_the_bound(
    creatinine: float, verdict: str
) -> None:
    """The bracket defines the negated condition (issue 5, rules round 31): creatinine 1.0 is
    not renal failure, so the patient meets "No renal failure (creatinine > 2.5)"."""
    criteria = "Inclusion Criteria:\n\n- No renal failure (creatinine greater than 2.5 mg/dL)\n"
    trial = msgspec.convert(
        {"nct_id": "NCT00000002", "overall_status": "RECRUITING", "eligibility_criteria": criteria},
        Trial,
    )
    patient = PatientProfile(
        conditions=[Condition(text="renal failure", negated=True)],
        observations=[Observation(name="creatinine", value=creatinine, unit="mg/dL")],
    )
    found = evaluate_trial(trial, parse_criteria(criteria), patient, ON).criteria[-1]
    assert (found.section, found.verdict) == ("inclusion", verdict)
