"""PostgreSQL facet keys (migrations 0011 and 0021, `postgres_facet_keys`): facets and counts
from the counts of the keys for filter-only sets, per matching trial's key otherwise; the same
facets and counts as counting each matching trial's own columns and countries; the keys and
their counts follow replaced trials, and writes by plain SQL (the database keeps them)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from support import FIXTURES, shared_data
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, count_studies, facet_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord, StudyFilter
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_facet_keys import (
    KEY_COPIES,
    answered_by_keys,
    facet_keys_sql,
    keyed_count_sql,
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


def _count_trial_by_trial(url: str, where: StudyFilter) -> int:
    """How many trials match `where`, each tested on its own rows."""
    sql, params = study_search_sql(where, None)
    with psycopg.connect(url) as conn:
        row = conn.execute(f"select count(*) from (\n{sql}) as hits", params).fetchone()
    assert row is not None
    return int(row[0])


KEYED_COUNTS = {
    **{name: QUERIES[name] for name in ("everything", "open", "germany", "phase-3-open")},
    "women-children-volunteers": QUERIES["women-children-volunteers"],
    "two-countries-open": SearchQuery(
        countries=("United States", "Canada"), statuses=("RECRUITING", "NOT_YET_RECRUITING")
    ),
    "two-countries-women-children": SearchQuery(
        countries=("Spain", "France"), sex="FEMALE", age_groups=("CHILD",)
    ),
}


@pytest.mark.parametrize(
    "query", [*QUERIES.values(), *KEYED_COUNTS.values()], ids=[*QUERIES, *KEYED_COUNTS]
)
def test_counts_are_those_counted_trial_by_trial(
    pg_real_store: PostgresStore, query: SearchQuery
) -> None:
    # A trial in both countries has one key listing both: summed once, as counted once here.
    where = query.study_filter()
    pg_real_store._answers.size = 0  # every count computed
    expected = _count_trial_by_trial(pg_real_store.url, where)
    assert expected > 0
    assert count_studies(pg_real_store, query) == expected


@pytest.mark.parametrize(
    ("query", "by_keys"),
    [
        (KEYED_COUNTS["two-countries-open"], True),
        (QUERIES["women-children-volunteers"], True),
        (QUERIES["cancer-us"], False),
        (QUERIES["term-phases-women-open-countries"], False),
        (QUERIES["boston-us-no-results"], False),
        (QUERIES["started-2020"], False),
    ],
    ids=["countries-status", "filters", "words-country", "words-filters", "place-country", "age"],
)
def test_counts_are_summed_over_keys_for_key_filters_alone(
    query: SearchQuery, by_keys: bool
) -> None:
    assert (keyed_count_sql(query.study_filter()) is not None) == by_keys


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


@pytest.fixture
def sample_store(pg_url: str) -> Iterator[PostgresStore]:
    """A store of the first 120 shared sample studies that remembers no answer."""
    store = PostgresStore(pg_url, count_cache_size=0)
    records = []
    for path in sorted(shared_data("ctgov").glob("NCT*.json"))[:120]:
        parsed = parse_raw(RawRecord("test", path.name, path.read_bytes(), "ctgov_json"))
        assert isinstance(parsed, StoredRecord)
        records.append(parsed)
    store.write_batch(records, [])
    yield store
    store.close()


def _one(url: str, sql: str) -> str:
    """The single value `sql` selects."""
    rows = _rows(url, sql)
    assert len(rows) == 1
    return str(rows[0][0])


def _american_cancer_trial(url: str) -> str:
    """A trial that "cancer in the United States" finds (its key copied in its search rows)."""
    sql, params = study_search_sql(QUERIES["cancer-us"].study_filter(), None)
    with psycopg.connect(url) as conn:
        row = conn.execute(f"select min(nct_id) from (\n{sql}) as hits", params).fetchone()
    assert row is not None and row[0] is not None
    return str(row[0])


def _plain_insert(url: str, copied: str) -> None:
    """A new trial and its countries, copied from `copied`'s rows, then a site country more."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "create temporary table new_trial on commit drop as "
            f"select * from trials where nct_id = '{copied}'"
        )
        conn.execute("update new_trial set nct_id = 'NCT99999999', overall_status = 'SUSPENDED'")
        row = conn.execute(
            """
            select string_agg(quote_ident(attname), ', ' order by attnum)
            from pg_attribute
            where attrelid = 'trials'::regclass
                and attnum > 0
                and not attisdropped
                and attgenerated = ''
            """
        ).fetchone()
        assert row is not None
        conn.execute(f"insert into trials ({row[0]}) select {row[0]} from new_trial")
        conn.execute(
            "create temporary table new_countries on commit drop as "
            f"select * from trial_countries where nct_id = '{copied}'"
        )
        conn.execute("update new_countries set nct_id = 'NCT99999999'")
        conn.execute("insert into trial_countries select * from new_countries")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            insert into trial_countries (nct_id, country, first_position)
            values ('NCT99999999', 'Iceland', 0)
            """
        )


def _plain_update(url: str, changed: str) -> None:
    """`changed` another status and sex; its first site country renamed (each committed)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update trials set overall_status = 'WITHDRAWN', sex = 'FEMALE' "
            f"where nct_id = '{changed}'"
        )
        conn.execute(
            f"""
            update trial_countries set country = 'Iceland'
            where nct_id = '{changed}'
                and country = (select min(country) from trial_countries where nct_id = '{changed}')
            """
        )


def _plain_delete(url: str, deleted: str) -> None:
    """`deleted` gone; a site country of every German trial gone too."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"delete from trials where nct_id = '{deleted}'")
        conn.execute("delete from trial_countries where country = 'Germany'")


def _plain_truncate(url: str, _: str) -> None:
    """Every site country gone."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate trial_countries")


PLAIN_SQL_CHECKED = {
    name: QUERIES[name]
    for name in ("everything", "open", "germany", "women-children-volunteers", "cancer")
} | {
    "us-women": SearchQuery(countries=("United States",), sex="FEMALE"),
    "two-countries": SearchQuery(countries=("United States", "Iceland")),
}


@pytest.mark.parametrize(
    "write",
    [_plain_insert, _plain_update, _plain_delete, _plain_truncate],
    ids=["insert", "update", "delete", "truncate"],
)
def test_writes_by_plain_sql_keep_the_keys_and_the_counts_right(
    sample_store: PostgresStore, write: Any
) -> None:
    # Before migration 0021 only the store's own writes refreshed the keys: facets summed from
    # them still counted a trial deleted by plain SQL, and knew no trial inserted so.
    url = sample_store.url
    trial = _american_cancer_trial(url)
    key_before = _one(url, f"select key from trial_facet_keys where nct_id = '{trial}'")
    write(url, trial)
    assert _rows(url, KEY_COUNTS) == []
    assert _rows(url, "select count(*) from facet_keys_pending") == [(0,)]
    assert _rows(
        url,
        """
        select count(*) from trials
        full join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
        where trials.nct_id is null or trial_facet_keys.nct_id is null
        """,
    ) == [(0,)]
    for table in KEY_COPIES:
        assert _rows(
            url,
            f"""
            select count(*) from {table}
            join trial_facet_keys on trial_facet_keys.nct_id = {table}.nct_id
            where {table}.facet_key <> trial_facet_keys.key
            """,
        ) == [(0,)]
    if write is _plain_update:
        key_after = _one(url, f"select key from trial_facet_keys where nct_id = '{trial}'")
        assert key_after != key_before
    for query in PLAIN_SQL_CHECKED.values():
        where = query.study_filter()
        assert count_studies(sample_store, query) == _count_trial_by_trial(url, where)
        assert facet_studies(sample_store, query) == _facets_trial_by_trial(url, where)
