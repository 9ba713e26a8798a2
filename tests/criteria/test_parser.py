"""parse_criteria on the seed trial: the constraints the product was specified from."""

from __future__ import annotations

import msgspec
import pytest

from trialfinder.criteria.constraints import (
    AgeConstraint,
    Bounds,
    ConditionConstraint,
    Measurement,
    NotCheckable,
    ParsedCriteria,
    ScoreConstraint,
    TreatmentConstraint,
    Unparsed,
)
from trialfinder.criteria.parser import parse_criteria, parse_criterion


def test_age_range_inclusive() -> None:
    [age] = parse_criterion("Age 6-18 years old (including critical value)")
    assert isinstance(age, AgeConstraint)
    assert (age.rule, age.span, age.years) == (
        "age_range_keyword",
        (0, 14),
        Bounds(low=6.0, high=18.0),
    )


def test_sledai() -> None:
    [score] = parse_criterion("SLEDAI-2000 score ≥8 points")
    assert isinstance(score, ScoreConstraint)
    assert (score.score, score.bounds) == ("SLEDAI-2K", Bounds(low=8.0))


def test_egfr_with_formula() -> None:
    egfr = parse_criterion(
        "eGFR ≥30 ml/(min.1.73m2) (Schwartz formula, except abnormal renal function by SLE)"
    )[0]
    assert isinstance(egfr, Measurement)
    assert (egfr.analyte, egfr.loinc, egfr.bounds, egfr.canonical_unit, egfr.formula) == (
        "egfr",
        "33914-3",
        Bounds(low=30.0),
        "ml_min_173",
        "Schwartz",
    )


def test_ana_titre() -> None:
    [ana] = parse_criterion("Anti-nuclear antibody (ANA) ≥1:80")
    assert isinstance(ana, Measurement)
    assert (ana.analyte, ana.titre, ana.bounds) == ("ana", True, Bounds(low=80.0))


def test_ecog_range() -> None:
    [ecog] = parse_criterion("Eastern Cancer Cooperation Group (ECOG) physical status score 0 to 2")
    assert isinstance(ecog, ScoreConstraint)
    assert (ecog.score, ecog.bounds) == ("ECOG", Bounds(low=0.0, high=2.0))


def test_platelets_converted() -> None:
    [platelets] = parse_criterion("Platelet count at least 100,000/mm^3")
    assert isinstance(platelets, Measurement)
    assert platelets.canonical == Bounds(low=100.0)


def test_uln_shared_by_two_analytes() -> None:
    found = parse_criterion("ALT and AST ≤ 2.5 × ULN")
    assert [(m.analyte, m.uln_multiple, m.bounds) for m in found if isinstance(m, Measurement)] == [
        ("alt", True, Bounds(high=2.5)),
        ("ast", True, Bounds(high=2.5)),
    ]


def test_condition_with_window() -> None:
    [tumour] = parse_criterion("Diagnosed with malignant tumors in the last five years")
    assert isinstance(tumour, ConditionConstraint)
    assert tumour.window is not None
    assert (tumour.concept, tumour.temporality, tumour.window.amount, tumour.window.unit) == (
        "Neoplasms",
        "history",
        5.0,
        "years",
    )


@pytest.mark.parametrize(
    ("text", "therapy"),
    [
        ("Received CAR-T therapy previously", "CAR-T cell therapy"),
        ("Received kidney transplant previously", "Kidney transplantation"),
    ],
)
def test_prior_treatment(text: str, therapy: str) -> None:
    [treatment] = parse_criterion(text)
    assert isinstance(treatment, TreatmentConstraint)
    assert (treatment.therapy, treatment.temporality) == (therapy, "history")


def test_negated_conditions() -> None:
    found = parse_criterion("No history of stroke, myocardial infarction or unstable angina")
    assert [(c.concept, c.negated) for c in found if isinstance(c, ConditionConstraint)] == [
        ("Stroke", True),
        ("Myocardial Infarction", True),
        ("Angina Pectoris", True),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Participated in other clinical trials within 3 months before enrollment", "other_trial"),
        ("Other situations that the researcher considers unsuitable", "investigator_judgement"),
        ("Participants and their guardians sign the informed consent", "consent"),
    ],
)
def test_not_checkable(text: str, reason: str) -> None:
    found = [c for c in parse_criterion(text) if isinstance(c, NotCheckable)]
    assert [c.reason for c in found] == [reason]


def test_unparsed_is_kept() -> None:
    assert parse_criterion("Heart function: hemodynamic stability;") == [
        Unparsed(
            span=(0, 38),
            confidence=1.0,
            rule="unparsed",
            text="Heart function: hemodynamic stability;",
        )
    ]


def test_parse_criteria_round_trips_as_json() -> None:
    parsed = parse_criteria("Inclusion Criteria:\n* Age ≥ 18 years\nExclusion Criteria:\n* HIV")
    decoded = msgspec.json.decode(msgspec.json.encode(parsed), type=ParsedCriteria)
    assert decoded == parsed
    assert [c.text for c in decoded.exclusion] == ["HIV"]
