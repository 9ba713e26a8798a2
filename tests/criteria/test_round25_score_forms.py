"""Rules round 25: score wordings — classes written before the scale's name ("class III-IV
according to NYHA"), lists joined by "&" or with the class word written again ("grade III or
grade IV"), a list or range after a lone "=" ("ECOG=0-1"), two bounds in one breath ("BMI <18
and >35" is two constraints, "≥70% (MAC) or ≥60% (RIC)" one per group) and a lower bound before
a value-first bound ("at least 40mm and not more than 90mm ... on the VAS") (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cardiac function class III-IV according to NYHA classification", [("NYHA", 3.0, 4.0)]),
        (
            "Heart failure Class III/IV according to the New York Heart Association (NYHA)",
            [("NYHA", 3.0, 4.0)],
        ),
        (
            "Functional class II, III or IV by the New York Heart Association (NYHA)",
            [("NYHA", 2.0, 4.0)],
        ),
        ("COPD stage III or IV according to GOLD criteria", [("GOLD", 3.0, 4.0)]),
        (
            "A class IV heart disease (according to the New York Heart Association, 1964)",
            [("NYHA", 4.0, 4.0)],
        ),
    ],
)
def test_classes_before_the_scales_name_are_read(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ASA 1 & 2", [("ASA", 1.0, 2.0)]),
        ("ASA (American Society of Anesthesiologists) class 1 & 2", [("ASA", 1.0, 2.0)]),
        ("NYHA grade III or grade IV heart failure", [("NYHA", 3.0, 4.0)]),
    ],
)
def test_lists_joined_by_an_ampersand_or_a_class_word(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ECOG=0-1, with no deterioration", [("ECOG", 0.0, 1.0)]),
        ("ECOG = 0, 1 or 2.", [("ECOG", 0.0, 2.0)]),
    ],
)
def test_a_list_or_range_after_an_equals_sign_is_the_list(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BMI <18 and >35 kg/m2", [("BMI", None, 18.0), ("BMI", 35.0, None)]),
        ("BMI <35 and > 60 kg/m2", [("BMI", None, 35.0), ("BMI", 60.0, None)]),
        (
            "Body mass index > 30 kg/m2 or > 27.5 kg/m2 (South Asian)",
            [("BMI", 30.0, None), ("BMI", 27.5, None)],
        ),
        (
            "Karnofsky performance status score ≥70% (MAC) or ≥60% (RIC)",
            [("Karnofsky", 70.0, None), ("Karnofsky", 60.0, None)],
        ),
    ],
)
def test_two_bounds_in_one_breath(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Low back pain of at least 40mm and not more than 90mm of 100mm on low back pain"
            " visual analogue scale (VAS)",
            [("VAS", 40.0, 90.0)],
        ),
        ("Pain severity score of ≥ 40 to ≤ 90 mm on the VAS at screening", [("VAS", 40.0, 90.0)]),
        ("a score of at least 20 and no more than 35 on the MADRS", [("MADRS", 20.0, 35.0)]),
    ],
)
def test_a_lower_bound_before_a_value_first_bound(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected
