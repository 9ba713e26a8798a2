"""Rules round 24: scales named with a bound in three or more shared trials that the vocabulary
lacked (the Hachinski Ischemic Score, the DAST-10, the AUDIT written "Alcohol Use Disorders
Inventory Test"), and a generic scale's name that is two eponyms joined by a hyphen
("Schwachman-Kulczycki score") kept whole (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The modified Hachinski Ischemia Score must be less than 4", [("Hachinski", None, 4.0)]),
        ("Modified Hachinski score of less than or equal to 4", [("Hachinski", None, 4.0)]),
        ("Hachinski Ischemia Scale score less than or equal to 4", [("Hachinski", None, 4.0)]),
        ("Hachinski Ischemic Score ≤ 4", [("Hachinski", None, 4.0)]),
        ("Drug Abuse Screening Test-10 score greater than 2", [("DAST-10", 2.0, None)]),
        ("Alcohol Use Disorders Inventory Test score of 8 or higher", [("AUDIT", 8.0, None)]),
    ],
)
def test_a_scale_the_corpus_names_reads_on_its_row(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hachinski score > 25",  # the scale runs 0-18
        "DAST-10 score > 12",  # ten items
    ],
)
def test_a_value_off_the_new_scales_range_reads_nothing(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Schwachman-Kulczycki score at least 65", [("Schwachman-Kulczycki", 65.0, None)]),
        ("Shwachman-Kulczycki score ≥ 40", [("Shwachman-Kulczycki", 40.0, None)]),
    ],
)
def test_a_generic_name_of_two_hyphened_eponyms_stays_whole(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected
