"""evaluate_trial: structured fields, inclusion and exclusion verdicts, unknown by default."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from trialfinder.criteria import parse_criteria
from trialfinder.match import (
    Condition,
    Observation,
    PatientProfile,
    Treatment,
    TrialVerdict,
    eligibility_factor,
    evaluate_trial,
)
from trialfinder.model import Trial

ON = dt.date(2024, 3, 1)
CRITERIA = """Inclusion Criteria:

- Diagnosed with type 2 diabetes
- eGFR >= 30 mL/min/1.73m2

Exclusion Criteria:

- History of heart failure
- Women of childbearing potential not using contraception
"""


def _trial(**fields: object) -> Trial:
    values: dict[str, object] = {
        "nct_id": "NCT00000001",
        "overall_status": "RECRUITING",
        "minimum_age_years": 18.0,
        "minimum_age": "18 Years",
        "eligibility_criteria": CRITERIA,
        "conditions": ["Obesity"],
    }
    values.update(fields)
    return msgspec.convert(values, Trial)


def _verdict(profile: PatientProfile, **fields: object) -> TrialVerdict:
    trial = _trial(**fields)
    return evaluate_trial(trial, parse_criteria(trial.eligibility_criteria), profile, ON)


DIABETIC = PatientProfile(
    age_years=60,
    sex="male",
    conditions=[Condition(text="type 2 diabetes")],
    observations=[Observation(name="eGFR", value=45, unit="mL/min/1.73m2")],
)


def test_empty_profile_is_unknown_never_met() -> None:
    verdict = _verdict(PatientProfile())
    assert verdict.outcome == "possibly_eligible"
    assert [(c.section, c.verdict) for c in verdict.criteria] == [
        ("structured", "met"),
        ("structured", "unknown"),
        ("inclusion", "unknown"),
        ("inclusion", "unknown"),
        ("exclusion", "unknown"),
        ("exclusion", "unknown"),
    ]
    assert verdict.open_questions == [
        "How old is the patient?",
        "Does the patient have type 2 diabetes?",
        "What is the patient's egfr (mL/min/1.73m2)?",
        "Does the patient have heart failure?",
        "Could the patient become pregnant?",
        "Does the patient use contraception?",
    ]


def test_all_met_is_eligible() -> None:
    patient = msgspec.structs.replace(
        DIABETIC, conditions=[*DIABETIC.conditions, Condition(text="heart failure", negated=True)]
    )
    verdict = _verdict(patient)
    assert verdict.outcome == "eligible"
    assert (verdict.met, verdict.not_met, verdict.unknown) == (6, 0, 0)
    assert verdict.eligibility == 1.0


def test_exclusion_that_holds_rules_the_patient_out() -> None:
    patient = msgspec.structs.replace(
        DIABETIC, conditions=[*DIABETIC.conditions, Condition(text="congestive heart failure")]
    )
    verdict = _verdict(patient)
    assert verdict.outcome == "not_eligible"
    assert verdict.ruled_out_by == [
        "exclusion 1: History of heart failure — patient has congestive heart failure "
        "(same concept)"
    ]
    evidence = verdict.criteria[4].evidence[0]
    assert (evidence.holds, evidence.fact, evidence.rule) == (
        True,
        "congestive heart failure",
        "conditions.tsv",
    )


def test_contraception_exclusion_does_not_apply_to_a_man() -> None:
    verdict = _verdict(DIABETIC)
    assert verdict.criteria[5].verdict == "met"
    assert verdict.criteria[5].reason == (
        "childbearing potential does not apply to a male patient; "
        "contraception does not apply to a male patient"
    )


def test_structured_age_below_minimum() -> None:
    verdict = _verdict(msgspec.structs.replace(DIABETIC, age_years=12))
    assert verdict.criteria[1].verdict == "not_met"
    assert verdict.ruled_out_by[0] == (
        "Age 18 Years to no maximum: age 12 is not within 18 Years to no maximum"
    )


def test_closed_trial_is_not_eligible_unless_status_is_ignored() -> None:
    trial = _trial(overall_status="COMPLETED")
    parsed = parse_criteria(trial.eligibility_criteria)
    closed = evaluate_trial(trial, parsed, DIABETIC, ON)
    assert closed.ruled_out_by[0] == "Overall status: the trial is completed"
    assert evaluate_trial(trial, parsed, DIABETIC, ON, check_status=False).not_met == 0


def test_measurement_out_of_range_fails_inclusion() -> None:
    patient = msgspec.structs.replace(
        DIABETIC, observations=[Observation(name="eGFR", value=20, unit="mL/min/1.73m2")]
    )
    verdict = _verdict(patient)
    assert verdict.criteria[3].verdict == "not_met"
    assert verdict.criteria[3].reason == "egfr 20 mL/min/1.73m2 is not in ≥ 30 ml_min_173"


def test_own_condition_in_exclusion_stays_unknown() -> None:
    patient = PatientProfile(conditions=[Condition(text="breast cancer")])
    trial = _trial(
        eligibility_criteria="Exclusion Criteria:\n\n- Other malignancy\n",
        conditions=["Breast Cancer"],
    )
    verdict = evaluate_trial(trial, parse_criteria(trial.eligibility_criteria), patient, ON)
    assert verdict.criteria[-1].verdict == "unknown"
    assert verdict.criteria[-1].reason == (
        "Other malignancy: the trial's own condition; the criterion likely means another one"
    )


def test_restricting_qualifier_needs_the_note_to_say_it() -> None:
    patient = PatientProfile(conditions=[Condition(text="hypertension")])
    trial = _trial(eligibility_criteria="Exclusion Criteria:\n\n- Uncontrolled hypertension\n")
    verdict = evaluate_trial(trial, parse_criteria(trial.eligibility_criteria), patient, ON)
    assert verdict.criteria[-1].verdict == "unknown"
    assert verdict.criteria[-1].reason.endswith("; 'uncontrolled' not known")


def test_verdict_round_trips_as_json() -> None:
    verdict = _verdict(DIABETIC)
    assert msgspec.json.decode(msgspec.json.encode(verdict), type=TrialVerdict) == verdict


@pytest.mark.parametrize(
    ("outcome", "met", "unknown", "expected"),
    [
        ("eligible", 5, 0, 1.0),
        ("possibly_eligible", 2, 2, 0.5),
        ("not_eligible", 2, 2, 0.025),
    ],
    ids=["eligible", "possibly", "not-eligible"],
)
def test_eligibility_factor(outcome: str, met: int, unknown: int, expected: float) -> None:
    assert eligibility_factor(outcome, met, unknown) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("criterion", "verdict"),
    [
        # "prior therapy" alone names no therapy: unknown, while the biopsy no longer counts
        ("Previous therapy to the breast other than excisional biopsy", "unknown"),
        ("Prior chemotherapy, unless limited to a diagnostic biopsy", "not_met"),
        ("Any prior treatment except biopsy", "unknown"),
        ("Prior biopsy", "not_met"),
    ],
    ids=["other-than", "unless-keeps-main-clause", "except", "no-exception"],
)
def test_exception_clause_does_not_make_an_exclusion_hold(criterion: str, verdict: str) -> None:
    patient = PatientProfile(
        age_years=50,
        sex="female",
        treatments=[Treatment(name="biopsy", kind="procedure"), Treatment(name="chemotherapy")],
    )
    text = f"Exclusion Criteria:\n\n- {criterion}\n"
    result = _verdict(patient, eligibility_criteria=text)
    assert [c.verdict for c in result.criteria if c.section == "exclusion"] == [verdict]


@pytest.mark.parametrize(
    ("criterion", "sex", "verdict"),
    [
        ("Male or nonpregnant, non-breastfeeding females", "male", "met"),
        ("Non-breastfeeding women", "female", "unknown"),
        ("Breastfeeding women", "male", "met"),
    ],
    ids=["male-branch", "non-prefix-female", "does-not-apply-to-men"],
)
def test_pregnancy_requirements_of_inclusion(criterion: str, sex: str, verdict: str) -> None:
    patient = PatientProfile(age_years=40, sex=sex)  # type: ignore[arg-type]
    text = f"Inclusion Criteria:\n\n- {criterion}\n"
    result = _verdict(patient, eligibility_criteria=text)
    assert [c.verdict for c in result.criteria if c.section == "inclusion"] == [verdict]


GILBERT = Condition(text="Gilbert's syndrome")


@pytest.mark.parametrize(
    ("section", "comparator", "value", "conditions", "expected"),
    [
        ("Inclusion", "≤", 2.5, [GILBERT], ("met", "bilirubin 2.5 mg/dL is in ≤ 3 mg/dL")),
        ("Inclusion", "≤", 2.5, [], ("not_met", "bilirubin 2.5 mg/dL is not in ≤ 1.5 mg/dL")),
        ("Inclusion", "≤", 4.0, [GILBERT], ("not_met", "bilirubin 4 mg/dL is not in ≤ 3 mg/dL")),
        ("Exclusion", ">", 2.5, [GILBERT], ("met", "bilirubin 2.5 mg/dL is not in > 3 mg/dL")),
        ("Exclusion", ">", 2.5, [], ("not_met", "bilirubin 2.5 mg/dL is in > 1.5 mg/dL")),
        ("Exclusion", ">", 1.0, [], ("met", "bilirubin 1 mg/dL is not in > 1.5 mg/dL")),
        (
            "Exclusion",
            ">",
            2.5,
            [msgspec.structs.replace(GILBERT, negated=True)],
            ("not_met", "bilirubin 2.5 mg/dL is in > 1.5 mg/dL"),
        ),
    ],
    ids=[
        "inclusion-in-subgroup",
        "inclusion-not-in-subgroup",
        "inclusion-in-subgroup-above",
        "exclusion-in-subgroup",
        "exclusion-not-in-subgroup",
        "exclusion-not-in-subgroup-below",
        "exclusion-subgroup-negated",
    ],
)
def test_a_subgroup_bound_applies_only_to_the_subgroup(
    section: str,
    comparator: str,
    value: float,
    conditions: list[Condition],
    expected: tuple[str, str],
) -> None:
    criterion = (
        f"Total bilirubin {comparator} 1.5 mg/dL "
        f"({comparator} 3 mg/dL for patients with Gilbert's syndrome)"
    )
    trial = _trial(eligibility_criteria=f"{section} Criteria:\n\n- {criterion}\n")
    patient = PatientProfile(
        conditions=conditions,
        observations=[Observation(name="total bilirubin", value=value, unit="mg/dL")],
    )
    verdict = evaluate_trial(trial, parse_criteria(trial.eligibility_criteria), patient, ON)
    assert (verdict.criteria[-1].verdict, verdict.criteria[-1].reason) == expected


# 40 is on neither side; within the trial's own age limits that reads as "unknown" (a part that
# may apply to one group only), as for one age.
@pytest.mark.parametrize(("age", "verdict"), [(12, "not_met"), (40, "unknown"), (75, "not_met")])
def test_two_ages_in_an_exclusion_are_either_side(age: int, verdict: str) -> None:
    criteria = (
        "Inclusion Criteria:\n\n- Healthy\n\nExclusion Criteria:\n\n- Age < 18 or > 70 years\n"
    )
    found = _verdict(PatientProfile(age_years=age), eligibility_criteria=criteria)
    assert [c.verdict for c in found.criteria if c.section == "exclusion"] == [verdict]
