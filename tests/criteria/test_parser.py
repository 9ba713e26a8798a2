"""parse_criteria on the seed trial: the constraints the product was specified from."""

from __future__ import annotations

import msgspec
import pytest

from trialfinder.criteria._short_forms import abbreviates as _abbreviates
from trialfinder.criteria.constraints import (
    AgeConstraint,
    Bounds,
    ConditionConstraint,
    Measurement,
    NotCheckable,
    ParsedCriteria,
    ScoreConstraint,
    SexConstraint,
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


def _mentions(text: str) -> list[tuple[str, tuple[int, int], str]]:
    return [
        ("condition" if isinstance(c, ConditionConstraint) else "treatment", c.span, c.text)
        for c in parse_criterion(text)
        if isinstance(c, ConditionConstraint | TreatmentConstraint)
    ]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        (
            "Prior allogeneic stem cell transplant (allo-SCT) within 6 months",
            [("treatment", (6, 48), "allogeneic stem cell transplant (allo-SCT)")],
        ),
        (
            "Known graft-versus-host disease (GVHD)",
            [("condition", (6, 38), "graft-versus-host disease (GVHD)")],
        ),
        (
            "antiretroviral therapy (ART)-naive adults",
            [("treatment", (0, 28), "antiretroviral therapy (ART)")],
        ),
        (
            "Previous ICS (inhaled corticosteroid) use",
            [("treatment", (9, 37), "ICS (inhaled corticosteroid)")],
        ),
        (
            "Back pain (radicular pain) for 6 weeks",
            [("condition", (0, 9), "Back pain"), ("condition", (11, 25), "radicular pain")],
        ),
        (
            "advanced EGFR-mutant NSCLC (EGFR)",
            [("condition", (21, 26), "NSCLC")],
        ),
        (
            "AS (> 17 on the Anxiety Sensitivity Index)",
            [("condition", (0, 2), "AS"), ("condition", (16, 23), "Anxiety")],
        ),
    ],
    ids=[
        "short-form-suffix",
        "short-form",
        "short-form-then-hyphen",
        "long-form-in-bracket",
        "bracket-of-examples",
        "short-form-not-of-the-mention",
        "bracket-not-opened-by-the-full-name",
    ],
)
def test_full_name_and_its_short_form_are_one_mention(
    text: str, mentions: list[tuple[str, tuple[int, int], str]]
) -> None:
    assert _mentions(text) == mentions


def test_merged_mention_keeps_the_full_names_concept() -> None:
    [ics] = parse_criterion("Prior ICS (inhaled corticosteroid) use")
    assert isinstance(ics, TreatmentConstraint)
    assert (ics.therapy, ics.rule) == ("Corticosteroids", "therapies.tsv")


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("NSCLC staged per the International Association for the Study of Lung Cancer", ["NSCLC"]),
        (
            "Schizophrenia per the Diagnostic and Statistical Manual of Mental Disorders",
            ["Schizophrenia"],
        ),
        ("Type 2 diabetes according to the American Diabetes Association", ["Type 2 diabetes"]),
        ("Stage IV NSCLC per the American Joint Committee on Cancer, 8th edition", ["NSCLC"]),
        ("Participation in a National Cancer Institute study of asthma", ["asthma"]),
    ],
    ids=["association-for-the-study-of", "manual-of", "association", "committee-on", "institute"],
)
def test_a_condition_inside_an_organisation_or_book_name_is_not_read(
    text: str, left: list[str]
) -> None:
    assert [m[2] for m in _mentions(text)] == left


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("allo-SCT", "allogeneic haematopoietic stem cell transplantation", True),
        ("DDD", "Patient has Degenerative Disc Disease", True),
        ("EGFR-TKI", "EGFR tyrosine kinase inhibitor", True),
        ("HR-MDS", "myelodysplastic syndrome", False),
        ("CAD", "heart failure", False),
        ("AD", "bad disease", False),
        ("EGFR", "advanced EGFR mutant NSCLC", False),
    ],
    ids=[
        "hyphenated",
        "initials",
        "prefix",
        "letter-missing",
        "unrelated",
        "first-letter-mid-word",
        "contained",
    ],
)
def test_abbreviates(short: str, long: str, expected: bool) -> None:
    assert _abbreviates(short, long) is expected


@pytest.mark.parametrize(
    "text",
    [
        "Acceptable birth control method for men and women",
        "Must use adequate contraception (males and females) or abstinence",
        "any double combination of male or female condom",
    ],
    ids=["method-for-men-and-women", "bracket-after-contraception", "condom"],
)
def test_men_and_women_of_a_contraception_clause_is_not_a_sex(text: str) -> None:
    assert [c for c in parse_criterion(text) if isinstance(c, SexConstraint)] == []


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        (
            "Men and women aged 18-65; women of childbearing potential must use contraception",
            "all",
        ),
        ("Pre- and postmenopausal women or men with stage II breast cancer", "all"),
    ],
    ids=["other-clause", "menopause-is-not-contraception"],
)
def test_men_and_women_outside_a_contraception_clause_is_a_sex(text: str, sex: str) -> None:
    assert [c.sex for c in parse_criterion(text) if isinstance(c, SexConstraint)] == [sex]


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Lansky (age < 16 years) or Karnofsky (age ≥ 16 years) performance status ≥ 70", []),
        ("Karnofsky ≥ 50 for patients > 16 years and Lansky ≥ 50 for patients ≤ 16 years", []),
        ("Adults (aged 18 to 70 years) with ECOG 0-1", [Bounds(low=18.0, high=70.0)]),
        ("Age: 16 and over Performance status: Karnofsky 60-100%", [Bounds(low=16.0)]),
    ],
    ids=["bracket-after-scale", "for-patients", "bracket-before-scale", "pdq-heading"],
)
def test_an_age_that_picks_a_scale_is_not_an_age_bound(text: str, years: list[Bounds]) -> None:
    assert [c.years for c in parse_criterion(text) if isinstance(c, AgeConstraint)] == years


def test_two_scales_before_one_value_both_get_it() -> None:
    found = parse_criterion("Karnofsky or Lansky score (depending on age) ≥ 50")
    assert [(c.score, c.bounds, c.rule) for c in found if isinstance(c, ScoreConstraint)] == [
        ("Karnofsky", Bounds(low=50.0), "score_comparator"),
        ("Lansky", Bounds(low=50.0), "score_also_named"),
    ]


@pytest.mark.parametrize(
    ("text", "score", "bounds"),
    [
        (
            "Body Mass Index (BMI) greater than 40kg/m2.",
            "BMI",
            Bounds(low=40.0, low_inclusive=False),
        ),
        (
            "Performance status (Karnofsky scale) must be greater than 70.",
            "Karnofsky",
            Bounds(low=70.0, low_inclusive=False),
        ),
        (
            "Alcohol Use Disorders Identification Test (AUDIT) (score of 8 or higher)",
            "AUDIT",
            Bounds(low=8.0),
        ),
        (
            "Mini-Mental State Examination total\r\n        score between 12 and 26",
            "MMSE",
            Bounds(low=12.0, high=26.0),
        ),
        ("Lansky score must be 50 percent or greater", "Lansky", Bounds(low=50.0)),
        ("Karnofsky 60%-100%", "Karnofsky", Bounds(low=60.0, high=100.0)),
        ("NYHA II and above heart failure", "NYHA", Bounds(low=2.0)),
        ("Fitzpatrick Skin Type I to VI", "Fitzpatrick", Bounds(low=1.0, high=6.0)),
    ],
    ids=[
        "value-into-unit",
        "closing-bracket",
        "bracket-with-score",
        "wrapped-line",
        "percent-or-greater",
        "percent-on-each-value",
        "and-above",
        "roman-six",
    ],
)
def test_score_layouts(text: str, score: str, bounds: Bounds) -> None:
    found = [(c.score, c.bounds) for c in parse_criterion(text) if isinstance(c, ScoreConstraint)]
    assert found == [(score, bounds)]


@pytest.mark.parametrize(
    "text",
    [
        "HAM-D, or history of suicide attempt(s) in the past 12 months",
        "use Karnofsky for patients > 16 years of age",
    ],
    ids=["comma-or-ends-the-gap", "value-in-years"],
)
def test_not_a_score(text: str) -> None:
    assert [c for c in parse_criterion(text) if isinstance(c, ScoreConstraint)] == []


def test_condition_between_scale_and_value_is_kept() -> None:
    found = parse_criterion("VAS back pain score of at least 50mm on a 100mm scale")
    assert [c.text for c in found if isinstance(c, ConditionConstraint)] == ["back pain"]


@pytest.mark.parametrize(
    ("text", "analyte", "bounds"),
    [
        ("Total bilirubin =\\< 1.5 x ULN", "bilirubin", Bounds(high=1.5)),
        ("Mean CD4 cell count = or > 600 cells/mm3", "cd4", Bounds(low=600.0)),
        ("Creatinine less then 1.5 mg/dL", "creatinine", Bounds(high=1.5, high_inclusive=False)),
        ("Hemoglobin > or = 9 g/dL", "hemoglobin", Bounds(low=9.0)),
        ("Free T3 ≤ 6.8 pmol/L", "free_t3", Bounds(high=6.8)),
        ("Shortening fraction at least 27%", "fractional_shortening", Bounds(low=27.0)),
        ("Sweat chloride at least 60 mEq/L", "sweat_chloride", Bounds(low=60.0)),
    ],
    ids=["escaped-le", "eq-or-gt", "less-then", "gt-or-eq", "pmol", "shortening", "sweat"],
)
def test_round5_measurements(text: str, analyte: str, bounds: Bounds) -> None:
    found = [(c.analyte, c.bounds) for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert found == [(analyte, bounds)]


def test_free_t3_in_pmol_is_converted_by_molar_mass() -> None:
    [t3] = [c for c in parse_criterion("Free T3 ≤ 6.8 pmol/L") if isinstance(c, Measurement)]
    assert t3.canonical is not None and t3.canonical.high is not None
    assert (t3.canonical_unit, round(t3.canonical.high, 2)) == ("pg/mL", 4.43)


def test_surgically_sterile_is_not_a_treatment() -> None:
    found = parse_criterion("Women who are surgically sterile")
    assert [c for c in found if isinstance(c, TreatmentConstraint)] == []


def test_a_therapy_class_does_not_take_another_therapy_before_it() -> None:
    found = parse_criterion("No concurrent chemotherapy endocrine therapy allowed")
    assert [c.text for c in found if isinstance(c, TreatmentConstraint)] == [
        "chemotherapy",
        "endocrine therapy",
    ]


def test_pdq_therapy_headings_are_not_treatments() -> None:
    found = parse_criterion(
        "Chemotherapy: No concurrent chemotherapy Endocrine therapy: Not specified"
    )
    assert [c.text for c in found if isinstance(c, TreatmentConstraint)] == ["chemotherapy"]


@pytest.mark.parametrize(
    "text",
    [
        "Premature infants with gestational age of less than 33 weeks",
        "Bone age less than or equal to 12 years.",
        "postmenopausal if they have been amenorrheic for 12 months or more",
        "Patients with predicted life expectancy of 12 months or more",
        "PSA values obtained 1 week or more apart",
    ],
    ids=["gestational-age", "bone-age", "amenorrhea", "life-expectancy", "interval"],
)
def test_not_an_age(text: str) -> None:
    assert [c for c in parse_criterion(text) if isinstance(c, AgeConstraint)] == []


def test_months_of_age_or_older_is_an_age() -> None:
    [age] = [
        c
        for c in parse_criterion("Children 8 months of age or older")
        if isinstance(c, AgeConstraint)
    ]
    assert (age.unit, age.bounds) == ("months", Bounds(low=8.0))


@pytest.mark.parametrize(
    ("text", "sexes"),
    [
        ("Female patients of childbearing potential must use contraception", []),
        ("Female volunteers of childbearing age should have a negative pregnancy test", []),
        ("No current use of any sex steroid hormone replacement therapy", []),
        ("Healthy women aged 18-40 who use contraception", ["female"]),
        ("Are female, and are not pregnant.", ["female"]),
    ],
    ids=[
        "of-childbearing-potential",
        "pregnancy-test",
        "sex-steroid",
        "age-between",
        "not-pregnant",
    ],
)
def test_a_sex_that_only_says_whom_contraception_is_about(text: str, sexes: list[str]) -> None:
    assert [c.sex for c in parse_criterion(text) if isinstance(c, SexConstraint)] == sexes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "No blastic phase CML (30% or more blasts in peripheral blood or bone marrow)",
            # the bound defines the negated blastic phase: its complement (rules round 31)
            [
                (
                    "blasts",
                    Bounds(high=30.0, high_inclusive=False),
                    "lab_value_first_postfix",
                    "30% or more blasts",
                )
            ],
        ),
        (
            "> 1.5 mg/dL serum creatinine",
            [
                (
                    "creatinine",
                    Bounds(low=1.5, low_inclusive=False),
                    "lab_value_first",
                    "> 1.5 mg/dL serum creatinine",
                )
            ],
        ),
        (
            "3.1 pmol/L ≤ FT3",
            [("free_t3", Bounds(low=3.1), "lab_value_compared", "3.1 pmol/L ≤ FT3")],
        ),
        (
            "3.1 pmol/L ≤ FT3 ≤ 6.8 pmol/L",
            [
                (
                    "free_t3",
                    Bounds(low=3.1, high=6.8),
                    "lab_comparator",
                    "3.1 pmol/L ≤ FT3 ≤ 6.8 pmol/L",
                )
            ],
        ),
    ],
    ids=["or-more-blasts", "comparator-first", "turned-round", "turned-round-range"],
)
def test_a_value_before_its_analyte(
    text: str, expected: list[tuple[str, Bounds, str, str]]
) -> None:
    found = [
        (c.analyte, c.bounds, c.rule, text[c.span[0] : c.span[1]])
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "At least 10% weight loss within the past 6 months",
        "≥ 2 platelet transfusions in the last month",
        "CD33+ leukaemia associated immunophenotype on >95% of blasts",
        "a 50% increase in urinary light chain excretion",
        "≥ 10 mg/kg body weight",
    ],
    ids=["weight-loss", "no-unit", "share-of-blasts", "increase-in", "dose-per-weight"],
)
def test_a_value_before_a_name_that_is_not_its_analyte(text: str) -> None:
    assert [c for c in parse_criterion(text) if isinstance(c, Measurement)] == []


def test_a_value_before_an_analyte_belongs_to_the_name_before_it() -> None:
    found = [
        (c.analyte, c.bounds)
        for c in parse_criterion("creatinine 1.5 mg/dL or more platelets")
        if isinstance(c, Measurement)
    ]
    assert found == [("creatinine", Bounds(low=1.5))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CR after > 2 chemotherapy regimens", []),
        ("Cr ≤ 1.5 mg/dL", [("creatinine", Bounds(high=1.5))]),
        ("Hct ≥ 30%", [("hematocrit", Bounds(low=30.0))]),
        ("pH < 7.0", [("ph", Bounds(high=7.0, high_inclusive=False))]),
        ("HB≥90g/L", [("hemoglobin", Bounds(low=90.0))]),
        ("hct less than 30", [("hematocrit", Bounds(high=30.0, high_inclusive=False))]),
    ],
    ids=["CR-complete-response", "Cr-creatinine", "Hct-hematocrit", "pH", "HB", "hct"],
)
def test_short_mixed_case_synonyms_match_as_written(
    text: str, expected: list[tuple[str, Bounds]]
) -> None:
    found = [(c.analyte, c.bounds) for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert found == expected


def test_psa_is_not_psoriatic_arthritis() -> None:
    found = parse_criterion("PSA > 4 ng/mL or psoriatic arthritis (PsA)")
    assert [c.text for c in found if isinstance(c, ConditionConstraint)] == [
        "psoriatic arthritis (PsA)"
    ]


@pytest.mark.parametrize(
    ("text", "analyte", "bounds", "mention"),
    [
        (
            "serum FLC ratio < 0.26",
            "flc_ratio",
            Bounds(high=0.26, high_inclusive=False),
            "FLC ratio",
        ),
        ("involved FLC ≥ 100 mg/L", "sflc", Bounds(low=100.0), "involved FLC"),
        ("FEV-1/FVC < 70%", "fev1_fvc", Bounds(high=70.0, high_inclusive=False), "FEV-1/FVC"),
    ],
    ids=["flc-ratio", "flc", "fev1-fvc"],
)
def test_the_longest_analyte_name_wins_whatever_its_case(
    text: str, analyte: str, bounds: Bounds, mention: str
) -> None:
    [found] = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert (found.analyte, found.bounds) == (analyte, bounds)
    assert mention in text[found.span[0] : found.span[1]]


@pytest.mark.parametrize(
    ("text", "score", "bounds"),
    [
        (
            "Disability at least grade 3 according to Guillain-Barre Study Group grading scale",
            "GBS disability",
            Bounds(low=3.0),
        ),
        ("≥ 20 on the MADRS", "MADRS", Bounds(low=20.0)),
        ("60 or more on the Karnofsky scale", "Karnofsky", Bounds(low=60.0)),
        (
            "greater than 2 points on the Expanded Disability Status Scale",
            "EDSS",
            Bounds(low=2.0, low_inclusive=False),
        ),
    ],
    ids=["grade-according-to", "on-the", "or-more-on-the", "points-on-the"],
)
def test_a_value_before_its_scale(text: str, score: str, bounds: Bounds) -> None:
    found = [(c.score, c.bounds) for c in parse_criterion(text) if isinstance(c, ScoreConstraint)]
    assert found == [(score, bounds)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Total bilirubin ≤1.5 x ULN or ≤3 x ULN for patients with Gilbert's disease",
            [
                ("bilirubin", Bounds(high=1.5), True, None, None),
                ("bilirubin", Bounds(high=3.0), True, None, "Gilbert's disease"),
            ],
        ),
        (
            "ALT ≤ 2.5 × ULN (≤ 5 × ULN for patients with liver metastases)",
            [
                ("alt", Bounds(high=2.5), True, None, None),
                ("alt", Bounds(high=5.0), True, None, "liver metastases"),
            ],
        ),
        (
            "AST > 2.5 x ULN (> 5 x ULN if liver metastases are present)",
            [
                ("ast", Bounds(low=2.5, low_inclusive=False), True, None, None),
                ("ast", Bounds(low=5.0, low_inclusive=False), True, None, "liver metastases"),
            ],
        ),
        (
            "bilirubin ≤ 1.5 mg/dL (≤ 3 mg/dL in patients with documented Gilbert's syndrome)",
            [
                ("bilirubin", Bounds(high=1.5), False, Bounds(high=1.5), None),
                ("bilirubin", Bounds(high=3.0), False, Bounds(high=3.0), "Gilbert's syndrome"),
            ],
        ),
        (
            "bilirubin ≤ 1.5 mg/dL or ≤ 3 for Gilbert's syndrome",
            [
                ("bilirubin", Bounds(high=1.5), False, Bounds(high=1.5), None),
                ("bilirubin", Bounds(high=3.0), False, Bounds(high=3.0), "Gilbert's syndrome"),
            ],
        ),
        (
            "AST no greater than 3 times ULN (no greater than 5 times ULN in case of liver\n"
            "        metastases)",
            [
                ("ast", Bounds(high=3.0), True, None, None),
                ("ast", Bounds(high=5.0), True, None, "liver metastases"),
            ],
        ),
    ],
    ids=[
        "or-for-patients-with",
        "bracket-for",
        "if-present",
        "in-patients-mg-dl",
        "unit-of-first",
        "wrapped-line",
    ],
)
def test_a_subgroup_bound_is_a_second_measurement(
    text: str, expected: list[tuple[str, Bounds, bool, Bounds | None, str | None]]
) -> None:
    found = [
        (c.analyte, c.bounds, c.uln_multiple, c.canonical, c.subgroup)
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]
    assert found == expected


def test_the_subgroup_is_not_read_as_a_required_condition() -> None:
    text = "ALT ≤ 3 x ULN (≤ 5 × ULN if known liver metastases)"
    assert [type(c).__name__ for c in parse_criterion(text)] == ["Measurement", "Measurement"]


@pytest.mark.parametrize(
    "text",
    [
        "ALT ≤ 2.5 × ULN or ≤ 5 × ULN for 2 weeks",
        "bilirubin ≤ 1.5 mg/dL or ≥ 3 mg/dL for Gilbert's syndrome",
        "bilirubin ≤ 1.5 × ULN or ≤ 3 × ULN",
        "SGOT ≤ 1.5 × ULN (≤ 2.5 × ULN if alkaline phosphatase no greater than ULN)",
    ],
    ids=["number-in-subgroup", "other-side", "no-subgroup", "another-lab-level"],
)
def test_no_subgroup_bound_without_a_subgroup_on_the_same_side(text: str) -> None:
    found = [c.subgroup for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert found == [None]


def test_a_second_bound_after_to_makes_a_range() -> None:
    found = [
        (c.analyte, c.bounds)
        for c in parse_criterion("Pre-bronchodilator FEV1 ≥ 40% to ≤ 90% of predicted normal")
        if isinstance(c, Measurement)
    ]
    assert found == [("fev1", Bounds(low=40.0, high=90.0))]


def test_a_rate_in_cc_per_minute_is_not_a_creatinine_level() -> None:
    text = "significant renal impairment (creatinine less than 40 cc/min)"
    assert [c for c in parse_criterion(text) if isinstance(c, Measurement)] == []
