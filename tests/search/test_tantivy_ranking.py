"""How the tantivy index scores a phrase found in several columns: its best column alone (a
disjunction max), as FTS5's bm25 saturates a phrase's weighted count over the columns, rather
than the sum of every column's BM25 (which out-ranked FTS5 on judged data, BENCHMARKS.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from trialfinder.model import Trial
from trialfinder.search import query_from_params
from trialfinder.store import open_store, sqlite_tantivy
from trialfinder.store.base import StoredRecord
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_tantivy_search import tantivy_page

WORD = "zorblaxine"


def _record(nct_id: str, title: str, summary: str) -> StoredRecord:
    trial = Trial(nct_id=nct_id, brief_title=title, brief_summary=summary, conditions=["Pain"])
    return StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", nct_id)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLiteStore]:
    """Two trials with the same title holding `WORD`; the second also has it in its summary
    (the summaries are equally long), and a third trial without it."""
    monkeypatch.setenv(sqlite_tantivy.TEXT_INDEX_SETTING, "tantivy")
    opened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(opened, SQLiteStore)
    records = [
        _record("NCT00000001", f"{WORD} for back pain", "a trial of a new drug"),
        _record("NCT00000002", f"{WORD} for back pain", f"a trial of {WORD} drug"),
        _record("NCT00000003", "exercise for back pain", "a trial of walking"),
    ]
    opened.write_batch(records, [])
    yield opened
    opened.close()


def test_a_phrase_in_title_and_summary_scores_as_its_title_alone(store: SQLiteStore) -> None:
    assert store._text_index is not None
    index = store._text_index.current(store._db)
    assert index is not None
    where = query_from_params({"query.term": WORD}).study_filter()
    page = tantivy_page(store._db, index, where, 10, 0)
    assert page is not None
    # Summed per column, NCT00000002 would come first; its best column (the title) equals
    # NCT00000001's, so the two tie and go in NCT id order.
    assert [nct_id for nct_id, _ in page] == ["NCT00000001", "NCT00000002"]
    assert page[0][1] == page[1][1]
