"""`bench/criteria_batch_probe.py` (issue #5 speed probe): the per-trial way maps every span back
to its own criterion, so its figures compare like with like."""

from __future__ import annotations

from types import ModuleType

from support import bench_module
from trialfinder.criteria._extract import triggers_of

TRIALS = [
    [
        "Age 18 - 75 years",
        "No prior chemotherapy for metastatic breast cancer",
        "Hemoglobin >= 9 g/dL within 14 days before enrollment",
    ],
    ["Female patients of childbearing potential must use contraception", "ECOG 0-1"],
]


def _probe() -> ModuleType:
    """`bench/criteria_batch_probe.py`."""
    return bench_module("criteria_batch_probe")


def test_scan_per_trial_finds_what_each_criterion_alone_finds() -> None:
    probe = _probe()
    alone = probe.scan_per_criterion(TRIALS)
    assert probe.scan_per_trial(TRIALS) == alone
    assert any(spans for _, found in alone for spans in found)  # the indexes found something


def test_rows_per_trial_lose_only_rows_anchored_at_the_criterion_start() -> None:
    probe = _probe()
    present = [[triggers_of(c) for c in criteria] for criteria in TRIALS]
    joined = [probe.SEPARATOR.join(criteria) for criteria in TRIALS]
    alone = set(probe.rows_per_criterion(TRIALS, present))
    together = set(probe.rows_per_trial(TRIALS, present, joined))
    assert together <= alone
    # "No prior ..." is the second criterion: its "^\W*no" row cannot match inside the join.
    assert {name for _, _, name, _ in alone - together} == {"negation_no_prior_list"}
    assert {(t, k) for t, k, _, _ in together} >= {(0, 0), (0, 2)}  # the age and the window
