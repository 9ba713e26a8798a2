"""Every criteria text in the shared records parses without an exception."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from lxml import etree

from trialfinder.criteria.evaluate import evaluate, load_labels
from trialfinder.criteria.parser import parse_criteria

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _texts() -> list[tuple[str, str]]:
    if not SHARED.is_dir():
        pytest.skip(f"shared records not found at {SHARED}; clone them beside the repository")
    texts = []
    for path in sorted((SHARED / "ctgov").glob("*.json")):
        study = json.loads(path.read_text(encoding="utf-8"))["protocolSection"]
        texts.append((path.name, study["eligibilityModule"]["eligibilityCriteria"]))
    for path in sorted(SHARED.glob("ctgov-xml*/*.xml")):
        text = etree.parse(str(path)).findtext("eligibility/criteria/textblock")
        if text:
            texts.append((path.name, text))
    return texts


@pytest.mark.slow
def test_every_shared_record_parses() -> None:
    texts = _texts()
    failures = []
    started = time.perf_counter()
    for name, text in texts:
        try:
            parse_criteria(text)
        except Exception as error:  # noqa: BLE001 - the test reports every failing record
            failures.append(f"{name}: {error!r}")
    elapsed = time.perf_counter() - started
    print(f"{len(texts)} records, {len(texts) / elapsed:.0f} trials/s")
    assert failures == []
    assert len(texts) > 2800


def test_labelled_set_is_split_by_trial() -> None:
    items = load_labels()
    tuning = {i.nct_id for i in items if i.split == "tuning"}
    held_out = {i.nct_id for i in items if i.split == "held_out"}
    assert (len(items) >= 400, len(tuning | held_out) >= 60, tuning & held_out) == (
        True,
        True,
        set(),
    )


def test_held_out_age_recall() -> None:
    scores = evaluate(i for i in load_labels() if i.split == "held_out")
    recall = scores["age"].recall
    assert recall is not None and recall >= 0.8
