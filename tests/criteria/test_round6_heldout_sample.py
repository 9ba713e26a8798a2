"""Round 6 of issue 5 (labels: ctgov_round6.json, a blind held-out sample labelled before any
parser run): the file's make-up only. No test here reads its items with the parser; the
evaluator scores the file once, and no rule is tuned on it."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from support import shared_data
from trialfinder.criteria.evaluate import KINDS, load_labels, occurrences
from trialfinder.criteria.splitter import split_criteria

LABELLED = Path(__file__).parent / "labelled"
ROUND6 = LABELLED / "ctgov_round6.json"


def _criteria(nct_id: str) -> set[tuple[str, str]]:
    """(section, text) of every criterion of 1-400 characters in a shared record."""
    json_path = shared_data("ctgov") / f"{nct_id}.json"
    if json_path.is_file():
        study = json.loads(json_path.read_text(encoding="utf-8"))["protocolSection"]
        text = study["eligibilityModule"]["eligibilityCriteria"]
    else:
        xml_path = shared_data("ctgov-xml-2023", f"{nct_id}.xml")
        text = etree.parse(str(xml_path)).findtext("eligibility/criteria/textblock") or ""
    lists = split_criteria(text)
    return {
        (section, criterion.text)
        for section, criteria in (("inclusion", lists.inclusion), ("exclusion", lists.exclusion))
        for criterion in criteria
        if 1 <= len(criterion.text) <= 400
    }


def test_round6_file_is_a_labelled_held_out_sample() -> None:
    items = load_labels(ROUND6)
    description = json.loads(ROUND6.read_text())["description"]
    assert (len(items), len({item.nct_id for item in items})) == (160, 160)
    assert {item.split for item in items} == {"held_out"}
    assert "random.Random(2042)" in description
    assert {label.kind for item in items for label in item.expected} <= set(KINDS)
    # Each kind's label carries the fields the evaluator compares.
    for item in items:
        for label in item.expected:
            if label.kind == "sex":
                assert label.sex in {"all", "female", "male"}, item.text
            elif label.kind == "age":
                assert (label.low, label.high) != (None, None), item.text
            elif label.kind == "measurement":
                assert label.analyte, item.text
            elif label.kind == "score":
                assert label.score and (label.low, label.high) != (None, None), item.text
            else:
                assert occurrences(label.text or "", item.text), (item.text, label.text)


def test_round6_trials_are_in_no_other_labelled_file() -> None:
    round6 = {item.nct_id for item in load_labels(ROUND6)}
    for path in sorted(LABELLED.glob("*.json")):
        if path != ROUND6:
            assert not round6 & {item.nct_id for item in load_labels(path)}, path.name


def test_round6_items_are_criteria_of_their_trials() -> None:
    for item in load_labels(ROUND6):
        assert (item.section, item.text) in _criteria(item.nct_id), item.nct_id
