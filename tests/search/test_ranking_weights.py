"""The field weights of full-text ranking: one table (`sqlite_text.FTS_WEIGHTS`) that the
PostgreSQL label weights follow, a title or condition hit ranking above a hit in the summary or
criteria on both backends, and the NDCG of `bench/ranking_bench.py` (the table on judged data)."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from support import FIXTURES, bench_module
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import Store, open_store, sqlite_text
from trialfinder.store.base import StoredRecord
from trialfinder.store.postgres_search import LABEL_WEIGHTS, TEXT_LABELS
from trialfinder.store.sqlite_text import FTS_COLUMNS, FTS_WEIGHTS, label_weights

WEIGHT = dict(zip(FTS_COLUMNS, FTS_WEIGHTS, strict=True))
WORD = "zorblaxine"
"""A made-up word: each test trial holds it once, in one column."""


def test_every_full_text_column_has_a_postgres_label() -> None:
    assert sorted(TEXT_LABELS) == sorted(FTS_COLUMNS)


def test_postgres_label_weights_are_derived_from_the_table() -> None:
    assert label_weights(TEXT_LABELS) == LABEL_WEIGHTS


def test_a_label_weighs_its_columns_mean_over_the_heaviest_column() -> None:
    labels = {c: label for c, label in zip(FTS_COLUMNS, "ABCBDD", strict=True)}
    # D: (2 + 1) / 2 / 10; C: 5 / 10; B: (8 + 6) / 2 / 10; A: 10 / 10.
    assert label_weights(labels, (10.0, 8.0, 5.0, 6.0, 2.0, 1.0)) == (0.15, 0.5, 0.7, 1.0)
    # The heaviest column need not be the title.
    assert label_weights(labels, (4.0, 8.0, 2.0, 8.0, 1.0, 1.0)) == (0.125, 0.25, 1.0, 0.5)


@pytest.mark.parametrize("table", ["FTS_WEIGHTS", "TANTIVY_BOOSTS"])
@pytest.mark.parametrize("column", ["title", "conditions", "keywords"])
def test_title_and_condition_weigh_more_than_summary_and_criteria(column: str, table: str) -> None:
    weight = dict(zip(FTS_COLUMNS, getattr(sqlite_text, table), strict=True))
    assert weight[column] > max(weight["summary"], weight["criteria"])


def test_the_tantivy_boosts_have_a_weight_for_every_column() -> None:
    assert len(sqlite_text.TANTIVY_BOOSTS) == len(FTS_COLUMNS)
    assert all(boost > 0 for boost in sqlite_text.TANTIVY_BOOSTS)


# -- the weights as the stores apply them --------------------------------------------------------


def _with_word(column: str) -> StoredRecord:
    """The fixture trial under another NCT id, with `WORD` added to one column's text."""
    study: dict[str, Any] = json.loads((FIXTURES / "NCT05397184.json").read_text())
    protocol = study["protocolSection"]
    nct_id = f"NCT0000000{FTS_COLUMNS.index(column)}"
    protocol["identificationModule"]["nctId"] = nct_id
    where: dict[str, tuple[dict[str, Any], str]] = {
        "title": (protocol["identificationModule"], "briefTitle"),
        "interventions": (protocol["armsInterventionsModule"]["interventions"][0], "name"),
        "summary": (protocol["descriptionModule"], "briefSummary"),
        "criteria": (protocol["eligibilityModule"], "eligibilityCriteria"),
    }
    # Every trial carries a keyword, as many registry records do: a keywords column that one
    # trial alone holds has a tiny mean length, which per-column BM25 (tantivy) divides by.
    protocol["conditionsModule"].setdefault("keywords", []).append("registry")
    if column in ("conditions", "keywords"):
        protocol["conditionsModule"].setdefault(column, []).append(WORD)
    else:
        module, key = where[column]
        module[key] = f"{module[key]} {WORD}"
    parsed = parse_raw(RawRecord("test", column, json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def test_a_title_or_condition_hit_ranks_above_a_summary_or_criteria_hit(store: Store) -> None:
    store.write_batch([_with_word(c) for c in FTS_COLUMNS], [])
    hits = search_studies(store, SearchQuery(term=WORD)).hits
    place = {FTS_COLUMNS[int(hit.nct_id[-1])]: rank for rank, hit in enumerate(hits)}
    assert sorted(place) == sorted(FTS_COLUMNS)
    heavy = ("title", "conditions", "keywords")
    light = ("summary", "criteria")
    assert max(place[c] for c in heavy) < min(place[c] for c in light)


def test_fts5_ranks_single_hits_in_the_order_of_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALFINDER_TEXT_INDEX", "fts5")
    store = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    store.write_batch([_with_word(c) for c in FTS_COLUMNS], [])
    hits = search_studies(store, SearchQuery(term=WORD)).hits
    store.close()
    ranked = [FTS_COLUMNS[int(hit.nct_id[-1])] for hit in hits]
    # Trials of equal length, one occurrence each: bm25 orders them by column weight alone.
    assert [WEIGHT[c] for c in ranked] == sorted(FTS_WEIGHTS, reverse=True)


# -- the bench's measure --------------------------------------------------------------------------


def _bench() -> ModuleType:
    """`bench/ranking_bench.py`."""
    return bench_module("ranking_bench")


def test_ndcg_counts_an_unjudged_trial_as_zero_gain() -> None:
    grades = {"A": 2, "B": 0, "C": 1}
    # DCG of A, X (unjudged), C: 2/log2(2) + 0 + 1/log2(4) = 2.5; ideal A, C, B: 2 + 1/log2(3).
    ideal = 2 + 1 / math.log2(3)
    assert _bench().ndcg(["A", "X", "C"], grades, 10) == pytest.approx(2.5 / ideal)
    assert round(2.5 / ideal, 4) == 0.9502


def test_judged_only_ndcg_takes_unjudged_trials_out_first() -> None:
    grades = {"A": 2, "B": 0, "C": 1}
    # A, C, B once X is out: the ideal order.
    assert _bench().judged_ndcg(["A", "X", "C", "B"], grades, 10) == pytest.approx(1.0)


def test_ndcg_cuts_at_k() -> None:
    grades = {"A": 2, "C": 1}
    # Only X and A count at k = 2: (0 + 2/log2(3)) / (2 + 1/log2(3)).
    expected = (2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert _bench().ndcg(["X", "A", "C"], grades, 2) == pytest.approx(expected)
    assert round(expected, 4) == 0.4796


@pytest.mark.parametrize(("engine", "has_index"), [("fts5", False), ("tantivy", True)])
def test_the_bench_store_searches_with_the_engine_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, has_index: bool
) -> None:
    monkeypatch.delenv("TRIALFINDER_TEXT_INDEX", raising=False)
    body = (FIXTURES / "NCT05397184.json").read_bytes()
    record = RawRecord("test", "NCT05397184", body, "ctgov_json")
    store = _bench().sqlite_store(tmp_path, engine, [record])
    try:
        assert (tmp_path / f"{engine}.db.tantivy").exists() is has_index
        assert [t.nct_id for t in store.iter_trials()] == ["NCT05397184"]
    finally:
        store.close()
    # The setting is the caller's again: the store read it when it opened.
    assert "TRIALFINDER_TEXT_INDEX" not in os.environ


# -- the bench's tuning, cross-validation and verdict ---------------------------------------------


def _tuning() -> ModuleType:
    """`bench/ranking_tuning.py`, imported by `_bench()` (which puts bench/ on the path)."""
    _bench()
    return sys.modules["ranking_tuning"]


def _table(title: float) -> tuple[float, ...]:
    """A grid table told apart by its title weight alone."""
    return (title, 4.0, 2.0, 4.0, 1.0, 1.0)


def test_a_topic_falls_in_the_fold_its_number_gives() -> None:
    folds = [_bench().fold_of(f"trec-2021{n}", 5) for n in (1, 5, 10, 12, 75)]
    assert folds == [1, 0, 0, 2, 0]


def test_tuning_picks_the_best_table_on_the_topics_given_nearest_the_start_on_a_tie() -> None:
    low, mid, high = _table(2.0), _table(5.0), _table(20.0)
    grid = {
        low: {"cond": {"a": 0.9, "b": 0.0}, "term": {"a": 0.9, "b": 0.0}},
        mid: {"cond": {"a": 0.1, "b": 0.5}, "term": {"a": 0.1, "b": 0.5}},
        high: {"cond": {"a": 0.1, "b": 0.5}, "term": {"a": 0.1, "b": 0.5}},
    }
    assert _tuning().tune(grid, ["a"], high) == (low, pytest.approx(0.9))
    # mid and high tie on "b": the one nearer the start wins, whichever it is.
    assert _tuning().tune(grid, ["b"], high) == (high, pytest.approx(0.5))
    assert _tuning().tune(grid, ["b"], mid) == (mid, pytest.approx(0.5))


def test_each_topic_is_scored_with_the_table_tuned_without_its_fold() -> None:
    # Topic 1 (fold 1) favours table A, topic 2 (fold 0) table B; each fold tunes on the other
    # topic alone, so each topic gets the table the other one prefers.
    a, b = _table(2.0), _table(20.0)
    grid = {
        a: {form: {"trec-20211": 0.8, "trec-20212": 0.2} for form in ("cond", "term")},
        b: {form: {"trec-20211": 0.4, "trec-20212": 0.6} for form in ("cond", "term")},
    }
    folds, out_of_fold = _tuning().cross_validate(grid, 2, lambda t: _bench().fold_of(t, 2), a)
    assert [(f.fold, f.topics, f.weights) for f in folds] == [(0, 1, a), (1, 1, b)]
    assert out_of_fold == {"trec-20211": pytest.approx(0.4), "trec-20212": pytest.approx(0.2)}


def test_a_loss_on_every_topic_is_significant_and_fails_the_rule() -> None:
    verdict = _tuning().adoption_verdict([-0.1] * 10)
    assert verdict == (
        "-0.1000 over 10 topics (bootstrap 95 % CI -0.1000 to -0.1000; one-sided p of a loss "
        "0.001); 0 better, 0 same, 10 worse. Rule (change >= -0.01, p >= 0.05): FAIL"
    )


def test_a_small_mixed_change_passes_the_rule() -> None:
    verdict = _tuning().adoption_verdict([0.02, -0.01, 0.0, -0.03])
    assert verdict.endswith("1 better, 1 same, 2 worse. Rule (change >= -0.01, p >= 0.05): PASS")


def test_a_gain_on_every_topic_has_no_loss_to_speak_of() -> None:
    assert _tuning().loss_p_value([0.1] * 10) == 1.0


def test_the_bootstrap_interval_is_seeded() -> None:
    changes = [0.0, 0.1, 0.2, 0.3]
    assert _tuning().bootstrap_interval(changes) == _tuning().bootstrap_interval(changes)
    assert _tuning().bootstrap_interval(changes) == (pytest.approx(0.05), pytest.approx(0.25))
