"""Rules round 26: measurement numbers and signs as old records write them (issue 5):
code-point escapes ("<U+2265>"), powers of ten with the exponent in brackets ("x 10(9)/L",
"8 X 10(4) copies/ml"), cell counts per "cmm", "mg per dl", "mg/100 ml", ℃, and a second value
after an "=" that stands for a lost "≥" or "≤" ("Hgb =8.5 g/dL and =11.5 g/dL", "eGFR =20 and
<60 mL/min")."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds
from trialfinder.criteria.constraints import Measurement
from trialfinder.criteria.lexicon import unit_of
from trialfinder.criteria.parser import parse_criterion
from trialfinder.criteria.splitter import unescape


def _measurements(text: str) -> list[Measurement]:
    return [c for c in parse_criterion(text) if isinstance(c, Measurement)]


def test_a_code_point_escape_is_read_as_its_character_in_place() -> None:
    text = "eGFR <U+2265> 60 and Hb<U+2264>9"
    clean = unescape(text)
    assert len(clean) == len(text)
    assert clean == "eGFR        ≥ 60 and Hb       ≤9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eGFR <U+2265> 60 mL/min/1.73 m2", [("egfr", 60.0, None)]),
        ("Hemoglobin<U+2264>9 g/dL", [("hemoglobin", None, 9.0)]),
        ("Preoperative Hemoglobin <U+2266>11 g/dl", [("hemoglobin", None, 11.0)]),
    ],
)
def test_a_sign_written_as_a_code_point_escape_bounds_the_value(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("unit", "pint_unit"),
    [
        ("x10(9)/L", "giga_per_liter"),
        ("x 10(9)/L", "giga_per_liter"),
        ("x 10(3)/mm(3)", "thousand_per_microliter"),
        ("/cmm", "1/mm**3"),
        ("mg per dl", "mg/dL"),
        ("mg per deciliter", "mg/dL"),
        ("g per dl", "g/dL"),
        ("gm per dl", "g/dL"),
        ("mg/100 ml", "mg/dL"),
        ("mg/100ml", "mg/dL"),
        ("g/100 ml", "g/dL"),
        ("℃", "degC"),
        ("℉", "degF"),
    ],
)
def test_old_spellings_of_count_and_mass_units(unit: str, pint_unit: str) -> None:
    assert unit_of(unit) == pint_unit


@pytest.mark.parametrize(
    ("text", "analyte", "unit"),
    [
        ("platelets <100 x10(9)/L", "platelets", "x10(9)/L"),
        ("The ANC <1000/cmm", "anc", "/cmm"),
        ("body temperature still above 38 ℃", "temperature", "℃"),
        ("temperature = 37<U+2103>", "temperature", "℃"),
        ("Total bilirubin greater than 3.0 mg per dl", "bilirubin", "mg per dl"),
        ("hemoglobin greater than 9 g per dl", "hemoglobin", "g per dl"),
        ("Creatinine less than 2.0 mg/100ml.", "creatinine", "mg/100ml"),
    ],
)
def test_a_value_in_an_old_unit_is_converted(text: str, analyte: str, unit: str) -> None:
    (read,) = _measurements(text)
    assert (read.analyte, read.unit) == (analyte, unit)
    assert read.canonical is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HIV-1 RNA levels greater than 8 X 10(4) copies/ml", [("hiv_viral_load", 80000.0, None)]),
        ("plasma HIV RNA > 5 x 10^4 copies/mL", [("hiv_viral_load", 50000.0, None)]),
    ],
)
def test_a_value_times_a_power_of_ten_is_the_product(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_a_power_of_ten_without_a_unit_after_it_leaves_the_value_alone() -> None:
    # "/1" is a typing slip for "/L": no unit, so no product either
    assert lab_bounds("Platelet count less than 30 x 10(9)/1") == [("platelets", None, 30.0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hgb =8.5 g/dL and =11.5 g/dL",
            [("hemoglobin", 8.5, 8.5), ("hemoglobin", 11.5, 11.5)],
        ),
        (
            "Patients with body weight = 55 kg and = 140 kg",
            [("weight", 55.0, 55.0), ("weight", 140.0, 140.0)],
        ),
    ],
)
def test_a_second_equality_after_and_is_a_second_value(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Estimated glomerular filtration rate =20 mL/min and <60 mL/min", [("egfr", 20.0, 60.0)]),
        ("HbA1c = 7% and < 10%", [("hba1c", 7.0, 10.0)]),
    ],
)
def test_an_equality_then_a_higher_upper_bound_is_a_range(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("creatinine = 1.5 mg/dL and = 1.5 mg/dL", [("creatinine", 1.5, 1.5)]),  # one value
        ("weight = 50 kg and = 20 years", [("weight", 50.0, 50.0)]),  # an age follows
        ("potassium < 3.0 or > 5.4 mEq/L", [("potassium", None, 3.0), ("potassium", 5.4, None)]),
    ],
)
def test_no_second_equality_without_another_value_of_the_analyte(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected
