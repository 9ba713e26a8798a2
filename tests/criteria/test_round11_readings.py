"""Round 11 of issue 5: measurement and score recall, sex precision. Causes grouped from the
misses of the tuning halves of the labelled files; one test per reading, each text a real
wording from the shared ClinicalTrials.gov data."""

from __future__ import annotations

import pytest

from readings import conditions, labs, scores
from trialfinder.criteria.constraints import SexConstraint
from trialfinder.criteria.parser import parse_criterion


def sexes(text: str) -> list[str]:
    """The sex of each sex constraint."""
    return [c.sex for c in parse_criterion(text) if isinstance(c, SexConstraint)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vision in each eye must measure 20/40 or better.", [("visual_acuity", None, 0.3)]),
        ("Fellow eye BCVA 20/32 or better.", [("visual_acuity", None, 0.2)]),
        (
            "Amblyopic eye best-corrected visual acuity (BCVA) 20/40 to 20/200 inclusive.",
            [("visual_acuity", 0.3, 1.0)],
        ),
        ("Visual acuity of 20/80 - 20/200 in the study eye.", [("visual_acuity", 0.6, 1.0)]),
        ("Patients should have vision of 20/80 or worse.", [("visual_acuity", 0.6, None)]),
        ("Fellow eye visual acuity <20/200", [("visual_acuity", 1.0, None)]),
        (
            "visual acuity worse than 20/40, caused by central subepithelial fibrosis",
            [("visual_acuity", 0.3, None)],
        ),
        (
            "Subjects must have best corrected visual acuity equal or better than 20/20.",
            [("visual_acuity", None, 0.0)],
        ),
        ("Best corrected visual acuity 0.7 or better", []),
        ("Interocular BCVA difference ≥3 lines (≥0.3 logMAR)", []),
    ],
    ids=[
        "or-better",
        "bcva",
        "range",
        "range-dash",
        "or-worse",
        "comparator-on-the-fraction",
        "worse-than",
        "equal-or-better",
        "decimal-not-read",
        "lines-not-read",
    ],
)
def test_visual_acuity_is_read_from_a_snellen_fraction_as_log_mar(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    """A smaller fraction is worse sight and a larger logMAR: "20/40 or better" is ≤ 0.3."""
    assert labs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Preserved renal function (creatinine less than or equal to 2.5 mg/dL; less than or "
            "equal to 3+ proteinuria)",
            [("creatinine", None, 2.5), ("proteinuria", None, 3.0)],
        ),
        ("less than 1+ proteinuria on urinalysis", [("proteinuria", None, 1.0)]),
        ("No proteinuria of 2+ or greater", []),
    ],
    ids=["value-first", "on-urinalysis", "analyte-first-postfix-unchanged"],
)
def test_a_dipstick_grade_before_proteinuria(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    assert labs(text) == expected


def test_a_group_name_listed_with_other_analytes_is_measured() -> None:
    """Transaminases beside ALP and bilirubin (no member named) keep their own bound."""
    text = (
        "Transaminases, alkaline phosphatase, total bilirubin less than or equal to 5x upper "
        "limit of normal range."
    )
    assert labs(text) == [
        ("transaminases", None, 5.0),
        ("alp", None, 5.0),
        ("bilirubin", None, 5.0),
    ]


def test_a_group_name_with_its_members_is_not_measured() -> None:
    text = "Transaminases (SGOT and/or SGPT) may be up to 2.5 X institutional ULN"
    assert labs(text) == [("ast", None, 2.5), ("alt", None, 2.5)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The QTcF (corrected QT interval Fridericia method) value in the screening ECG "
            "greater than 450 ms in males and greater than 460 ms in females.",
            [("qtc", 450.0, None), ("qtc", 460.0, None)],
        ),
        (
            "the serum glutamic-oxaloacetic transaminase (SGOT [AST]) must be <1.5 times the "
            "ULN for the lab.",
            [("ast", None, 1.5)],
        ),
        (
            "anemia (hemoglobin less than or equal to 9 gm/dL), or red blood cell transfusion "
            "requirement of greater than or equal to 2 units/month",
            [("hemoglobin", None, 9.0)],
        ),
    ],
    ids=["spelled-out-in-brackets", "short-forms-in-brackets", "bracket-with-a-value"],
)
def test_a_bracket_spelling_out_the_analyte_is_part_of_its_name(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    assert labs(text) == expected


def test_a_scale_name_in_the_analyte_is_not_a_condition() -> None:
    """ "Symptomatic hypoglycemia with blood glucose < 40": hypoglycemia stays a condition."""
    text = "Symptomatic hypoglycemia with blood glucose < 40, or hyperglycemia requiring therapy."
    assert labs(text) == [("glucose", None, 40.0)]
    assert "hypoglycemia" in [c.lower() for c in conditions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Serum total testosterone concentrations less than 31 ng/dL or free testosterone "
            "less than 3.5 pg/ml",
            [("testosterone", None, 31.0), ("free_testosterone", None, 3.5)],
        ),
        (
            "No inhaled nicotine for >= 6 months and cotinine < 20 ng/mL.",
            [("cotinine", None, 20.0)],
        ),
        (
            "Severely immunocompromised patients who develop blood levels of EBV DNA exceeding "
            "500 copies/ml DNA",
            [("ebv_dna", 500.0, None)],
        ),
        (
            "LV outflow tract gradient greater than or equal to 30 mm Hg at rest",
            [("lvot_gradient", 30.0, None)],
        ),
        ("SE (sleep efficiency) \\<80%", [("sleep_efficiency", None, 80.0)]),
        (
            "UACR greater than 30 mg/g.cr. and less than 3500 mg/g.cr.",
            [("uacr", 30.0, 3500.0)],
        ),
        ("Alkalin phosphatases ≤ 5 x ULN", [("alp", None, 5.0)]),
    ],
    ids=["free-testosterone", "cotinine", "ebv-dna", "lvot", "sleep-efficiency", "mg-g-cr", "alp"],
)
def test_new_analytes_and_units(
    text: str, expected: list[tuple[str, float | None, float | None]]
) -> None:
    assert labs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hamilton Anxiety Scale (HAM-A) score at least 14 AND Profile of Mood States (POMS) "
            "tension/anxiety scale score at least 20",
            [("HAM-A", 14.0, None), ("POMS", 20.0, None)],
        ),
        (
            "a diabetic neuropathy symptom score of \\>= 1/4 Or neuropathy disability score of "
            "\\>= 3/10 (9).",
            [("DNS", 1.0, None), ("NDS", 3.0, None)],
        ),
        (
            "Gastric Outlet Obstruction Scoring System (GOOSS) of \\< 3 with radiological",
            [("GOOSS", None, 3.0)],
        ),
        (
            "Incomplete cytoreduction defined as completeness of cytoreduction score 2-3",
            [("CC", 2.0, 3.0)],
        ),
        ("Performance status 0-1 (ECOG PS)", [("ECOG", 0.0, 1.0)]),
        ("performance status 0-2 (Karnofsky ≥ 50%, see Appendix A)", [("Karnofsky", 50.0, None)]),
    ],
    ids=["poms", "dns-nds", "gooss", "cc", "ps-named-after", "another-scale-in-the-bracket"],
)
def test_new_scales(text: str, expected: list[tuple[str, float | None, float | None]]) -> None:
    assert scores(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Males who are unwilling to use an acceptable method of birth control during the "
            "entire study period (ie, condom with spermicide).",
            [],
        ),
        ("Men who have sexual intercourse unless they use a condom during sexual intercourse", []),
        ("Women who are actively breastfeeding", []),
        (
            "Female sterilization (have had surgical bilateral oophorectomy with or without "
            "hysterectomy), total hysterectomy, or bilateral tubal ligation",
            [],
        ),
        ("Women currently pregnant or expecting to become pregnant in the near future", []),
        ("Women contemplating pregnancy within the year's duration of receiving valaciclovir", []),
        (
            "Women ≥50 years old will be considered postmenopausal if they have been amenorrheic "
            "for 12 months or more following cessation of all exogenous hormonal treatment.",
            [],
        ),
        (
            "Female subjects, unless post-menopausal or surgically sterile, must use an adequate "
            "method of contraception.",
            [],
        ),
        ("Male, females ages >= 18.", ["all"]),
        ("Female patients with primary affective disorder (major depression n=17).", ["female"]),
        ("Women who reside in Harris County, Texas. (Cases)", ["female"]),
        ("Women 45-64 years of age.", ["female"]),
    ],
    ids=[
        "unwilling",
        "sexual-activity",
        "breastfeeding",
        "sterilization",
        "currently-pregnant",
        "contemplating",
        "a-definition",
        "unless",
        "comma-list-is-both",
        "subject",
        "resident",
        "aged",
    ],
)
def test_a_sex_that_only_says_whom_a_statement_is_about(text: str, expected: list[str]) -> None:
    """Sex is read only where it says who may take part."""
    assert sexes(text) == expected
