"""PostgreSQL facet keys (migration 0011, `postgres_facet_keys`): facets from the counts of the
keys for filter-only sets, per matching trial's key otherwise; the same facets as counting each
matching trial's own columns and countries; the keys and their counts follow replaced trials."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, facet_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord, StudyFilter
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_facet_keys import (
    answered_by_keys,
    facet_keys_sql,
    split_key_filters,
)
from trialfinder.store.postgres_search import study_search_sql

pytestmark = pytest.mark.postgres

QUERIES = {
    "everything": SearchQuery(),
    "open": SearchQuery(statuses=("RECRUITING", "NOT_YET_RECRUITING")),
    "phase-3-open": SearchQuery(phases=("PHASE3",), statuses=("RECRUITING",)),
    "germany": SearchQuery(countries=("Germany",)),
    "women-children-volunteers": SearchQuery(
        sex="FEMALE", age_groups=("CHILD",), healthy_volunteers=True
    ),
    "results-observational": SearchQuery(has_results=True, study_types=("OBSERVATIONAL",)),
    "cancer": SearchQuery(cond="cancer"),
    "term-open-us": SearchQuery(
        term="quality of life", statuses=("RECRUITING",), countries=("United States",)
    ),
    "boston": SearchQuery(geo=GeoArea(42.36, -71.06, 160.0)),
    "cancer-us": SearchQuery(cond="cancer", countries=("United States",)),
    "term-phases-women-open-countries": SearchQuery(
        term="cancer",
        phases=("PHASE2", "PHASE3"),
        sex="FEMALE",
        statuses=("RECRUITING",),
        countries=("United States", "Canada"),
    ),
    "boston-open": SearchQuery(geo=GeoArea(42.36, -71.06, 160.0), statuses=("RECRUITING",)),
    "boston-us-no-results": SearchQuery(
        geo=GeoArea(42.36, -71.06, 160.0), countries=("United States",), has_results=False
    ),
    "cancer-boston-phases": SearchQuery(
        cond="cancer", geo=GeoArea(42.36, -71.06, 160.0), phases=("PHASE2", "PHASE3")
    ),
    "started-2020": SearchQuery(statuses=("COMPLETED",), age=30.0),
}


def _facets_trial_by_trial(url: str, where: StudyFilter) -> dict[str, dict[str, int]]:
    """The facets counted from each matching trial's own columns and countries."""
    sql, params = study_search_sql(where, None)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"""
            select trials.overall_status, trials.study_type, trials.sex, trials.std_ages,
                trials.phases,
                array(
                    select country from trial_countries
                    where trial_countries.nct_id = trials.nct_id
                )
            from trials
            where trials.nct_id in (\n{sql})
            """,
            params,
        ).fetchall()
    counters: dict[str, Counter[str]] = {
        name: Counter() for name in ("overallStatus", "phase", "studyType", "sex", "stdAge")
    }
    counters["country"] = Counter()
    for status, study_type, sex, ages, phases, countries in rows:
        counters["overallStatus"][status] += 1
        counters["studyType"][study_type] += 1
        counters["sex"][sex] += 1
        counters["stdAge"].update(
            {a for a in ages.split(",") if a in ("CHILD", "ADULT", "OLDER_ADULT")}
        )
        counters["phase"].update(set(phases.split(",")) if phases else {"NONE"})
        counters["country"].update(countries)
    return {
        name: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
        for name, counter in counters.items()
    }


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_facets_from_keys_are_those_counted_trial_by_trial(
    pg_real_store: PostgresStore, query: SearchQuery
) -> None:
    pg_real_store._answers.size = 0  # every facet set computed
    expected = _facets_trial_by_trial(pg_real_store.url, query.study_filter())
    assert sum(expected["overallStatus"].values()) > 0
    assert facet_studies(pg_real_store, query) == expected


@pytest.mark.parametrize(
    ("query", "by_keys"),
    [
        (QUERIES["open"], True),
        (QUERIES["germany"], True),
        (QUERIES["women-children-volunteers"], True),
        (QUERIES["cancer"], False),
        (QUERIES["boston"], False),
        (QUERIES["started-2020"], False),
        (SearchQuery(nct_ids=("NCT05397184",)), False),
    ],
    ids=["open", "germany", "women", "cancer", "boston", "age", "ids"],
)
def test_only_filters_on_key_columns_are_answered_from_the_counts(
    query: SearchQuery, by_keys: bool
) -> None:
    assert answered_by_keys(query.study_filter()) is by_keys


BOSTON = GeoArea(42.36, -71.06, 160.0)
CANCER = SearchQuery(cond="cancer").study_filter().text


@pytest.mark.parametrize(
    ("where", "hits", "keys"),
    [
        (
            StudyFilter(text=CANCER, countries=("Germany",), phases=("PHASE3",), statuses=("X",)),
            StudyFilter(text=CANCER, statuses=("X",)),
            StudyFilter(countries=("Germany",), phases=("PHASE3",)),
        ),
        (
            StudyFilter(geo=BOSTON, countries=("United States",), statuses=("X",)),
            StudyFilter(geo=BOSTON, countries=("United States",)),
            StudyFilter(statuses=("X",)),
        ),
        (
            StudyFilter(
                text=CANCER, location_words=("boston",), countries=("Canada",), sexes=("A",)
            ),
            StudyFilter(text=CANCER, location_words=("boston",), countries=("Canada",)),
            StudyFilter(sexes=("A",)),
        ),
        (
            StudyFilter(text=CANCER, countries=("Germany",), age_years=30.0),
            StudyFilter(text=CANCER, countries=("Germany",), age_years=30.0),
            StudyFilter(),
        ),
        (
            StudyFilter(countries=("Germany",), nct_ids=("NCT05397184",)),
            StudyFilter(countries=("Germany",), nct_ids=("NCT05397184",)),
            StudyFilter(),
        ),
    ],
    ids=["words", "place", "location-words", "age", "no-words-or-place"],
)
def test_key_filters_move_to_the_keys_only_beside_words_or_a_place(
    where: StudyFilter, hits: StudyFilter, keys: StudyFilter
) -> None:
    assert split_key_filters(where) == (hits, keys)


def test_a_place_alone_reads_no_trial_rows() -> None:
    sql, _ = facet_keys_sql(StudyFilter(geo=BOSTON, statuses=("RECRUITING",)))
    assert re.search(r"\b(from|join)\s+trial(s|_search|_documents)\b", sql) is None
    assert "trial_facet_keys" in sql


KEY_COUNTS = """
    select facet_keys.key, facet_keys.trials, count(trial_facet_keys.nct_id)
    from facet_keys
    left join trial_facet_keys on trial_facet_keys.key = facet_keys.key
    group by facet_keys.key
    having facet_keys.trials != count(trial_facet_keys.nct_id)
    """
"""Keys whose count is not their number of trials (none, when the counts are kept)."""


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_stored_keys_count_their_trials(pg_real_store: PostgresStore) -> None:
    assert _rows(pg_real_store.url, KEY_COUNTS) == []
    assert _rows(
        pg_real_store.url,
        "select (select count(*) from trials) = (select count(*) from trial_facet_keys)",
    ) == [(True,)]


FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(status: str, country: str, last_update: str) -> StoredRecord:
    """The fixture trial with this status, its sites moved to `country`."""
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["overallStatus"] = status
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    for location in study["protocolSection"]["contactsLocationsModule"]["locations"]:
        location["country"] = country
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def test_a_replaced_trial_moves_to_its_new_key(pg_url: str) -> None:
    store = PostgresStore(pg_url, count_cache_size=0)
    assert isinstance(store, PostgresStore)
    store.write_batch([_record("RECRUITING", "United Kingdom", "2023-07-05")], [])
    everything = SearchQuery()
    facets = facet_studies(store, everything)
    assert (facets["overallStatus"], facets["country"]) == (
        {"RECRUITING": 1},
        {"United Kingdom": 1},
    )
    store.write_batch([_record("COMPLETED", "France", "2024-01-10")], [])
    facets = facet_studies(store, everything)
    assert (facets["overallStatus"], facets["country"]) == ({"COMPLETED": 1}, {"France": 1})
    assert facet_studies(store, SearchQuery(countries=("United Kingdom",)))["country"] == {}
    assert _rows(pg_url, KEY_COUNTS) == []
    assert _rows(pg_url, "select count(*), sum(trials) from facet_keys") == [(2, 1)]
    store.close()


def test_migration_0011_keys_the_stored_trials(pg_url: str) -> None:
    store = open_store(pg_url)
    store.write_batch([_record("RECRUITING", "Spain", "2023-07-05")], [])
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_facet_keys, facet_keys")
        conn.execute("delete from schema_migrations where name = '0011_search_facet_keys'")
    store = PostgresStore(pg_url, count_cache_size=0)
    assert isinstance(store, PostgresStore)
    assert _rows(pg_url, "select countries, trials from facet_keys") == [(["Spain"], 1)]
    assert _rows(pg_url, KEY_COUNTS) == []
    assert facet_studies(store, SearchQuery(countries=("Spain",)))["overallStatus"] == {
        "RECRUITING": 1
    }
    store.close()
