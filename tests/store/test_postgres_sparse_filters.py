"""PostgreSQL country filters that leave few trials (migration 0009, `sparse_country_trials`):
answered from the ids that the country rows' own filter columns give, never walking every trial.
The answers are the walk's answers; the country rows follow their trial when it is replaced."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, count_studies, facet_studies, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store, postgres_filters
from trialfinder.store.base import StoredRecord
from trialfinder.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

QUERIES = [
    SearchQuery(countries=("Brazil",), statuses=("RECRUITING",), healthy_volunteers=True),
    SearchQuery(countries=("Germany",), statuses=("COMPLETED",), phases=("PHASE3",)),
    SearchQuery(countries=("Spain", "France"), sex="FEMALE", age_groups=("CHILD",)),
    SearchQuery(countries=("Japan",), study_types=("OBSERVATIONAL",), has_results=True),
    SearchQuery(countries=("United States",), statuses=("RECRUITING", "NOT_YET_RECRUITING")),
    SearchQuery(countries=("Tuvalu",)),
]
IDS = ["brazil-healthy", "germany-phase-3", "spain-france-girls", "japan-results", "us", "none"]


def _answers(store: PostgresStore, query: SearchQuery) -> tuple[Any, ...]:
    page = search_studies(store, query, page_size=1000).hits
    by_id = search_studies(store, dataclasses.replace(query, sort="nct_id"), page_size=7)
    return (
        [(hit.nct_id, hit.site, hit.site_status) for hit in page],
        [hit.nct_id for hit in by_id.hits],
        count_studies(store, query),
        facet_studies(store, query),
    )


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_sparse_country_filters_answer_as_the_walk_does(
    pg_real_store: PostgresStore, query: SearchQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_real_store._answers.size = 0  # every count and facet set computed
    sparse = _answers(pg_real_store, query)
    monkeypatch.setattr(postgres_filters, "SPARSE_TRIALS", 0)  # never sparse: the walk
    assert sparse == _answers(pg_real_store, query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [(QUERIES[0], None), (QUERIES[5], None), (QUERIES[4], "where")],
    ids=["brazil-healthy-none", "unknown-country", "us-many"],
)
def test_sparse_country_trials_narrow_only_few_trials(
    pg_real_store: PostgresStore, query: SearchQuery, expected: str | None
) -> None:
    where = query.study_filter()
    with psycopg.connect(pg_real_store.url) as conn:
        narrowed = postgres_filters.sparse_country_trials(conn, where)
    assert narrowed == (where if expected == "where" else None)


def test_few_matches_are_narrowed_to_their_ids(pg_real_store: PostgresStore) -> None:
    where = QUERIES[1].study_filter()
    with psycopg.connect(pg_real_store.url) as conn:
        narrowed = postgres_filters.sparse_country_trials(conn, where)
    found = search_studies(pg_real_store, QUERIES[1], page_size=1000).hits
    assert 0 < len(found) < postgres_filters.SPARSE_TRIALS
    assert narrowed == dataclasses.replace(
        where, nct_ids=tuple(sorted(hit.nct_id for hit in found))
    )


# -- the country rows follow their trial ----------------------------------------------------------

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(status: str, last_update: str) -> StoredRecord:
    """The fixture trial (a site in the United Kingdom) with this status."""
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["overallStatus"] = status
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


COUNTRY_FILTERS = """
    select distinct overall_status, study_type, sex, std_ages, phases, healthy_volunteers,
        has_results
    from trial_countries
    """
TRIAL_FILTERS = """
    select overall_status, study_type, sex, std_ages, phases, healthy_volunteers, has_results
    from trials
    """


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _found(store: PostgresStore, status: str) -> list[str]:
    query = SearchQuery(countries=("United Kingdom",), statuses=(status,))
    return [hit.nct_id for hit in search_studies(store, query).hits]


def test_country_rows_follow_a_replaced_trials_filters(pg_url: str) -> None:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    store.write_batch([_record("RECRUITING", "2023-07-05")], [])
    assert _rows(pg_url, COUNTRY_FILTERS) == _rows(pg_url, TRIAL_FILTERS)
    assert (_found(store, "RECRUITING"), _found(store, "COMPLETED")) == (["NCT05397184"], [])
    store.write_batch([_record("COMPLETED", "2024-01-10")], [])
    assert _rows(pg_url, COUNTRY_FILTERS) == _rows(pg_url, TRIAL_FILTERS)
    assert _rows(pg_url, COUNTRY_FILTERS)[0][0] == "COMPLETED"
    assert (_found(store, "RECRUITING"), _found(store, "COMPLETED")) == ([], ["NCT05397184"])
    store.close()


def test_migration_0009_copies_the_filters_of_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("RECRUITING", "2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            """
            alter table trial_countries
                drop column overall_status, drop column study_type, drop column sex,
                drop column std_ages, drop column phases, drop column healthy_volunteers,
                drop column has_results
            """
        )
        conn.execute(
            "create index trial_countries_country on trial_countries (lower(country), nct_id)"
        )
        conn.execute("delete from schema_migrations where name = '0009_search_country_filters'")
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    assert _rows(pg_url, COUNTRY_FILTERS) == _rows(pg_url, TRIAL_FILTERS)
    assert _rows(pg_url, "select to_regclass('trial_countries_country') is null") == [(True,)]
    assert _found(store, "RECRUITING") == ["NCT05397184"]
    store.close()
