"""PostgreSQL counts and facet counts of matching trials, remembered until the store changes.

The twin of `sqlite_counts.py`. A count or a facet set over a broad filter (all open trials, a
country) reads a large share of the store, and the same ones come back on every page of a
search and from every user. Each store keeps the answers in an `AnswerCache` keyed on the filter
and versioned by the store's `answer_version`: while its `ChangeWatcher` listens, the count of
writes it has heard (`postgres_changes.py`: the process's own writes at once, others' when their
notification arrives), else the server's current snapshot (`store_version`: it changes whenever
a transaction anywhere on the server starts writing or ends, so a committed write drops every
answer, and an unchanged snapshot means unchanged data).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from trialfinder.errors import StoreError
from trialfinder.store.answer_cache import AnswerCache
from trialfinder.store.base import StudyFilter
from trialfinder.store.postgres_changes import ChangeWatcher
from trialfinder.store.postgres_facet_keys import (
    answered_by_keys,
    facet_keys_sql,
    keyed_count_sql,
)
from trialfinder.store.postgres_filters import sparse_country_trials
from trialfinder.store.postgres_plan import time_limit
from trialfinder.store.postgres_search import study_search_sql
from trialfinder.store.postgres_word_ids import answers_by_word_ids
from trialfinder.store.postgres_word_ids import hits_sql as word_id_hits_sql

Connection = psycopg.Connection[Any]
Pool = ConnectionPool[Connection]


def store_version(conn: Connection) -> str:
    """The server's current snapshot: the same exactly while nothing was written."""
    try:
        row = conn.execute("select pg_current_snapshot()::text").fetchone()
    except psycopg.Error as error:
        raise StoreError(f"search failed ({str(error).strip()})") from None
    return str(row[0]) if row else ""


def answer_version(pool: Pool, changes: ChangeWatcher | None) -> Hashable:
    """The version remembered answers are filed under: the watcher's while it listens (no
    connection taken, no round trip), else the server's snapshot."""
    heard = changes.version() if changes is not None else None
    if heard is not None:
        return heard
    with pool.connection() as conn:
        return store_version(conn)


def count_trials(
    pool: Pool,
    cache: AnswerCache,
    changes: ChangeWatcher | None,
    where: StudyFilter,
    time_limit_s: float,
) -> int:
    """Return how many trials match `where` (a pooled connection only to compute it)."""

    def compute() -> int:
        with pool.connection() as conn:
            return _count(conn, where, time_limit_s)

    answer: int = cache.get(answer_version(pool, changes), ("count", where), compute)
    return answer


def facet_counts(
    pool: Pool,
    cache: AnswerCache,
    changes: ChangeWatcher | None,
    where: StudyFilter,
    time_limit_s: float,
) -> dict[str, dict[str, int]]:
    """Return value → count of matching trials for status, phase, type, sex, age group, country,
    most trials first, then by value (a pooled connection only to compute them).
    """

    def compute() -> dict[str, dict[str, int]]:
        with pool.connection() as conn:
            return _facets(conn, where, time_limit_s)

    facets: dict[str, dict[str, int]] = cache.get(
        answer_version(pool, changes), ("facets", where), compute
    )
    # A copy: the caller may change it, the remembered one must not.
    return {name: dict(counts) for name, counts in facets.items()}


def _count(conn: Connection, where: StudyFilter, time_limit_s: float) -> int:
    with time_limit(conn, time_limit_s, where):
        keyed = keyed_count_sql(where)
        if keyed is not None:
            row = conn.execute(*keyed).fetchone()
            return int(row[0]) if row else 0
        narrowed = sparse_country_trials(conn, where)
        if narrowed is None:
            return 0
        if answers_by_word_ids(narrowed):
            # Fewer pages than the `trial_words` rows: their word ids (migration 0022).
            hits, params = word_id_hits_sql(narrowed)
            row = conn.execute(hits + "select count(*) from hits", params).fetchone()
        else:
            sql, params = study_search_sql(narrowed, None)
            row = conn.execute(
                f"select count(*) from (\n{sql}) as hits",
                params,
            ).fetchone()
    return int(row[0]) if row else 0


FACETS = ("overallStatus", "phase", "studyType", "sex", "stdAge", "country")


def _facets(conn: Connection, where: StudyFilter, time_limit_s: float) -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    with time_limit(conn, time_limit_s, where):
        narrowed = where if answered_by_keys(where) else sparse_country_trials(conn, where)
        if narrowed is None:
            return facets
        sql, params = facet_keys_sql(narrowed)
        rows = conn.execute(sql, params).fetchall()
    for name, value, count in sorted(rows, key=lambda row: (row[0], -row[2], str(row[1]))):
        facets[name][str(value)] = int(count)
    return facets
