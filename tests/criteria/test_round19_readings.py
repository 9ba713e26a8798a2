"""Round 19 (issue 5): a European thousands point in a cell count ("platelets < 150.000
cells/mm3"), the prothrombin time as a share of the normal ("PT less than 60%"), a range after
"=" ("PaCO2=30-45 mmHg"), tachycardia and bradycardia as names of the heart rate when a rate
follows, and the spellings "mmHG", "or>5.5" and the full-width signs ＞ and ＜."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds
from trialfinder.criteria import Measurement, parse_criterion


def _measurements(text: str) -> list[Measurement]:
    return [c for c in parse_criterion(text) if isinstance(c, Measurement)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hemoglobin < 10 g/l and/or leucocytes < 4000 cels/mm3 and/or platelets < 150.000 "
            "cels/mm3;",
            [("hemoglobin", None, 10.0), ("wbc", None, 4000.0), ("platelets", None, 150000.0)],
        ),
        ("known platelet count < 100.000/µL at the time of screening", [("platelets", None, 1e5)]),
        ("platelets count < 100.000 mm3", [("platelets", None, 100000.0)]),
        ("neutrophils ≥ 1.500/mm3", [("anc", 1500.0, None)]),
        ("platelets between 100.000 and 400.000/µL", [("platelets", 100000.0, 400000.0)]),
    ],
)
def test_a_thousands_point_in_a_cell_count_is_read_as_thousands(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


def test_the_thousands_point_gives_the_count_in_its_canonical_unit() -> None:
    (found,) = _measurements("platelets < 150.000 cells/mm3")
    assert found.canonical is not None
    assert found.canonical.high == 150.0  # ×10⁹/L


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ×10⁹/L: the point is a decimal point
        ("ANC ≥ 1.500 x 10^9/L", [("anc", 1.5, None)]),
        # not a cell count
        ("creatinine < 1.500 mg/dL", [("creatinine", None, 1.5)]),
    ],
)
def test_a_decimal_point_elsewhere_stays_a_decimal_point(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Coagulation disorder defined by PT less than 60%", [("pt", None, 60.0)]),
        (
            "Severe coagulation disorder: prothrombin time <40% (or INR >1.7)",
            [("pt", None, 40.0), ("inr", 1.7, None)],
        ),
        ("Thromboplastin time < 50%", [("pt", None, 50.0)]),
        ("prothrombin activity must be ≥ 70%", []),  # "activity": no name of ours
    ],
)
def test_the_prothrombin_time_as_a_share_of_normal_is_read(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


def test_a_prothrombin_share_is_kept_unconverted_and_seconds_still_convert() -> None:
    (share,) = _measurements("PT ≥ 70%")
    assert (share.unit, share.canonical) == ("%", None)
    (seconds,) = _measurements("PT > 15 seconds")
    assert seconds.canonical is not None and seconds.canonical.low == 15.0
    # "partial thromboplastin time" stays the aPTT, the longer name
    assert lab_bounds("partial thromboplastin time < 40 seconds") == [("aptt", None, 40.0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PaCO2=30-45 mmHg", [("paco2", 30.0, 45.0)]),
        ("PT = 11.3-13.3 sec", [("pt", 11.3, 13.3)]),
        ("hemoglobin ≥ 9 g/dL and HbA1c = 7-10%", [("hemoglobin", 9.0, None), ("hba1c", 7, 10)]),
        # one value after "=": an equality, as written
        ("Serum creatinine level = 3.0 mg/dL", [("creatinine", 3.0, 3.0)]),
    ],
)
def test_a_range_after_an_equals_sign_is_read(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "severe sinus bradycardia (< 50 beats per minute), or second-degree block",
            [("heart_rate", None, 50.0)],
        ),
        # the negation governs the bound: the rate must stay below it (round 29)
        (
            "Must not have tachycardia greater than 90 bpm at time of scanning",
            [("heart_rate", None, 90.0)],
        ),
        (
            "No sinus tachycardia greater than or equal to 100 beats/min.",
            [("heart_rate", None, 100.0)],
        ),
        ("bradycardia < 50/min", [("heart_rate", None, 50.0)]),
        # the heart rate named after the condition owns the value
        ("atrial tachycardia with a heart rate > 100 bpm at rest", [("heart_rate", 100.0, None)]),
    ],
)
def test_tachycardia_and_bradycardia_name_the_heart_rate_before_a_rate(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "No history of sustained ventricular tachycardia (greater than 5 beats)",  # a count
        "ventricular tachycardia lasting > 30 seconds",  # a duration
        "tachycardia >120",  # no unit: not plainly a rate
    ],
)
def test_tachycardia_without_a_rate_is_no_heart_rate(text: str) -> None:
    assert lab_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("systolic blood pressure between 140-160 mmHG", [("sbp", 140.0, 160.0)]),
        ("SBP > 160 mm HG", [("sbp", 160.0, None)]),
        ("mean blood pressure more than 60mmHg", [("mean_arterial_pressure", 60.0, None)]),
        (
            "Serum potassium<3.2mmol/L, or>5.5mmol/L;",
            [("potassium", None, 3.2), ("potassium", 5.5, None)],
        ),
        ("serum triglycerides ＞2.0 mmol/L", [("triglycerides", 2.0, None)]),
        ("Hemoglobin ＜ 9 g/dL", [("hemoglobin", None, 9.0)]),
        ("ALT ＞ 2×ULN", [("alt", 2.0, None)]),
    ],
)
def test_spellings_of_units_signs_and_names(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
