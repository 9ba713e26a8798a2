"""Round 19b: the ASA spelled "American Society of Anesthesiologist", the Bishop, Borg, Mayo
endoscopic and RPA scales, "NYHA-FC" and the Canadian Cardiovascular Society class without
"class", a value before a scale rated "0 to 10", a decimal comma in a score's value ("BMI >
18,5"), comparators written without "or" ("less than equals to"), and pain rated out of 10 as a
fraction ("pain score 5/10 or less") read as the pain NRS (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("American Society of Anesthesiologist Class 5", [("ASA", 5.0, 5.0)]),
        ("American Society of Anesthesiologist class I-III", [("ASA", 1.0, 3.0)]),
        ("American Society of Anaesthesiologist physical status 1 or 2", [("ASA", 1.0, 2.0)]),
        ("Bishop-Score = 6", [("Bishop", 6.0, 6.0)]),
        ("Bishop score of 6 or less", [("Bishop", None, 6.0)]),
        ("unfavourable cervix (modified Bishop score < 7)", [("Bishop", None, 7.0)]),
        ("Borg dyspnea score > 3 during the walking test", [("Borg", 3.0, None)]),
        ("modified Borg scale ≥ 4 at rest", [("Borg", 4.0, None)]),
        (
            "a Mayo score of 6-12, with an endoscopic subscore ≥ 2",
            [("Mayo", 6.0, 12.0), ("Mayo endoscopic subscore", 2.0, None)],
        ),
        ("Mayo endoscopic subscore of 2 or 3", [("Mayo endoscopic subscore", 2.0, 3.0)]),
        ("RPA class I or II", [("RPA class", 1.0, 2.0)]),
        ("recursive partitioning analysis (RPA) class 3", [("RPA class", 3.0, 3.0)]),
        ("NYHA-FC II-III", [("NYHA", 2.0, 3.0)]),
        ("NYHA functional classification III-IV", [("NYHA", 3.0, 4.0)]),
        (
            "stable angina (Canadian Cardiovascular Society 1, 2, 3 or 4)",
            [("CCS angina", 1.0, 4.0)],
        ),
        ("CCS class III angina", [("CCS angina", 3.0, 3.0)]),
        ("Canadian Cardiovascular Society grade II-IV angina", [("CCS angina", 2.0, 4.0)]),
    ],
)
def test_scales_and_spellings_new_in_round_19b(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Bishop score assessed at admission",  # no value
        "Borg scale at rest and after exercise",
        "endoscopic subscore of 4",  # off the 0-3 scale
        "RPA class 4",  # off the I-III scale
    ],
)
def test_no_reading_of_the_new_scales_without_a_bound_on_their_scale(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BMI > 18,5 <30 kg/m2", [("BMI", 18.5, 30.0)]),
        ("BMI 18,5-24,9 kg/m2", [("BMI", 18.5, 24.9)]),
        ("body mass index between 18,5 and 29,9", [("BMI", 18.5, 29.9)]),
        ("BMI > 18,5 and < 24,9", [("BMI", 18.5, 24.9)]),
        ("BMI < 18,5 or > 35", [("BMI", None, 18.5), ("BMI", 35.0, None)]),
        # Lists and counts keep their commas: one digit before, or two after.
        ("ECOG 0,1 or 2", [("ECOG", 0.0, 2.0)]),
        ("Karnofsky 70,80,90", [("Karnofsky", 70.0, 90.0)]),
    ],
)
def test_a_decimal_comma_in_a_score_value(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Expanded Disability Status Scale (EDSS) score less than equals to (<=) 5.0.",
            [("EDSS", None, 5.0)],
        ),
        ("ECOG less than equal to 2", [("ECOG", None, 2.0)]),
        ("BMI greater than equals to 30", [("BMI", 30.0, None)]),
        ("MMSE score more than equal to 24", [("MMSE", 24.0, None)]),
    ],
)
def test_a_comparator_written_without_or(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hemoglobin greater than equal to 9 g/dL", [("hemoglobin", 9.0, None)]),
        ("creatinine less than equals to 1.5 mg/dL", [("creatinine", None, 1.5)]),
    ],
)
def test_a_comparator_written_without_or_bounds_a_lab_too(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient not requiring IV morphine (pain score 5/10 or less)", [("NRS pain", None, 5.0)]),
        ("pain intensity ≥ 4/10", [("NRS pain", 4.0, None)]),
        ("average pain of at least 6/10 over the past week", [("NRS pain", 6.0, None)]),
        ("worst pain rating > 3/10 at screening", [("NRS pain", 3.0, None)]),
    ],
)
def test_pain_out_of_ten_is_the_pain_nrs(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pain 5/10 at rest", []),  # no direction
        ("pain ≥ 4/10 on the visual analogue scale", []),  # a VAS, not the NRS
        ("pain score of 40/100", []),
        ("VAS pain score ≥ 4/10", [("VAS", 4.0, None)]),  # the VAS row reads it first
    ],
)
def test_pain_out_of_ten_needs_a_bound_and_no_vas(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "average daily pain rating greater than 4 on the 0-to-10 numerical pain rating scale",
            [("NRS pain", 4.0, None)],
        ),
        ("a score of at least 5 on a 0 to 10 Numeric Rating Scale", [("NRS pain", 5.0, None)]),
        ("≥ 40 on the 0-10 numeric rating scale", []),  # off the scale
        ("≥ 4 on a 0-10 scale", []),  # no scale named
        ("pain ≥ 4 on a 0 to 10 visual analogue scale", []),  # not the 0-100 VAS
    ],
)
def test_a_value_before_a_scale_rated_zero_to_ten(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected
