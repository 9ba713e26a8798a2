"""PostgreSQL filters-only pages of one country (migration 0013): each `trial_countries` row
copies its trial's last update, filter columns and age limits, and such a page is read from the
country's rows of one index in last-update order. It changes where rows are read from, never
which trials a page holds, and the copies follow every written and replaced trial."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord, StudyFilter, StudySort
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_search import search_rows_table, study_search_sql
from trialfinder.store.rows import COUNTRY_WALK_COLUMNS

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")
WALKED = {
    "us-open": StudyFilter(countries=("United States",), statuses=OPEN),
    "france-phases": StudyFilter(countries=("france",), phases=("PHASE2", "PHASE3")),
    "spain-age": StudyFilter(countries=("Spain",), statuses=OPEN, age_years=70.0),
    "canada-columns": StudyFilter(
        countries=("Canada",),
        sexes=("FEMALE", "ALL"),
        age_groups=("ADULT",),
        has_results=False,
        maximum_age_range=(None, 200.0),
    ),
    "germany-volunteers": StudyFilter(
        countries=("Germany",), healthy_volunteers=False, study_types=("INTERVENTIONAL",)
    ),
}
SORTS = {
    "relevance": StudySort("relevance"),
    "newest": StudySort("last_update", True),
    "oldest": StudySort("last_update"),
}
NOT_WALKED = {
    "two-countries": (StudyFilter(countries=("Spain", "France")), SORTS["newest"]),
    "no-country": (StudyFilter(statuses=OPEN), SORTS["newest"]),
    "location-words": (StudyFilter(countries=("Spain",), location_words=("madrid",)), None),
    "sponsor": (StudyFilter(countries=("Spain",), sponsor_words=("pfizer",)), SORTS["newest"]),
    "start": (StudyFilter(countries=("Spain",), start_date_range=("2020", None)), None),
    "place": (
        StudyFilter(countries=("Spain",), geo=GeoArea(40.4, -3.7, 100.0)),
        SORTS["relevance"],
    ),
    "by-start": (StudyFilter(countries=("Spain",)), StudySort("start_date")),
    "count": (StudyFilter(countries=("Spain",)), None),
}

COPIES_DIFFER = f"""
    select count(*)
    from trial_countries
    join trials on trials.nct_id = trial_countries.nct_id
    where ({", ".join(f"trial_countries.{c}" for c in COUNTRY_WALK_COLUMNS)})
        is distinct from ({", ".join(f"trials.{c}" for c in COUNTRY_WALK_COLUMNS)})
    """
"""Country rows whose copied columns differ from their trial's (0 when they are kept)."""


def _one(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("where", WALKED.values(), ids=WALKED.keys())
@pytest.mark.parametrize("sort", SORTS.values(), ids=SORTS.keys())
def test_one_country_by_last_update_reads_the_country_rows(
    where: StudyFilter, sort: StudySort
) -> None:
    assert search_rows_table(where, sort) == "trial_countries"
    sql = study_search_sql(where, sort)[0]
    assert "from trial_countries as trials\n" in sql
    assert "exists" not in sql


@pytest.mark.parametrize(("where", "sort"), NOT_WALKED.values(), ids=NOT_WALKED.keys())
def test_other_searches_read_the_trials(where: StudyFilter, sort: StudySort | None) -> None:
    assert search_rows_table(where, sort) != "trial_countries"


@pytest.mark.postgres
@pytest.mark.parametrize("where", WALKED.values(), ids=WALKED.keys())
@pytest.mark.parametrize("sort", SORTS.values(), ids=SORTS.keys())
def test_walked_pages_are_slices_of_the_trials_order(
    pg_real_store: PostgresStore, where: StudyFilter, sort: StudySort
) -> None:
    # The country named twice is not walked: the same filter, answered from `trials`.
    from_trials = dataclasses.replace(where, countries=where.countries * 2)
    sql, params = study_search_sql(from_trials, sort)
    with psycopg.connect(pg_real_store.url) as conn:
        whole = [row[0] for row in conn.execute(sql, {**params, "limit": 1000, "offset": 0})]
    assert len(whole) > 12
    for offset in (0, 5, len(whole) - 3):
        hits = pg_real_store.search_trials(where, sort, 10, offset, 60.0)
        assert [hit.nct_id for hit in hits] == whole[offset : offset + 10]
        for hit in hits:
            assert hit.site is not None
            assert hit.site.country.lower() == where.countries[0].lower()


@pytest.mark.postgres
def test_one_index_gives_a_country_page_in_order_without_trials(
    pg_real_store: PostgresStore,
) -> None:
    where = StudyFilter(countries=("Spain",), statuses=OPEN, phases=("PHASE3",), age_years=70.0)
    sql, params = study_search_sql(where, SORTS["newest"])
    with psycopg.connect(pg_real_store.url) as conn:
        # The sample is small enough to read whole; at scale the planner walks the index
        # (BENCHMARKS.md). Here: the index alone gives the page in order.
        conn.execute("set enable_seqscan = off; set enable_bitmapscan = off")
        plan = "\n".join(
            str(row[0])
            for row in conn.execute("explain " + sql, {**params, "limit": 11, "offset": 0})
        )
    assert "Only Scan using trial_countries_walk on trial_countries trials" in plan
    assert "Sort" not in plan
    assert " on trials " not in plan


FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(status: str, country: str, last_update: str, minimum_age: str) -> StoredRecord:
    """The fixture trial with this status, last update and minimum age, its sites in `country`."""
    study = json.loads(json.dumps(FIXTURE))
    protocol = study["protocolSection"]
    protocol["statusModule"]["overallStatus"] = status
    protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    protocol["eligibilityModule"]["minimumAge"] = minimum_age
    for location in protocol["contactsLocationsModule"]["locations"]:
        location["country"] = country
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _page(store: PostgresStore, where: StudyFilter) -> list[str]:
    return [hit.nct_id for hit in store.search_trials(where, SORTS["newest"], 10, 0, 60.0)]


@pytest.mark.postgres
def test_copies_follow_written_and_replaced_trials(pg_url: str) -> None:
    store = PostgresStore(pg_url, count_cache_size=0)
    store.write_batch([_record("RECRUITING", "France", "2023-07-05", "6 Years")], [])
    assert _one(pg_url, COPIES_DIFFER) == 0
    child = StudyFilter(countries=("France",), statuses=("RECRUITING",), age_years=10.0)
    assert _page(store, child) == ["NCT05397184"]
    store.write_batch([_record("COMPLETED", "Spain", "2024-01-10", "12 Years")], [])
    assert _one(pg_url, COPIES_DIFFER) == 0
    assert _page(store, child) == []
    assert _page(store, StudyFilter(countries=("Spain",), age_years=10.0)) == []
    assert _page(store, StudyFilter(countries=("Spain",), age_years=15.0)) == ["NCT05397184"]
    store.close()


@pytest.mark.postgres
def test_migration_0013_copies_the_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("RECRUITING", "France", "2023-07-05", "6 Years")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop index trial_countries_walk")
        conn.execute(
            "alter table trial_countries drop column last_update_posted,"
            " drop column minimum_age_years, drop column maximum_age_years"
        )
        conn.execute("delete from schema_migrations where name = '0013_search_country_walk'")
    store = PostgresStore(pg_url, count_cache_size=0)
    assert _one(pg_url, COPIES_DIFFER) == 0
    unfilled = "select count(*) from trial_countries where last_update_posted is null"
    assert _one(pg_url, unfilled) == 0
    where = StudyFilter(countries=("France",), age_years=10.0)
    assert _page(store, where) == ["NCT05397184"]
    store.close()
