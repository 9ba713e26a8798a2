"""Migration 0011: a phase filter tests each trial's phases from the covering index
`trial_phases_by_trial`, alone, on the walk along the last update and on the trial rowids."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support import writable_sqlite_store
from trialfinder.search import SearchQuery, search_studies
from trialfinder.store.base import StudyFilter, StudySort
from trialfinder.store.sqlite_search import study_query


def _plan(db: sqlite3.Connection, sql: str, params: dict[str, object]) -> str:
    rows = db.execute("explain query plan " + sql, {**params, "limit": 11, "offset": 0})
    return "\n".join(row[3] for row in rows)


def test_phase_test_reads_only_the_covering_index(tmp_path: Path) -> None:
    store = writable_sqlite_store(tmp_path)
    store.close()
    db = sqlite3.connect(tmp_path / "trials.db")
    where = StudyFilter(phases=("PHASE3",), countries=("Spain",))
    walk = ("desc", "2000-01-01", None)
    _, sql, params = study_query(where, StudySort("relevance", False), update_bound=walk)
    plan = _plan(db, sql, params)
    assert "SEARCH trial_phases USING COVERING INDEX trial_phases_by_trial (nct_id=?" in plan
    indexes = {row[0] for row in db.execute("select name from sqlite_master where type = 'index'")}
    assert "trial_phases_nct" not in indexes
    db.close()


def test_phase_filter_answers_as_the_phases_say(tmp_path: Path) -> None:
    store = writable_sqlite_store(tmp_path)
    hits = search_studies(store, SearchQuery(phases=("PHASE3",)), page_size=50).hits
    assert hits
    for hit in hits:
        trial = store.get_trial(hit.nct_id)
        assert trial is not None and "PHASE3" in trial.phases
    store.close()
