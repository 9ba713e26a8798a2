"""SQLite's condition index (migration 0007) gives the rows and bm25 scores of the index of all
the text, bit for bit, for every search of its columns, and stays in step with it when trials
are re-ingested, changed or written twice; the 0006 → 0007 upgrade builds it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from support import shared_data, undo_sqlite_migration_0007, writable_sqlite_store
from trialfinder.ingest import ingest
from trialfinder.search import query_from_params
from trialfinder.store import open_store
from trialfinder.store.base import StoredRecord, StudySort
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_search import study_search_sql
from trialfinder.store.sqlite_text import _varints, fts_query, text_index

# API v2 parameters whose words read only the condition index's columns (query.cond: title,
# conditions, keywords; query.intr: interventions; query.titles: title).
SEARCHES = (
    {"query.cond": "breast cancer"},
    {"query.cond": "non-small cell lung cancer"},
    {"query.cond": "nsclc OR sclc"},
    {"query.cond": "cancer -breast"},
    {"query.cond": "leuk*"},
    {"query.cond": '"type 2 diabetes"'},
    {"query.intr": "pembrolizumab"},
    {"query.titles": "randomized"},
    {"query.cond": "cancer", "query.intr": "chemotherapy"},
)

WEIGHTS = "10, 8, 5, 6, 2, 1"


def _scored(db: sqlite3.Connection, table: str, weights: str, match: str) -> list[object]:
    return db.execute(
        f"""
        select rowid, bm25({table}, {weights})
        from {table}
        where {table} match :fts
        order by rowid
        """,
        {"fts": match},
    ).fetchall()


def _sizes(db: sqlite3.Connection, table: str) -> dict[int, int]:
    """Tokens of each row of an FTS5 table, all columns together (bm25's document length)."""
    return {
        rowid: sum(_varints(sizes))
        for rowid, sizes in db.execute(f"select id, sz from {table}_docsize")
    }


def _averages(db: sqlite3.Connection, table: str) -> tuple[int, int]:
    """(rows, tokens of all rows) from an FTS5 table's averages record."""
    (block,) = db.execute(f"select block from {table}_data where id = 1").fetchone()
    rows, *tokens = _varints(block)
    return rows, sum(tokens)


def _assert_indexes_agree(db: sqlite3.Connection) -> None:
    assert _sizes(db, "trials_cond_fts") == _sizes(db, "trials_fts")
    assert _averages(db, "trials_cond_fts") == _averages(db, "trials_fts")
    for params in SEARCHES:
        match = fts_query(query_from_params(params).study_filter().text)
        assert match is not None
        table, weights = text_index(query_from_params(params).study_filter().text)
        assert table == "trials_cond_fts"
        expected = _scored(db, "trials_fts", WEIGHTS, match)
        assert expected, params
        assert _scored(db, table, weights, match) == expected


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return writable_sqlite_store(tmp_path)


def test_condition_index_gives_the_scores_of_the_whole_index(store: SQLiteStore) -> None:
    _assert_indexes_agree(store._db)
    store.close()


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: " ".join(p.values()))
def test_searches_of_the_condition_columns_read_the_condition_index(
    store: SQLiteStore, params: dict[str, str]
) -> None:
    query = query_from_params(params)
    sql, _ = study_search_sql(query.study_filter(), query.study_sort())
    assert "from trials_cond_fts\n" in sql
    assert "bm25(trials_cond_fts, 10, 8, 5, 6, 0)" in sql
    store.close()


@pytest.mark.parametrize(
    "params",
    [{"query.term": "breast cancer"}, {"query.cond": "melanoma", "query.term": "quality"}],
    ids=["term", "cond+term"],
)
def test_searches_of_any_other_column_read_the_whole_index(
    store: SQLiteStore, params: dict[str, str]
) -> None:
    query = query_from_params(params)
    sql, _ = study_search_sql(query.study_filter(), query.study_sort())
    assert "from trials_fts\n" in sql
    assert "trials_cond_fts" not in sql
    store.close()


def _rewritten(store: SQLiteStore, nct_id: str, n: int) -> StoredRecord:
    """A newer version of a stored trial with other title, conditions and summary words."""
    trial = store.get_trial(nct_id)
    raw = store.get_raw(nct_id)
    assert trial is not None and raw is not None
    changed = msgspec.structs.replace(
        trial,
        brief_title=f"{trial.brief_title} breast cancer study {n}",
        conditions=[*trial.conditions[: n % 2], "Melanoma", "Type 2 Diabetes"],
        keywords=trial.keywords[n % 3 :],
        brief_summary=trial.brief_summary[: 40 * n],
        last_update_posted="2099-01-01",
    )
    # Other raw bytes too: a record whose raw bytes are stored already counts as unchanged.
    return StoredRecord.of(changed, raw[1] + f" {n}".encode(), raw[0], "test", str(n))


def test_condition_index_follows_reingests_and_changes(store: SQLiteStore) -> None:
    nct_ids = [t.nct_id for t in store.iter_trials()]
    ingest(store, [shared_data("ctgov")])
    _assert_indexes_agree(store._db)
    records = [_rewritten(store, nct_id, n) for n, nct_id in enumerate(nct_ids[:40])]
    store.write_batch(records[:20], [])
    # The second batch writes one trial twice: only its last copy is indexed.
    store.write_batch([*records[20:], _rewritten(store, nct_ids[25], 99)], [])
    _assert_indexes_agree(store._db)
    # Written again (same version): nothing changes.
    store.write_batch(records[:5], [])
    _assert_indexes_agree(store._db)
    query = query_from_params({"query.cond": "melanoma"})
    hits = store.search_trials(query.study_filter(), StudySort("relevance"), 1000, 0, 60.0)
    assert set(nct_ids[:40]) <= {h.nct_id for h in hits}
    store.close()


def test_migration_0007_builds_the_condition_index_from_existing_rows(
    store: SQLiteStore, tmp_path: Path
) -> None:
    query = query_from_params({"query.cond": "non-small cell lung cancer"})
    before = store.search_trials(query.study_filter(), StudySort("relevance"), 50, 0, 60.0)
    assert len(before) == 50
    store.close()
    undo_sqlite_migration_0007(tmp_path / "trials.db")
    reopened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(reopened, SQLiteStore)
    applied = {name for (name,) in reopened._db.execute("select name from schema_migrations")}
    assert "0007_search_condition_index_and_facet_keys" in applied
    _assert_indexes_agree(reopened._db)
    after = reopened.search_trials(query.study_filter(), StudySort("relevance"), 50, 0, 60.0)
    assert after == before
    reopened.close()
