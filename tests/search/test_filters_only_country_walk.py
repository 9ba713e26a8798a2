"""Filters only, with a country (migration 0012): the page is walked from the country's
`trial_countries` rows alone, newest (or oldest) first, and each hit's site is the trial's
first site in the countries, read from the row's first position."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from support import shared_data
from trialfinder.ingest import ingest
from trialfinder.store import open_store
from trialfinder.store.base import StudyFilter, StudySort
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_country_walk import country_walk_query, walks_countries
from trialfinder.store.sqlite_search import study_search_sql

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")
WALKED = (
    StudyFilter(countries=("United States",), statuses=OPEN),
    StudyFilter(countries=("france",), phases=("PHASE2", "PHASE3")),
    StudyFilter(countries=("Germany", "Spain"), statuses=OPEN, age_years=70.0),
    StudyFilter(countries=("Canada",), sexes=("FEMALE", "ALL"), age_groups=("ADULT",)),
    StudyFilter(
        countries=("United States", "Canada"),
        healthy_volunteers=False,
        has_results=False,
        study_types=("INTERVENTIONAL",),
        minimum_age_range=(18.0, None),
        maximum_age_range=(None, 80.0),
    ),
)
SORTS = {
    "relevance": StudySort("relevance"),
    "newest": StudySort("last_update", True),
    "oldest": StudySort("last_update"),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    """The 790 real studies in a SQLite store of this module's own."""
    data = shared_data("ctgov")
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('walk') / 'trials.db'}")
    ingest(store, [data])
    assert isinstance(store, SQLiteStore)
    yield store
    store.close()


def _first_sites(db: sqlite3.Connection, where: StudyFilter, nct_id: str) -> tuple[str, str]:
    """(site_id, status) of the trial's first location, by position, in the countries."""
    countries = [c.lower() for c in where.countries]
    for site_id, status, country in db.execute(
        """
        select locations.site_id, locations.status, sites.country
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id = :nct_id
        order by locations.position
        """,
        {"nct_id": nct_id},
    ):
        if country.lower() in countries:
            return site_id, status
    raise AssertionError(f"{nct_id} has no site in {countries}")


@pytest.mark.parametrize("where", WALKED, ids=["us", "france", "two", "canada", "columns"])
@pytest.mark.parametrize("sort", SORTS.values(), ids=SORTS.keys())
def test_walked_pages_are_slices_of_the_whole_order(
    store: SQLiteStore, where: StudyFilter, sort: StudySort
) -> None:
    assert walks_countries(where)
    db = store._db
    sql, params = study_search_sql(where, sort)
    whole = [row[0] for row in db.execute(sql, {**params, "limit": 1000, "offset": 0})]
    assert len(whole) > 15
    for offset in (0, 7, len(whole) - 3):
        hits = store.search_trials(where, sort, 10, offset, 60.0)
        assert [hit.nct_id for hit in hits] == whole[offset : offset + 10]
        for hit in hits:
            assert hit.site is not None
            assert (hit.site.site_id, hit.site_status) == _first_sites(db, where, hit.nct_id)


@pytest.mark.parametrize(
    "where",
    [
        StudyFilter(statuses=OPEN),
        StudyFilter(countries=("Spain",), location_words=("madrid",)),
        StudyFilter(countries=("Spain",), sponsor_words=("pfizer",)),
        StudyFilter(countries=("Spain",), start_date_range=("2020", None)),
        StudyFilter(countries=("Spain",), phases=("",)),
    ],
    ids=["no-country", "words", "sponsor", "start", "no-phase"],
)
def test_filters_the_rows_do_not_hold_walk_the_trials(where: StudyFilter) -> None:
    assert not walks_countries(where)


def test_one_country_is_walked_in_index_order_from_the_covering_index(
    store: SQLiteStore,
) -> None:
    where = StudyFilter(countries=("Spain",), statuses=OPEN, phases=("PHASE3",), age_years=70.0)
    sql, params = country_walk_query(where, "desc", None, None)
    plan = "\n".join(
        row[3]
        for row in store._db.execute(
            "explain query plan " + sql, {**params, "limit": 11, "offset": 0}
        )
    )
    assert "SEARCH trial_countries USING COVERING INDEX trial_countries_walk (<expr>=?)" in plan
    assert "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" in plan
    assert "trials" not in plan.replace("trial_countries", "")
