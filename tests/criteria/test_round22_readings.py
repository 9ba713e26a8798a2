"""Round 22: ages written without the word "age" before them ("Adults ≥22 and ≤80 years",
"Females, over 18 years", "Patients must be ≥ 11 and < 25 years of age"), the other side of an
excluded age range ("Age < 18 or > 70 years"), a bare "=" before an age read as written, "no
older than", a multiple of the upper limit of normal written without "x" ("AST < 2.5 ULN"), a
comparator written before a scale's name ("greater than NYHA class II"), a class numeral inside a
word (the "I" of "PCI"), an age before the sex ("20-40 years old women") and a lab's other side
after a converted value ("< 8.0 mg/dl (2.00 mmol/L) or ≥ 12.0 mg/dl") (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, age_years, lab_bounds, score_bounds
from trialfinder.criteria.constraints import Measurement, ScoreConstraint, SexConstraint
from trialfinder.criteria.parser import parse_criterion

Years = list[tuple[float | None, float | None]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Skeletally mature adults ≥22 and ≤80 years at the time of surgery", [(22.0, 80.0)]),
        ("Patients must be >= 11 and < 25 years of age at enrollment", [(11.0, 25.0)]),
        ("Participant is ≥ 22 and ≤75 years of age.", [(22.0, 75.0)]),
        ("Adults ≥18 - ≤65 years of age", [(18.0, 65.0)]),
        ("≥ 6 and < 24 months old", [(0.5, 2.0)]),
        ("Be aged ≥ 18 to ≤ 70 years", [(18.0, 70.0)]),
        ("Age >18 to <70 years old.", [(18.0, 70.0)]),
    ],
)
def test_two_comparator_bounds_make_one_range(text: str, expected: Years) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥ 18 years of age \\< 75 years", [(18.0, 75.0)]),
        ("Males or females ≥18 years of age, ≤ 80 years of age", [(18.0, 80.0)]),
        (
            "subjects who are at least 18 years of age, but no older than 60 years of age",
            [(18.0, 60.0)],
        ),
        ("Women not older than 45 years of age", [(None, 45.0)]),
    ],
)
def test_the_age_of_years_of_age_starts_no_second_age(text: str, expected: Years) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Females, over 18 years, with histologically confirmed cancer", [(18.0, None)]),
        ("Participant must be ≥ 18 years at the time of screening.", [(18.0, None)]),
        ("Patients \\<18 years,", [(None, 18.0)]),
        ("Adults ≥ 18 years and diagnosed with cirrhosis", [(18.0, None)]),
        ("Only patients less than 60 years are eligible", [(None, 60.0)]),
        ("Children 6 month to 14 years who come to the emergency room", [(0.5, 14.0)]),
        ("Healthy women 18-45 years", [(18.0, 45.0)]),
        ("Patients of 12-70 years, either gender", [(12.0, 70.0)]),
    ],
)
def test_a_person_then_an_age_with_its_unit(text: str, expected: Years) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Patients must be ≥ 5 years from diagnosis",
        "Patients who are ≥ 3 months post-transplant",
        "Patients with ≥ 2 years of follow-up",
        "patients 2 to 5 years after transplant",
        "Shortening fraction > 29% (> 35% for children < 3 years)",
        "Able to avoid contacts (e.g., children under 3 years, pregnant women)",
        "Patients >= 70 years must have a performance status of 0-2",
        "Patients ≥ 2 lesions",
    ],
)
def test_a_time_a_subgroup_or_someone_else_is_no_age_bound(text: str) -> None:
    assert age_years(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age \\< 18 or \\> 70 years", [(None, 18.0), (70.0, None)]),
        ("age less than 18 or greater than 65.", [(None, 18.0), (65.0, None)]),
        ("Age younger than 18 or older than 80 years.", [(None, 18.0), (80.0, None)]),
        ("Age < 6 or > 60 months", [(None, 0.5), (5.0, None)]),
        ("Age greater than 2 or less than 80", [(2.0, None)]),  # no excluded middle
    ],
)
def test_the_other_side_of_an_excluded_age_range(text: str, expected: Years) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aged = 8 months", [(0.6667, 0.6667)]),
        ("=19 years of age", [(19.0, 19.0)]),
        ("Age = 65 years with one additional stroke risk factor", [(65.0, 65.0)]),
        ("age =18 and <75 years;", [(18.0, 75.0)]),  # a range is written: "=" is its low end
        ("Male or female patients = 18 and = 85 years of age", [(18.0, 85.0)]),
        ("Age =18 and = 65 years", [(18.0, 65.0)]),
        ("Age \\> = 1 years of age and less than 25 years of age.", [(1.0, 25.0)]),
        ("Age 19 and more", [(19.0, None)]),
    ],
)
def test_an_equality_and_other_spellings(text: str, expected: Years) -> None:
    assert age_years(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AST/ALT < 2.5 ULN", [("ast", None, 2.5), ("alt", None, 2.5)]),
        ("total bilirubin ≤1.5ULN", [("bilirubin", None, 1.5)]),
        ("Creatinine < 1.5 upper limit of normal", [("creatinine", None, 1.5)]),
        (
            "ALT ≤ 2.5 institutional ULN (≤ 5 ULN if liver metastases)",
            [
                ("alt", None, 2.5),
                ("alt", None, 5.0),
            ],
        ),
    ],
)
def test_a_multiple_of_the_upper_limit_without_times(text: str, expected: list[object]) -> None:
    read = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert lab_bounds(text) == expected
    assert [c.uln_multiple for c in read] == [True] * len(expected)


def test_a_value_with_its_own_unit_is_no_multiple() -> None:
    read = [c for c in parse_criterion("ALT ≤ 40 U/L (ULN 40)") if isinstance(c, Measurement)]
    assert [(c.analyte, c.bounds.high, c.uln_multiple) for c in read] == [("alt", 40.0, False)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Greater than an ASA Class 1) or have a family history", [("ASA", 1.0, None)]),
        (
            "more or equal to American Society of Anesthesiologist (ASA) class III",
            [("ASA", 3.0, None)],
        ),
        ("heart failure ≤ NYHA II, history of infarction", [("NYHA", None, 2.0)]),
        ("heart failure greater than New York Heart Association Class II", [("NYHA", 2.0, None)]),
        ("at least ECOG 2", [("ECOG", 2.0, None)]),
        ("BMI > 30 and NYHA II", [("BMI", 30.0, None), ("NYHA", 2.0, 2.0)]),
        ("ASA class III", [("ASA", 3.0, 3.0)]),
    ],
)
def test_a_comparator_before_the_scale_bounds_its_single_value(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


def test_a_comparator_before_the_scale_drops_the_listed_class() -> None:
    (found,) = [c for c in parse_criterion("≥ NYHA class III") if isinstance(c, ScoreConstraint)]
    assert (found.bounds.low, found.bounds.high, found.classes) == (3.0, None, ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("taking ASA 100 mg daily, or with 300 mg ASA loading dose before PCI.", []),
        ("ASA physical status I-III", [("ASA", 1.0, 3.0)]),
        ("NYHA II/III heart failure", [("NYHA", 2.0, 3.0)]),
    ],
)
def test_a_class_numeral_starts_a_word(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20-40 years old women", "female"),
        ("18-45 years old healthy female volunteers", "female"),
        ("≥ 18 years old men with prostate cancer", "male"),
    ],
)
def test_an_age_before_the_sex_of_who_takes_part(text: str, expected: str) -> None:
    assert [c.sex for c in parse_criterion(text) if isinstance(c, SexConstraint)] == [expected]


def test_an_age_before_a_pregnancy_statement_names_no_sex() -> None:
    assert [
        c
        for c in parse_criterion("65 years old women who are pregnant")
        if isinstance(c, SexConstraint)
    ] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "serum calcium < 8.0 mg/dl (2.00 mmol/L) or ≥ 12.0 mg/dl (3.00 mmol/L).",
            [("calcium", None, 8.0), ("calcium", 12.0, None)],
        ),
        (
            "glucose < 70 mg/dL (3.9 mmol/L) or > 400 mg/dL",
            [("glucose", None, 70.0), ("glucose", 400.0, None)],
        ),
    ],
)
def test_the_other_side_after_a_converted_value(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
