"""PostgreSQL search rows (migration 0012, `trial_search`): a narrow copy of what a search by
title, conditions and keywords reads from `trials`, with the trial's facet key. Searches that
need nothing else read it in place of `trials`; it changes where rows are read from, never
what a search finds, and follows every written and replaced trial. Counts and facets of words
in the title, conditions and keywords read `trial_words` (migration 0015): the same rows with
those words unlabelled, found the same; `trial_documents` rows carry the facet key too."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, count_studies, facet_studies, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord, StudySort
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_facet_keys import facet_keys_sql
from trialfinder.store.postgres_search import (
    TEXT_CONFIG,
    search_rows_table,
    study_search_sql,
    tsquery,
)

BOSTON = GeoArea(42.36, -71.06, 160.0)

SEARCH = "trial_search"
DOCUMENTS = "trial_documents"
WORDS = "trial_words"

SEARCH_ROWS_TABLES = {
    "cond": (SearchQuery(cond="cancer"), None, WORDS),
    "cond-open": (SearchQuery(cond="cancer", statuses=("RECRUITING",)), None, WORDS),
    "cond-country": (SearchQuery(cond="leukemia", countries=("France",)), None, WORDS),
    "cond-place": (SearchQuery(cond="cancer", geo=BOSTON), None, WORDS),
    "cond-phrase": (SearchQuery(cond='"heart failure"'), None, SEARCH),
    "cond-synonym-phrase": (SearchQuery(cond="non-small cell lung cancer"), None, SEARCH),
    "titles": (SearchQuery(titles="cancer"), None, SEARCH),
    "cond-and-titles": (SearchQuery(cond="cancer", titles="pain"), None, SEARCH),
    "intr": (SearchQuery(intr="pembrolizumab"), None, SEARCH),
    "cond-by-relevance": (SearchQuery(cond="cancer"), StudySort("relevance"), SEARCH),
    "cond-by-distance": (SearchQuery(cond="cancer", geo=BOSTON), StudySort("distance"), SEARCH),
    "cond-by-update": (SearchQuery(cond="cancer"), StudySort("last_update", True), None),
    "cond-phase": (SearchQuery(cond="cancer", phases=("PHASE3",)), None, None),
    "cond-age": (SearchQuery(cond="cancer", age=40.0), None, None),
    "term": (SearchQuery(term="cancer"), None, DOCUMENTS),
    "term-open-by-relevance": (
        SearchQuery(term="cancer", statuses=("RECRUITING",)),
        StudySort("relevance"),
        DOCUMENTS,
    ),
    "term-place": (SearchQuery(term="cancer", geo=BOSTON), None, None),
    "term-sex": (SearchQuery(term="cancer", sex="FEMALE"), None, None),
    "filters-only": (SearchQuery(statuses=("RECRUITING",)), None, None),
}


@pytest.mark.parametrize(
    ("query", "sort", "expected"), SEARCH_ROWS_TABLES.values(), ids=SEARCH_ROWS_TABLES.keys()
)
def test_searches_by_words_and_row_filters_read_narrow_rows(
    query: SearchQuery, sort: StudySort | None, expected: str | None
) -> None:
    where = query.study_filter()
    assert search_rows_table(where, sort) == expected
    sql = study_search_sql(where, sort)[0]
    # Words near a place are searched in `word_hits` (postgres_geo.probed_circle).
    hits = sql.split("word_hits as materialized (", 1)[-1]
    source = hits.split("\nfrom " if hits == sql else "\n    from ", 1)[1].split("\n", 1)[0]
    assert source.rstrip(",") == (f"{expected} as trials" if expected else "trials")
    assert ("join trial_documents" in sql) is (expected is None and bool(query.term))


def test_facets_of_search_rows_take_the_key_from_the_row() -> None:
    for query, table in (
        (SearchQuery(cond="cancer"), WORDS),
        (SearchQuery(titles="x"), SEARCH),
        (SearchQuery(term="cancer"), DOCUMENTS),
    ):
        sql = facet_keys_sql(query.study_filter())[0]
        assert f"trials.nct_id as nct_id, trials.facet_key as key\nfrom {table} as trials" in sql
        assert "trial_facet_keys" not in sql
    term_age = SearchQuery(term="cancer", age=40.0).study_filter()
    assert "join trial_facet_keys" in facet_keys_sql(term_age)[0]


def test_word_rows_are_searched_without_labels() -> None:
    sql, params = study_search_sql(SearchQuery(cond="lung cancer").study_filter(), None)
    assert "trials.words @@ query" in sql
    assert params["tsquery"] == "('lung' & 'cancer')"
    ranked, params = study_search_sql(
        SearchQuery(cond="lung cancer").study_filter(), StudySort("relevance")
    )
    assert "trials.core_document @@ query" in ranked
    assert params["tsquery"] == "('lung':AB & 'cancer':AB)"


SEARCH_ROWS_DIFFER = """
    select count(*)
    from trials
    full join trial_search on trial_search.nct_id = trials.nct_id
    left join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
    where trial_search.nct_id is null
        or trials.nct_id is null
        or trial_search.overall_status != trials.overall_status
        or trial_search.core_document != trials.core_document
        or trial_search.place_areas is distinct from trials.place_areas
        or trial_search.facet_key != trial_facet_keys.key
    """
"""Trials whose search row is missing or differs from the trial (0 when they are kept)."""

WORD_ROWS_DIFFER = """
    select count(*)
    from trials
    full join trial_words on trial_words.nct_id = trials.nct_id
    left join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
    where trial_words.nct_id is null
        or trials.nct_id is null
        or trial_words.overall_status != trials.overall_status
        or trial_words.words != strip(ts_filter(trials.core_document, '{a,b}'))
        or trial_words.place_areas is distinct from trials.place_areas
        or trial_words.facet_key != trial_facet_keys.key
    """
"""Trials whose word row is missing or differs from the trial: its status, areas and key, and
the words of labels A and B of its `core_document`, without labels or positions (0 when they
are kept)."""

DOCUMENT_ROWS_DIFFER = """
    select count(*)
    from trials
    full join trial_documents on trial_documents.nct_id = trials.nct_id
    left join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
    where trial_documents.nct_id is null
        or trials.nct_id is null
        or trial_documents.overall_status != trials.overall_status
        or trial_documents.document != trials.document
        or trial_documents.facet_key != trial_facet_keys.key
    """
"""Trials whose document row is missing or differs from the trial (0 when they are kept)."""

WORD_QUERIES = (
    "cancer",
    "breast cancer",
    "cancer -breast",
    "leuk*",
    "melanoma OR sarcoma",
    "pembrolizumab",
)
"""`query.cond` texts that `trial_words` answers: words, a negated word, a prefix, OR."""


def _one(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(status: str, condition: str, country: str, last_update: str) -> StoredRecord:
    """The fixture trial with this status and condition, its sites moved to `country`."""
    study = json.loads(json.dumps(FIXTURE))
    protocol = study["protocolSection"]
    protocol["statusModule"]["overallStatus"] = status
    protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    protocol["conditionsModule"]["conditions"] = [condition]
    for location in protocol["contactsLocationsModule"]["locations"]:
        location["country"] = country
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _found(store: PostgresStore, cond: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """Count, status facet and country facet of a condition search."""
    query = SearchQuery(cond=cond)
    facets = facet_studies(store, query)
    return count_studies(store, query), facets["overallStatus"], facets["country"]


@pytest.mark.postgres
def test_search_rows_follow_written_and_replaced_trials(pg_url: str) -> None:
    store = PostgresStore(pg_url, count_cache_size=0)
    store.write_batch([_record("RECRUITING", "Glioma", "France", "2023-07-05")], [])
    assert _one(pg_url, SEARCH_ROWS_DIFFER) == 0
    assert _one(pg_url, WORD_ROWS_DIFFER) == 0
    assert _one(pg_url, DOCUMENT_ROWS_DIFFER) == 0
    assert _found(store, "glioma") == (1, {"RECRUITING": 1}, {"France": 1})
    store.write_batch([_record("COMPLETED", "Asthma", "Spain", "2024-01-10")], [])
    assert _one(pg_url, SEARCH_ROWS_DIFFER) == 0
    assert _one(pg_url, WORD_ROWS_DIFFER) == 0
    assert _one(pg_url, DOCUMENT_ROWS_DIFFER) == 0
    assert _one(pg_url, "select count(*) from trial_search") == 1
    assert _one(pg_url, "select count(*) from trial_words") == 1
    assert _found(store, "glioma") == (0, {}, {})
    assert _found(store, "asthma") == (1, {"COMPLETED": 1}, {"Spain": 1})
    asthma = facet_studies(store, SearchQuery(term="asthma"))
    assert (asthma["overallStatus"], asthma["country"]) == ({"COMPLETED": 1}, {"Spain": 1})
    hits = search_studies(store, SearchQuery(cond="asthma", statuses=("COMPLETED",))).hits
    assert [hit.nct_id for hit in hits] == ["NCT05397184"]
    store.close()


@pytest.mark.postgres
def test_migration_0012_copies_the_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("RECRUITING", "Glioma", "France", "2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_search")
        conn.execute("delete from schema_migrations where name = '0012_search_trial_search_rows'")
    store = PostgresStore(pg_url, count_cache_size=0)
    assert _one(pg_url, "select count(*) from trial_search") == 1
    assert _one(pg_url, SEARCH_ROWS_DIFFER) == 0
    assert _found(store, "glioma") == (1, {"RECRUITING": 1}, {"France": 1})
    store.close()


@pytest.mark.postgres
def test_migration_0015_copies_the_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("RECRUITING", "Glioma", "France", "2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        # As before 0015: no word rows, document rows without keys.
        conn.execute("drop table trial_words")
        conn.execute("alter table trial_documents drop column facet_key")
        conn.execute(
            "delete from schema_migrations where name = '0015_search_trial_words_document_keys'"
        )
    store = PostgresStore(pg_url, count_cache_size=0)
    assert _one(pg_url, "select count(*) from trial_words") == 1
    assert _one(pg_url, WORD_ROWS_DIFFER) == 0
    assert _one(pg_url, DOCUMENT_ROWS_DIFFER) == 0
    assert _found(store, "glioma") == (1, {"RECRUITING": 1}, {"France": 1})
    store.close()


@pytest.mark.postgres
def test_stored_sample_studies_have_their_search_rows(pg_real_store: PostgresStore) -> None:
    assert _one(pg_real_store.url, "select count(*) from trial_search") > 0
    assert _one(pg_real_store.url, SEARCH_ROWS_DIFFER) == 0
    assert _one(pg_real_store.url, WORD_ROWS_DIFFER) == 0
    assert _one(pg_real_store.url, DOCUMENT_ROWS_DIFFER) == 0


def _nct_ids(url: str, sql: str, params: dict[str, Any]) -> list[str]:
    with psycopg.connect(url) as conn:
        return sorted(str(row[0]) for row in conn.execute(sql, params))


@pytest.mark.postgres
@pytest.mark.parametrize("cond", WORD_QUERIES)
def test_word_rows_find_what_the_labelled_document_finds(
    pg_real_store: PostgresStore, cond: str
) -> None:
    where = SearchQuery(cond=cond).study_filter()
    sql, params = study_search_sql(where, None)
    assert "from trial_words as trials" in sql
    labelled = {"tsquery": tsquery(where.text)}
    expected = _nct_ids(
        pg_real_store.url,
        f"""
        select nct_id
        from trials
        where core_document @@ to_tsquery('{TEXT_CONFIG}', %(tsquery)s)
        """,
        labelled,
    )
    assert expected, f"{cond!r} finds no sample study: the comparison would be empty"
    assert _nct_ids(pg_real_store.url, sql, params) == expected
