"""How a read constraint is written for people (trial page highlights, eligibility reasons)."""

from __future__ import annotations

from trialfinder.criteria.parser import parse_criterion
from trialfinder.present import constraint_text


def test_a_subgroup_bound_says_whom_it_is_for() -> None:
    read = parse_criterion("Total bilirubin <= 1.5 x ULN or <= 3 x ULN for Gilbert's syndrome")
    assert [constraint_text(c, "inclusion") for c in read] == [
        "total bilirubin ≤ 1.5 × ULN",
        "total bilirubin ≤ 3 × ULN (for Gilbert's syndrome)",
    ]
