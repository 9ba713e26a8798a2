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


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Age ≥18 years old and ≤75 years old, both male and female;", 18.0, 75.0),
        ("Women aged ≥ 20 years and ≤ 70 years", 20.0, 70.0),
        ("Age > 18 and < 80 years of age", 18.0, 80.0),
    ],
    ids=["years-old-between", "unit-on-both", "unit-on-second"],
)
def test_age_chain_makes_one_range(text: str, low: float, high: float) -> None:
    ages = [c for c in parse_criterion(text) if isinstance(c, AgeConstraint)]
    assert [(a.years.low, a.years.high) for a in ages] == [(low, high)]


def test_age_chain_needs_an_age_unit_or_nothing_after() -> None:
    ages = [
        c for c in parse_criterion("Age ≥ 40 and ≤ 100 mg daily") if isinstance(c, AgeConstraint)
    ]
    assert [(a.years.low, a.years.high) for a in ages] == [(40.0, None)]


def test_bracketed_donor_ages_are_not_the_patients() -> None:
    text = "Presence of both young (age ≤ 40) and older first-degree (age >50) donors"
    assert [c for c in parse_criterion(text) if isinstance(c, AgeConstraint)] == []


def test_blood_pressure_pair() -> None:
    found = [c for c in parse_criterion("resting blood pressure (BP, <160/100 mmHg);")]
    assert [(m.analyte, m.bounds, m.canonical) for m in found if isinstance(m, Measurement)] == [
        ("sbp", Bounds(high=160.0, high_inclusive=False), Bounds(high=160.0, high_inclusive=False)),
        ("dbp", Bounds(high=100.0, high_inclusive=False), Bounds(high=100.0, high_inclusive=False)),
    ]


@pytest.mark.parametrize(
    ("text", "name", "low"),
    [
        ("SANS rating of 2 or higher on either subscale", "SANS", 2.0),
        ("(scores of 2 or higher) on the self-reported SDQ Impact Supplement", "SDQ", 2.0),
    ],
    ids=["acronym-rating", "score-on-the-scale"],
)
def test_unnamed_scale_scores(text: str, name: str, low: float) -> None:
    found = [c for c in parse_criterion(text) if isinstance(c, ScoreConstraint)]
    assert [(s.score, s.bounds) for s in found] == [(name, Bounds(low=low))]


@pytest.mark.parametrize(
    "text",
    [
        "anaplastic lymphoma kinase (ALK) negative",
        "tumor PD-L1 expression is positive",
        "Prior PD-1 antibody treatment",
    ],
    ids=["gene-name", "expression", "checkpoint-antibody"],
)
def test_a_condition_word_naming_something_else_is_not_a_condition(text: str) -> None:
    assert [c for c in parse_criterion(text) if isinstance(c, ConditionConstraint)] == []


def test_a_disease_test_keeps_its_condition() -> None:
    found = [
        c for c in parse_criterion("HIV antibody positive") if isinstance(c, ConditionConstraint)
    ]
    assert [c.text for c in found] == ["HIV"]


def test_a_lab_value_followed_by_a_duration_is_not_read() -> None:
    text = "M protein in the serum or urine for more than 6 months"
    assert [c for c in parse_criterion(text) if isinstance(c, Measurement)] == []


def test_m_protein_and_free_light_chains() -> None:
    text = "serum free light chain (sFLC) levels > 100 mg/L; M-protein ≥ 0.5 g/dL"
    found = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert [(m.analyte, m.bounds) for m in found] == [
        ("sflc", Bounds(low=100.0, low_inclusive=False)),
        ("m_protein", Bounds(low=0.5)),
    ]


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("ECOG performance status 2 or less", Bounds(high=2.0)),
        ("Pittsburgh Sleep Quality Index (PSQI) score 10 or higher.", Bounds(low=10.0)),
        ("ECOG 0 or 1", Bounds(low=0.0, high=1.0)),
    ],
    ids=["ecog-or-less", "psqi-or-higher", "ecog-values"],
)
def test_score_or_more_is_a_bound_not_a_value(text: str, bounds: Bounds) -> None:
    [score] = [c for c in parse_criterion(text) if isinstance(c, ScoreConstraint)]
    assert score.bounds == bounds


# Round 4: analytes outside the first lab list, each read in its canonical unit.
@pytest.mark.parametrize(
    ("text", "analyte", "bounds", "unit"),
    [
        ("DLCO of ≥ 40% of predicted", "dlco", Bounds(low=40.0), "percent"),
        ("FEV1 ≥ 50% predicted", "fev1", Bounds(low=50.0), "percent"),
        ("umbilical artery pH < 7.0", "ph", Bounds(high=7.0, high_inclusive=False), "1"),
        (
            "base excess greater than 14 mmol/L",
            "base_excess",
            Bounds(low=14.0, low_inclusive=False),
            "mmol/L",
        ),
        (
            "leukemic blasts in the bone marrow (>5%)",
            "blasts",
            Bounds(low=5.0, low_inclusive=False),
            "percent",
        ),
        ("PD-L1 TPS ≥ 50%", "pd_l1_tps", Bounds(low=50.0), "percent"),
        ("IOP of ≥ 18mmHg and ≤ 45mmHg", "iop", Bounds(low=18.0, high=45.0), "mmHg"),
        ("CD4+ T-cell counts ≥350 cells/microliter", "cd4", Bounds(low=350.0), "1/mm**3"),
        (
            "ejection fraction (LVEF) should exceed 40%",
            "lvef",
            Bounds(low=40.0, low_inclusive=False),
            "percent",
        ),
    ],
)
def test_round4_analytes(text: str, analyte: str, bounds: Bounds, unit: str) -> None:
    [lab] = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert (lab.analyte, lab.bounds, lab.canonical_unit, lab.canonical) == (
        analyte,
        bounds,
        unit,
        bounds,
    )


@pytest.mark.parametrize(
    ("text", "score", "bounds"),
    [
        ("DXA T-score of less than -2.0", "T-score", Bounds(high=-2.0, high_inclusive=False)),
        ("Oncology Group (ECOG) performance status 0-2", "ECOG", Bounds(low=0.0, high=2.0)),
        ("histology activity index of at least 6", "HAI", Bounds(low=6.0)),
    ],
)
def test_round4_scores(text: str, score: str, bounds: Bounds) -> None:
    [found] = [c for c in parse_criterion(text) if isinstance(c, ScoreConstraint)]
    assert (found.score, found.bounds) == (score, bounds)


def test_t_score_as_distance_is_not_read() -> None:
    """ "2.5 SD below the mean" is a T-score of -2.5 written as a distance: not read as ≥ 2.5."""
    found = parse_criterion("T-score greater than or equal to 2.5 SD below the mean")
    assert not [c for c in found if isinstance(c, ScoreConstraint)]


def test_gene_name_is_not_a_condition() -> None:
    """ "PD" of "PD-L1" is not Parkinson disease."""
    found = parse_criterion("PD-L1 TPS ≥ 1% in tumor tissue")
    assert not [c for c in found if isinstance(c, ConditionConstraint)]
