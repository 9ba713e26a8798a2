"""PostgreSQL word-id rows (migration 0022, `postgres_word_ids`): counts and facets of title,
conditions and keywords words read `trial_word_ids` where its word ids answer the query exactly,
with the same hits and keys as the `trial_words` statement; the rows follow written, replaced
and deleted trials, and the migration fills them as the write path does."""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
import pytest

from support import newer_version
from trialfinder.search import SearchQuery, count_studies, facet_studies
from trialfinder.store.base import GeoArea, StudyFilter
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_search import study_search_sql
from trialfinder.store.postgres_word_ids import answers_by_word_ids, hits_sql, word_ids_of

pytestmark = pytest.mark.postgres

OPEN = ("RECRUITING", "NOT_YET_RECRUITING")

TRANSLATED = {
    "cancer": SearchQuery(cond="cancer"),
    "two-words": SearchQuery(cond="breast cancer"),
    "open": SearchQuery(cond="cancer", statuses=OPEN),
    "or": SearchQuery(cond="diabetes OR asthma"),
    "not": SearchQuery(cond="cancer -breast", statuses=("COMPLETED",)),
    "unknown-word": SearchQuery(cond="cancer zzzqqqxxy"),
    "unknown-alternative": SearchQuery(cond="zzzqqqxxy OR asthma"),
}
"""Searches the word ids answer: AND, OR, NOT, a status, a word no trial has."""

NOT_TRANSLATED = {
    "prefix": SearchQuery(cond="canc*"),
    "split-word": SearchQuery(cond="x_y OR cancer"),
}
"""Searches left to the `trial_words` statement: a prefix, a word the parser splits in a phrase
(`<->`, tested on positions `trial_words` does not keep)."""


def _hit_keys(url: str, sql: str, params: dict[str, Any]) -> Counter[int]:
    with psycopg.connect(url) as conn:
        return Counter(dict(conn.execute(sql, params).fetchall()))


def _product_keys(url: str, where: StudyFilter) -> Counter[int]:
    """How many hits of the `trial_words` statement have each facet key."""
    sql, params = study_search_sql(where, None, "trials.facet_key as key")
    return _hit_keys(url, f"select key, count(*) from (\n{sql}) as hits group by key", params)


def _word_id_keys(url: str, where: StudyFilter) -> tuple[Counter[int], bool]:
    """How many hits of `hits_sql` have each key, and whether the word-id rows answered."""
    sql, params = hits_sql(where)
    keys = _hit_keys(url, sql + "select key, count(*) from hits group by key", params)
    with psycopg.connect(url) as conn:
        row = conn.execute(sql + "select ids is not null from word_query", params).fetchone()
    assert row is not None
    return keys, bool(row[0])


@pytest.mark.parametrize(
    ("query", "translated"),
    [*((q, True) for q in TRANSLATED.values()), *((q, False) for q in NOT_TRANSLATED.values())],
    ids=[*TRANSLATED, *NOT_TRANSLATED],
)
def test_word_id_hits_are_the_word_rows_hits(
    pg_real_store: PostgresStore, query: SearchQuery, translated: bool
) -> None:
    where = query.study_filter()
    assert answers_by_word_ids(where)
    keys, answered = _word_id_keys(pg_real_store.url, where)
    assert answered is translated
    assert keys == _product_keys(pg_real_store.url, where)


def test_the_sample_has_several_keys_and_statuses(pg_real_store: PostgresStore) -> None:
    keys, _ = _word_id_keys(pg_real_store.url, TRANSLATED["cancer"].study_filter())
    assert len(keys) > 20
    with psycopg.connect(pg_real_store.url) as conn:
        statuses = conn.execute("select count(distinct overall_status) from trial_word_ids")
        assert statuses.fetchall()[0][0] >= 4


@pytest.mark.parametrize(
    ("query", "answers"),
    [
        (SearchQuery(cond="cancer", statuses=OPEN), True),
        (SearchQuery(cond="cancer", phases=("PHASE3",)), False),
        (SearchQuery(cond="cancer", geo=GeoArea(42.36, -71.06, 160.0)), False),
        (SearchQuery(cond='"breast cancer"'), False),
        (SearchQuery(term="cancer"), False),
        (SearchQuery(statuses=OPEN), False),
    ],
    ids=["status", "phase", "place", "phrase", "whole-document", "no-words"],
)
def test_only_words_of_word_rows_and_a_status_take_the_word_ids(
    query: SearchQuery, answers: bool
) -> None:
    assert answers_by_word_ids(query.study_filter()) is answers


def test_a_store_with_unkeyed_trials_reads_the_word_rows(pg_real_store: PostgresStore) -> None:
    where = TRANSLATED["cancer"].study_filter()
    with psycopg.connect(pg_real_store.url) as conn:
        conn.execute("update impact_stats set unkeyed = 1")
        sql, params = hits_sql(where)
        row = conn.execute(sql + "select ids is null from word_query", params).fetchone()
        conn.rollback()
    assert row == (True,)


_EXPECTED_ROWS = f"""
select trials.nct_id, trials.overall_status, trial_facet_keys.key,
    {word_ids_of("trial_words.words")}
from trials
join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
join trial_words on trial_words.nct_id = trials.nct_id
"""
_STORED_ROWS = "select nct_id, overall_status, facet_key, word_ids from trial_word_ids"
ROWS_APART = f"""
({_EXPECTED_ROWS} except {_STORED_ROWS})
union all
({_STORED_ROWS} except {_EXPECTED_ROWS})
"""
"""The word-id rows that differ from their trial's status, facet key and words (none, when the
rows follow the trials)."""


def _rows(url: str, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _assert_answers_equal(store: PostgresStore) -> None:
    """Every `TRANSLATED` search: the word-id hits' keys are the word rows'; through the store,
    the counts are the word rows' hits."""
    for query in TRANSLATED.values():
        where = query.study_filter()
        keys, answered = _word_id_keys(store.url, where)
        assert answered
        assert keys == _product_keys(store.url, where)
        assert count_studies(store, query) == sum(keys.values())


# The two tests below write to the module's store: they run after those that only read it.


def test_rows_follow_replaced_and_deleted_trials(pg_real_store: PostgresStore) -> None:
    store, url = pg_real_store, pg_real_store.url
    store._answers.size = 0  # every count and facet set computed
    assert _rows(url, ROWS_APART) == []
    cancer, params = study_search_sql(TRANSLATED["cancer"].study_filter(), None)
    nct_ids = sorted(row[0] for row in _rows(url, cancer, params))[:12]
    before = facet_studies(store, TRANSLATED["cancer"])
    store.write_batch([newer_version(store, n, i) for i, n in enumerate(nct_ids)], [])
    assert _rows(url, ROWS_APART) == []
    assert facet_studies(store, TRANSLATED["cancer"]) != before
    _assert_answers_equal(store)

    with psycopg.connect(url) as conn:
        conn.execute("delete from trials where nct_id = any(%s)", (nct_ids[:5],))
    assert _rows(url, ROWS_APART) == []
    assert count_studies(store, TRANSLATED["cancer"]) == len(_rows(url, cancer, params))
    _assert_answers_equal(store)


def test_migration_0022_fills_the_rows_the_write_path_writes(
    pg_real_store: PostgresStore,
) -> None:
    url = pg_real_store.url
    written = _rows(url, "select * from trial_word_ids order by nct_id")
    assert len(written) == _rows(url, "select count(*) from trials")[0][0]
    with psycopg.connect(url) as conn:
        conn.execute("drop table trial_word_ids")
        conn.execute("delete from schema_migrations where name = '0022_search_trial_word_ids'")
    PostgresStore(url).close()
    assert _rows(url, "select * from trial_word_ids order by nct_id") == written
