"""SQLite's maintained facet totals (migration 0006) give the answers of counting the matching
trials themselves, before and after trials are updated, re-ingested and deleted; the walk along
the last update gives the pages of the plain plan whatever its windows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from support import (
    delete_trials_rows_in_either_order,
    newer_version,
    shared_data,
    writable_sqlite_store,
)
from trialfinder.ingest import ingest
from trialfinder.store import open_store, sqlite_search
from trialfinder.store.base import StudyFilter, StudySort
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_counts import hit_facet_rows, tally_facets
from trialfinder.store.sqlite_totals import facet_rows, total_count

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")

FILTERS = (
    StudyFilter(),
    StudyFilter(statuses=OPEN),
    StudyFilter(statuses=OPEN, phases=("PHASE3",)),
    StudyFilter(phases=("PHASE1", "PHASE2")),
    StudyFilter(phases=("NA",)),
    StudyFilter(countries=("Germany",)),
    StudyFilter(countries=("united states",), statuses=("COMPLETED",)),
    StudyFilter(countries=("France",), sexes=("FEMALE",), age_groups=("ADULT",)),
    StudyFilter(countries=("Nowhere",)),
    StudyFilter(age_groups=("CHILD", "OLDER_ADULT"), study_types=("INTERVENTIONAL",)),
    StudyFilter(healthy_volunteers=True),
    StudyFilter(healthy_volunteers=False, countries=("Canada",)),
    StudyFilter(has_results=True, statuses=OPEN),
    StudyFilter(has_results=False, study_types=("OBSERVATIONAL",)),
    # Not answered by the totals (the plain path both times): two countries, ages in years.
    StudyFilter(countries=("Germany", "France")),
    StudyFilter(statuses=OPEN, age_years=45.0),
)


def _plain_count(db: sqlite3.Connection, where: StudyFilter) -> int:
    sql, params = sqlite_search.study_search_sql(where, None)
    (count,) = db.execute(f"select count(*) from ({sql})", params).fetchone()
    return int(count)


def _assert_totals_agree(store: SQLiteStore) -> None:
    db = store._db
    for where in FILTERS:
        plain = tally_facets(hit_facet_rows(db, where))
        rows = facet_rows(db, where)
        assert tally_facets(rows if rows is not None else hit_facet_rows(db, where)) == plain
        total = total_count(db, where)
        assert (total if total is not None else _plain_count(db, where)) == _plain_count(db, where)
        assert store.facet_counts(where, 60.0) == plain
        assert store.count_trials(where, 60.0) == _plain_count(db, where)
    answered = [w for w in FILTERS if facet_rows(db, w) is not None]
    assert len(answered) == len(FILTERS) - 2
    (negative,) = db.execute(
        "select count(*) from country_facet_totals where trials < 0"
    ).fetchone()
    assert negative == 0


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return writable_sqlite_store(tmp_path)


def test_totals_follow_updates_reingests_and_deletes(store: SQLiteStore) -> None:
    _assert_totals_agree(store)
    nct_ids = [t.nct_id for t in store.iter_trials()]
    # The same records again: nothing changes.
    ingest(store, [shared_data("ctgov")])
    _assert_totals_agree(store)
    # Newer versions of 60 trials (two batches, one trial twice in the second).
    records = [newer_version(store, nct_id, n) for n, nct_id in enumerate(nct_ids[:60])]
    store.write_batch(records[:30], [])
    store.write_batch([*records[30:], records[31]], [])
    _assert_totals_agree(store)
    # Deleted trials, rows in either order.
    db = store._db
    delete_trials_rows_in_either_order(db, nct_ids[100:120])
    _assert_totals_agree(store)
    store.close()


def test_migration_0006_builds_the_totals_from_existing_rows(
    store: SQLiteStore, tmp_path: Path
) -> None:
    db = store._db
    before = {w: tally_facets(hit_facet_rows(db, w)) for w in FILTERS}
    store.close()
    # Take the file back to its 0005 form, then open it again.
    raw = sqlite3.connect(tmp_path / "trials.db")
    with raw:
        for trigger in raw.execute(
            "select name from sqlite_master where type = 'trigger' and name like '%facet_totals%'"
        ).fetchall():
            raw.execute(f"drop trigger {trigger[0]}")
        raw.execute("drop table facet_totals")
        raw.execute("drop table country_facet_totals")
        raw.execute("drop index trials_update_filters")
        raw.execute("create index trials_last_update on trials (last_update_posted)")
        raw.execute(
            "delete from schema_migrations where name = '0006_search_filter_index_and_facet_totals'"
        )
    raw.close()
    reopened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(reopened, SQLiteStore)
    for where, facets in before.items():
        assert reopened.facet_counts(where, 60.0) == facets
    _assert_totals_agree(reopened)
    reopened.close()


@pytest.mark.parametrize(
    "where",
    [
        StudyFilter(statuses=OPEN),
        StudyFilter(countries=("Germany",), statuses=OPEN),
        StudyFilter(countries=("United States",), phases=("PHASE2",), age_years=50.0),
        StudyFilter(countries=("Brazil",), healthy_volunteers=True),
        StudyFilter(sexes=("FEMALE",)),
    ],
)
@pytest.mark.parametrize("descending", [True, False], ids=["newest", "oldest"])
def test_walk_along_the_last_update_gives_the_plain_pages(
    store: SQLiteStore, where: StudyFilter, descending: bool
) -> None:
    db = store._db
    sort = StudySort("last_update", descending)
    sql, params = sqlite_search.study_search_sql(where, sort)
    whole = db.execute(sql, {**params, "limit": 1000, "offset": 0}).fetchall()
    direction = "desc" if descending else "asc"
    walked = 0
    for offset in (0, 7, 40):
        expected = whole[offset : offset + 10]
        for windows in ([20, 100, 400], [5, 50], [60, 600]):
            page = sqlite_search._recent_page(db, where, sort, 10, offset, direction, windows)
            # None: the windows did not hold the page (the plain plan then runs).
            if page is not None:
                assert page == expected
                walked += 1
        hits = store.search_trials(where, sort, 10, offset, 60.0)
        assert [h.nct_id for h in hits] == [row[0] for row in expected]
    assert walked or len(whole) < 50
    store.close()
