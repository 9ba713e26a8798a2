"""SQLite's facet keys (migration 0007) give the facets and counts of text and place searches
that counting the matching trials themselves gives, before and after trials are changed,
re-ingested and deleted, and after the 0006 → 0007 upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from support import (
    delete_trials_rows_in_either_order,
    newer_version,
    shared_data,
    undo_sqlite_migration_0007,
    writable_sqlite_store,
)
from trialfinder.ingest import ingest
from trialfinder.search import query_from_params
from trialfinder.store import open_store, sqlite_search
from trialfinder.store.base import GeoArea, StudyFilter
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_counts import hit_facet_rows, tally_facets
from trialfinder.store.sqlite_facet_keys import _FACET_SQL as FACET_SQL
from trialfinder.store.sqlite_facet_keys import keyed_count, keyed_ctes, keyed_facet_rows

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")
BOSTON = GeoArea(lat=42.3601, lon=-71.0589, radius_km=160.0)
PARIS = GeoArea(lat=48.8566, lon=2.3522, radius_km=80.0)


def _text(params: dict[str, str]) -> StudyFilter:
    return query_from_params(params).study_filter()


CANCER = _text({"query.cond": "cancer"})
PEMBRO = _text({"query.term": "pembrolizumab"})

ANSWERED = {
    "cond": CANCER,
    "term": PEMBRO,
    "cond open": StudyFilter(text=CANCER.text, statuses=OPEN),
    "cond phase 2 3": StudyFilter(text=CANCER.text, phases=("PHASE2", "PHASE3")),
    "cond women adults": StudyFilter(text=CANCER.text, sexes=("FEMALE",), age_groups=("ADULT",)),
    "cond healthy": StudyFilter(text=CANCER.text, healthy_volunteers=True),
    "cond not healthy": StudyFilter(text=CANCER.text, healthy_volunteers=False),
    "term no results": StudyFilter(text=PEMBRO.text, has_results=False),
    "term interventional": StudyFilter(text=PEMBRO.text, study_types=("INTERVENTIONAL",)),
    "cond US": StudyFilter(text=CANCER.text, countries=("united states",)),
    "cond two countries": StudyFilter(text=CANCER.text, countries=("France", "Germany")),
    "place": StudyFilter(geo=BOSTON),
    "place open": StudyFilter(geo=PARIS, statuses=OPEN),
    "cond place": StudyFilter(text=CANCER.text, geo=BOSTON),
    "term place phase": StudyFilter(text=PEMBRO.text, geo=BOSTON, phases=("PHASE3",)),
}

NOT_ANSWERED = {
    "filters only": StudyFilter(statuses=OPEN),
    "place and country": StudyFilter(geo=BOSTON, countries=("United States",)),
    "location words": StudyFilter(text=CANCER.text, location_words=("boston",)),
    "age in years": StudyFilter(text=CANCER.text, age_years=45.0),
    "sponsor": StudyFilter(text=CANCER.text, sponsor_words=("university",)),
    "empty phase": StudyFilter(text=CANCER.text, phases=("",)),
}


def _plain_count(db: sqlite3.Connection, where: StudyFilter) -> int:
    sql, params = sqlite_search.study_search_sql(where, None)
    (count,) = db.execute(f"select count(*) from ({sql})", params).fetchone()
    return int(count)


def _assert_keys_agree(store: SQLiteStore) -> None:
    db = store._db
    for name, where in ANSWERED.items():
        plain = tally_facets(hit_facet_rows(db, where))
        rows = keyed_facet_rows(db, where)
        assert rows is not None, name
        assert tally_facets(rows) == plain, name
        assert keyed_count(db, where) == _plain_count(db, where), name
        assert store.facet_counts(where, 60.0) == plain, name
        assert store.count_trials(where, 60.0) == _plain_count(db, where), name


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return writable_sqlite_store(tmp_path)


def test_keys_answer_text_and_place_searches(store: SQLiteStore) -> None:
    db = store._db
    for name, where in ANSWERED.items():
        assert _plain_count(db, where) > 0, name
    _assert_keys_agree(store)
    store.close()


def test_keys_of_words_and_a_place_list_the_words_once(store: SQLiteStore) -> None:
    # Every part of the place's set (areas, inside cells, border cells) is looked up among
    # the words' trials: one list of them, not one per part.
    keyed = keyed_ctes(StudyFilter(text=CANCER.text, geo=BOSTON))
    assert keyed is not None
    ctes, params = keyed
    sql = "with " + ",\n".join(ctes) + "\nselect sum(trials) from keyed"
    plan = [row[3] for row in store._db.execute("explain query plan " + sql, params)]
    reads = [step for step in plan if "trials_cond_fts" in step or "words" in step]
    assert len(reads) == 1
    assert reads[0].startswith("SCAN trials_cond_fts VIRTUAL TABLE")
    store.close()


@pytest.mark.parametrize("name", ["place", "cond place", "term place phase"])
def test_facets_of_a_place_read_its_sites_without_copying_them(
    store: SQLiteStore, name: str
) -> None:
    # A compound statement (the facets' union) would materialize `geo_hits`, a trial once
    # per site, into a temporary table before looking anything up.
    keyed = keyed_ctes(ANSWERED[name])
    assert keyed is not None
    ctes, params = keyed
    sql = "with " + ",\n".join(ctes) + "\n" + FACET_SQL
    plan = [row[3] for row in store._db.execute("explain query plan " + sql, params)]
    assert "SEARCH trial_areas USING PRIMARY KEY (area>? AND area<?)" in plan
    assert [step for step in plan if "geo_hits" in step] == []
    store.close()


@pytest.mark.parametrize("name", NOT_ANSWERED)
def test_keys_leave_other_filters_to_the_trials(store: SQLiteStore, name: str) -> None:
    where = NOT_ANSWERED[name]
    assert keyed_facet_rows(store._db, where) is None
    assert keyed_count(store._db, where) is None
    assert store.count_trials(where, 60.0) == _plain_count(store._db, where)
    store.close()


def test_keys_follow_changes_reingests_and_deletes(store: SQLiteStore) -> None:
    nct_ids = [t.nct_id for t in store.iter_trials()]
    ingest(store, [shared_data("ctgov")])
    _assert_keys_agree(store)
    # Newer versions of 60 trials (another status, phase, volunteers flag, sites, countries).
    records = [newer_version(store, nct_id, n) for n, nct_id in enumerate(nct_ids[:60])]
    store.write_batch(records[:30], [])
    store.write_batch([*records[30:], records[31]], [])
    assert store.get_trial(nct_ids[0]) is not None
    assert store.get_trial(nct_ids[0]).overall_status == "COMPLETED"  # type: ignore[union-attr]
    _assert_keys_agree(store)
    # Deleted trials, rows in either order: their keys go with them.
    db = store._db
    delete_trials_rows_in_either_order(db, nct_ids[100:120])
    (keys,) = db.execute("select count(*) from trial_facet_keys").fetchone()
    assert keys == len(nct_ids) - 20
    _assert_keys_agree(store)
    store.close()


def test_migration_0007_gives_every_trial_its_key(store: SQLiteStore, tmp_path: Path) -> None:
    db = store._db
    before = {name: tally_facets(hit_facet_rows(db, w)) for name, w in ANSWERED.items()}
    store.close()
    undo_sqlite_migration_0007(tmp_path / "trials.db")
    reopened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(reopened, SQLiteStore)
    for name, where in ANSWERED.items():
        assert reopened.facet_counts(where, 60.0) == before[name], name
    _assert_keys_agree(reopened)
    reopened.close()
