"""The second annotation and the adjudicated labels cover exactly the dev held-out half."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialfinder.criteria.evaluate import KINDS, load_labels, occurrences

LABELLED = Path(__file__).parent / "labelled"
HELD_OUT = [item for item in load_labels(LABELLED / "ctgov_dev.json") if item.split == "held_out"]


@pytest.mark.parametrize("name", ["ctgov_dev_heldout_second", "ctgov_dev_heldout_adjudicated"])
def test_same_criteria_as_the_held_out_half(name: str) -> None:
    items = load_labels(LABELLED / f"{name}.json")
    assert [(i.nct_id, i.section, i.text) for i in items] == [
        (i.nct_id, i.section, i.text) for i in HELD_OUT
    ]
    assert {item.split for item in items} == {"held_out"}
    for item in items:
        for label in item.expected:
            assert label.kind in KINDS
            if label.kind in ("condition", "treatment"):
                assert occurrences(label.text or "", item.text), (item.text, label.text)
