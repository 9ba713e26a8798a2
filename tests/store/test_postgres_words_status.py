"""PostgreSQL searches with words and a status (migration 0014): each words index also holds
the trial's status (and, on `trials` and `trial_search`, its 1° areas), and a search with words
tests the status there, so one index scan finds the hits in the statuses asked around a place.
It changes how hits are found, never which hits or in what order."""

from __future__ import annotations

import dataclasses
import json

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, count_studies, facet_studies, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord
from trialfinder.store.postgres import PostgresStore, configure_session
from trialfinder.store.postgres_plan import plan_settings
from trialfinder.store.postgres_search import study_search_sql

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")

STATUS_TESTS = {
    "cond": (SearchQuery(cond="cancer", statuses=OPEN), "array[trials.overall_status] &&"),
    "cond-age": (
        SearchQuery(cond="cancer", statuses=OPEN, age=40.0),
        "array[trials.overall_status] &&",
    ),
    "term": (SearchQuery(term="cancer", statuses=OPEN), "array[trials.overall_status] &&"),
    "term-sex": (
        SearchQuery(term="cancer", statuses=OPEN, sex="FEMALE"),
        "array[trial_documents.overall_status] &&",
    ),
    "filters-only": (SearchQuery(statuses=OPEN), "trials.overall_status = any("),
}


@pytest.mark.parametrize(("query", "status_test"), STATUS_TESTS.values(), ids=STATUS_TESTS.keys())
def test_searches_with_words_test_the_status_as_their_index_holds_it(
    query: SearchQuery, status_test: str
) -> None:
    sql, params = study_search_sql(query.study_filter(), None)
    assert status_test in sql
    assert sql.count("overall_status") == 1
    assert params["statuses"] == list(OPEN)


WORD_QUERIES = {
    "cond": SearchQuery(cond="cancer"),
    "term": SearchQuery(term="cancer"),
    "term-sex": SearchQuery(term="cancer", sex="FEMALE"),
    "cond-age": SearchQuery(cond="cancer", age=40.0),
    "cond-place": SearchQuery(cond="cancer", geo=GeoArea(42.36, -71.06, 160.0)),
}
"""Word searches read from each table the status test is written on (`trial_search`,
`trial_documents`, `trials` with `trial_documents`, `trials`), and near a place."""


def _statuses(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("select nct_id, overall_status from trials").fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize("query", WORD_QUERIES.values(), ids=WORD_QUERIES.keys())
def test_word_pages_in_a_status_are_the_word_pages_cut_to_it(
    pg_real_store: PostgresStore, query: SearchQuery
) -> None:
    status_of = _statuses(pg_real_store.url)
    every = search_studies(pg_real_store, query, page_size=1000).hits
    by_status = facet_studies(pg_real_store, query)["overallStatus"]
    assert len(by_status) >= 3
    for statuses in [(status,) for status in by_status] + [OPEN]:
        asked = dataclasses.replace(query, statuses=statuses)
        page = search_studies(pg_real_store, asked, page_size=1000).hits
        expected = [(h.nct_id, h.score) for h in every if status_of[h.nct_id] in statuses]
        assert [(h.nct_id, h.score) for h in page] == expected
        assert count_studies(pg_real_store, asked) == len(expected)
        assert len(expected) == sum(by_status.get(status, 0) for status in statuses)


def _plan(url: str, query: SearchQuery) -> str:
    """The plan of a page of `query` in relevance order (counts and facets of plain words in
    the title, conditions and keywords read `trial_words` instead: migration 0015)."""
    where = query.study_filter()
    sql, params = study_search_sql(where, query.study_sort())
    params |= {"limit": 10, "offset": 0}
    with psycopg.connect(url) as conn:
        configure_session(conn)
        for name, value in plan_settings(where).items():
            conn.execute("select set_config(%s, %s, true)", (name, value))
        rows = conn.execute("explain " + sql, params).fetchall()
    return "\n".join(row[0] for row in rows)


WORD_OR_FILTER_INDEXES = ("_status", "_document", "_place_areas", "_filters_by_id")
"""Endings of the names of the indexes a words search could AND with its words index."""

STATUS_IN_INDEX = "(ARRAY[overall_status] && '{RECRUITING,NOT_YET_RECRUITING}'::text[])"

PLANNED = {
    "cond": (SearchQuery(cond="cancer", statuses=OPEN), "trial_search_words_areas_status"),
    "cond-place": (
        SearchQuery(cond="cancer", statuses=OPEN, geo=GeoArea(42.36, -71.06, 80.0)),
        "trial_search_words_areas_status",
    ),
    "cond-age-place": (
        SearchQuery(cond="cancer", statuses=OPEN, age=40.0, geo=GeoArea(42.36, -71.06, 80.0)),
        "trials_words_areas_status",
    ),
    "term": (SearchQuery(term="cancer", statuses=OPEN), "trial_documents_words_status"),
}


@pytest.mark.postgres
@pytest.mark.parametrize(("query", "index"), PLANNED.values(), ids=PLANNED.keys())
def test_one_index_scan_finds_the_words_hits_in_the_statuses_and_areas_asked(
    pg_real_store: PostgresStore, query: SearchQuery, index: str
) -> None:
    lines = _plan(pg_real_store.url, query).splitlines()
    scans = {
        lines[n].split(" on ")[1].split()[0]: lines[n + 1]
        for n, line in enumerate(lines)
        if "Bitmap Index Scan on" in line
    }
    # The circle's own scans (areas, cells) and the found trials' keys aside.
    assert [name for name in scans if name.endswith(WORD_OR_FILTER_INDEXES)] == [index]
    condition = scans[index]
    assert "Index Cond: " in condition
    assert STATUS_IN_INDEX in condition
    assert ("place_areas" in condition) is (query.geo is not None)


FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())

OLD_INDEXES = {
    "trial_documents_words_status": ("trial_documents_document on trial_documents (document)",),
    "trial_search_words_areas_status": (
        "trial_search_core_document on trial_search (core_document)",
        "trial_search_place_areas on trial_search (place_areas)",
    ),
    "trials_words_areas_status": (
        "trials_core_document on trials (core_document)",
        "trials_place_areas on trials (place_areas)",
    ),
}
"""Each index of migration 0014 and the GIN indexes it replaces."""


def _gin_indexes(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            select indexname, indexdef
            from pg_indexes
            where schemaname = current_schema()
                and tablename in ('trials', 'trial_search', 'trial_documents')
                and indexdef like '%USING gin (%'
            """
        ).fetchall()
    return {name: definition.split(" USING ", 1)[1] for name, definition in rows}


@pytest.mark.postgres
def test_migration_0014_replaces_the_words_indexes(pg_url: str) -> None:
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["overallStatus"] = "RECRUITING"
    study["protocolSection"]["conditionsModule"]["conditions"] = ["Glioma"]
    record = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(record, StoredRecord)
    store = open_store(pg_url)
    store.write_batch([record], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for new, olds in OLD_INDEXES.items():
            conn.execute(f"drop index {new}")
            for old in olds:
                conn.execute(f"create index {old.replace(' (', ' using gin (')}")
        conn.execute("delete from schema_migrations where name = '0014_search_words_status_index'")
    store = PostgresStore(pg_url, count_cache_size=0)
    assert _gin_indexes(pg_url) == {
        "trial_documents_words_status": "gin (document, (ARRAY[overall_status]))",
        "trial_search_words_areas_status": (
            "gin (core_document, place_areas, (ARRAY[overall_status]))"
        ),
        "trials_words_areas_status": "gin (core_document, place_areas, (ARRAY[overall_status]))",
        "trials_lead_sponsor": "gin (lower(lead_sponsor) gin_trgm_ops)",
    }
    for query in (SearchQuery(cond="glioma"), SearchQuery(term="glioma")):
        opened = dataclasses.replace(query, statuses=OPEN)
        closed = dataclasses.replace(query, statuses=("COMPLETED",))
        assert [h.nct_id for h in search_studies(store, opened).hits] == ["NCT05397184"]
        assert search_studies(store, closed).hits == []
    store.close()
