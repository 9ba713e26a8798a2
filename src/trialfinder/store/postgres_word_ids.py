"""PostgreSQL counts and facets of title, conditions and keywords words from word ids (issue #3;
migration 0022).

A count or facet set of `query.cond` words with no place (`search_rows_table`: `trial_words`)
found its hits through the words' GIN index, then read about one `trial_words` page per hit for
its facet key: "cancer" read 6,760 of the table's 6,801 pages at 100k studies, 14 ms warm, 48 ms
once the free-text top-k's impact table had pushed them out of the pool (BENCHMARKS.md, session
13, helper 10). `trial_word_ids` holds each trial's status, facet key and the `impact_words` ids
(migration 0016's dictionary) of its `trial_words` lexemes as an `int4[]`, under a GIN index
(intarray's `gin__int_ops`, with the status as migration 0014's indexes hold it): the same hits
from rows of ~a third of the width.

The query's `tsquery` is turned into intarray's `query_int` in the statement (`WORD_QUERY`): each
lexeme by its id (-1, which no trial holds, for one not in the dictionary), the operators kept.
The word-id rows answer only what they answer exactly; otherwise the statement takes the
`trial_words` path, decided in the server by a one-time test (`hits_sql`):

- a phrase (`<->`, a word the parser splits) or prefix (`:*`) operator: `trial_words` holds its
  words stripped, without positions, where such an operator is tested differently;
- a stored trial without an integer key (`impact_stats.unkeyed`): its lexemes have no id;
- a query of stop words only (no lexeme).

The store writes a trial's row in the transaction that writes the trial, after its
`trial_words` row and the impact rows (`postgres_bm25.refresh_trials`, whose advisory lock
assigns the word ids and is held to commit: `WRITE_ROWS`); a deleted trial's row goes with it
(`on delete cascade`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trialfinder.store.base import StudyFilter
from trialfinder.store.postgres_bm25 import STATS, WORDS
from trialfinder.store.postgres_search import (
    TEXT_CONFIG,
    search_rows_table,
    study_search_sql,
    words_status_condition,
)

TABLE = "trial_word_ids"
"""One row per trial: (nct_id, overall_status, facet_key, word_ids int4[])."""


def word_ids_of(words: str) -> str:
    """SQL of the sorted `impact_words` ids of the lexemes of the tsvector `words`."""
    return f"""array(
        select {WORDS}.word_id
        from {WORDS}
        where {WORDS}.word = any(tsvector_to_array({words}))
        order by {WORDS}.word_id
    )"""


SCHEMA_0022: tuple[str, ...] = (
    "create extension if not exists intarray",
    f"""
    create table {TABLE} (
        nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
        overall_status text not null,
        facet_key integer not null,
        word_ids integer[] not null
    )
    """,
    "set local maintenance_work_mem = '256MB'",
    f"""
    insert into {TABLE} (nct_id, overall_status, facet_key, word_ids)
    select
        trial_words.nct_id, trial_words.overall_status, trial_words.facet_key,
        {word_ids_of("trial_words.words")}
    from trial_words
    order by trial_words.nct_id
    """,
    f"""
    create index {TABLE}_words_status
        on {TABLE} using gin (word_ids gin__int_ops, (array[overall_status]))
    """,
    f"analyze {TABLE}",
)
"""Migration 0022: the table, filled from the stored `trial_words` rows, and its index."""

WRITE_ROWS = f"""
    insert into {TABLE} (nct_id, overall_status, facet_key, word_ids)
    select
        trial_words.nct_id, trial_words.overall_status, trial_words.facet_key,
        {word_ids_of("trial_words.words")}
    from trial_words
    where trial_words.nct_id = any(%(nct_ids)s::text[])
    order by trial_words.nct_id
    on conflict (nct_id) do update set
        overall_status = excluded.overall_status,
        facet_key = excluded.facet_key,
        word_ids = excluded.word_ids
    """
"""The rows of the trials `%(nct_ids)s` from their `trial_words` rows just written; run after
`refresh_trials` (the ids of new words are assigned there)."""

WORD_QUERY = f"""word_query as (
    select case
        when (select {STATS}.unkeyed from {STATS}) = 0
            and bool_and(tokens.token[2] is null or tokens.token[2] !~ '[<:]')
        then string_agg(
            case
                when tokens.token[1] is null then tokens.token[2]
                else coalesce({WORDS}.word_id, -1)::text
            end,
            '' order by tokens.place
        )::query_int
    end as ids
    from regexp_matches(
        to_tsquery('{TEXT_CONFIG}', %(tsquery)s)::text, %(tsquery_token)s, 'g'
    ) with ordinality as tokens (token, place)
    left join {WORDS}
        on {WORDS}.word = regexp_replace(tokens.token[1], %(tsquery_doubled)s, '\\1', 'g')
)"""
"""The common table expression `word_query (ids)`: the search's `tsquery` as a `query_int` of
word ids, or null where the word-id rows do not answer it (see the module docstring). The
`tsquery`'s text is read token by token: a quoted lexeme (quotes and backslashes doubled) or
the operators between."""

_TSQUERY_PARAMS = {
    "tsquery_token": "'((?:[^']|'')*)'|([^']+)",
    "tsquery_doubled": r"(['\\])\1",
}


def answers_by_word_ids(where: StudyFilter) -> bool:
    """Whether the word-id rows may answer the hits of `where`: words the `trial_words` rows
    answer (`search_rows_table`) and at most a status besides; whether they do is decided in
    the statement (`hits_sql`)."""
    rest = dataclasses.replace(where, text=(), statuses=())
    return (
        bool(where.text)
        and rest == StudyFilter()
        and search_rows_table(where, None) == "trial_words"
    )


def hits_sql(where: StudyFilter) -> tuple[str, dict[str, Any]]:
    """(sql, params): common table expressions ending in `hits (key)`, one row per trial
    matching `where` (`answers_by_word_ids`) with its facet key: from the word-id rows when
    `WORD_QUERY` translates the search, else (a one-time test in the server) from the
    `trial_words` rows by the product's statement."""
    product, params = study_search_sql(
        where, None, "trials.nct_id as nct_id, trials.facet_key as key"
    )
    if product.startswith("with "):
        raise ValueError(f"a search of word rows has no common table expressions:\n{product}")
    conditions = ["trials.word_ids @@ (select word_query.ids from word_query)"]
    if where.statuses:
        conditions.append(words_status_condition(where, params, in_documents=False))
    params.update(_TSQUERY_PARAMS)
    sql = f"""with {WORD_QUERY},
hits as (
    select trials.facet_key as key
    from {TABLE} as trials
    where {(chr(10) + "        and ").join(conditions)}
    union all
    select product.key
    from (
{product}    ) as product
    where (select word_query.ids from word_query) is null
)
"""
    return sql, params
