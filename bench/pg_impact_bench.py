"""Impact-ordered words benchmark (issue 3): can PostgreSQL rank free text top-k, not every hit?

A prototype, not product code. PostgreSQL ranks free text with `ts_rank` over the weighted
`trial_documents.document` (`postgres_search.study_search_sql`), so it reads and ranks every hit
before the LIMIT (issue #3's p95 is set by pages of 7k-17k hits). `ts_rank` cannot be bounded
per word (its AND rank is a nearness measure, every hit's bound is above the 10th score), so this
prototype ranks by a score that can: BM25 summed over the query's positive lexemes,
read from an impact-ordered words table with a threshold-algorithm stop. On one database holding
the product's tables (a copy of a migrated store; the product's tables are read, not changed):

- `--setup`: `trial_word_impacts` (word, impact, nct_id, overall_status): one row per lexeme of
  each trial's document, impact = the lexeme's BM25 term part (`word_impact`, without idf,
  which is applied at query time so that a write does not change other rows), under a btree
  (word, impact desc, nct_id) including the status (the lists, read best first) and one on
  (nct_id, word) including the impact (a candidate's score); `word_trials` (word, trials) the
  document frequencies. Build seconds and sizes.
- `--setup-compact` (session 11; since session 12 the store's migration 0016, since session 13
  with 0017, whose statements and query code, `trialfinder.store.postgres_bm25`, this bench
  imports and remakes the tables with): the same impacts in a compact table, `trial_word_scores`
  (word_id integer, impact real, trial integer, status smallint: the word from the dictionary
  `impact_words` (word, word_id, trials), the trial by the 8 digits of its NCT id, the status by
  `impact_statuses`), under the same two indexes, and `bm25_top_k`, the top-k as one PL/pgSQL
  call (`TOP_K_FUNCTION`, `top_k_in_server`). Pages also by every hit scored from the compact
  table (`all_hits_page`), and by the path the words' list lengths choose (`bm25_page`: every
  hit when the query can have at most `ALL_HITS_MAX` hits, else the top-k in the server).
  Also (session 11, later): the top-k keeping its scores and checks across rounds (`keep`),
  and a path that, where the list lengths allow more hits but the planner estimates few,
  counts them (`estimated_hits`, `hit_count` capped at `ALL_HITS_MAX`).
- Session 12, the hybrid path (`--path hybrid`, `takes_product_path`): the product's own
  `search_trials`, unchanged, for a page whose GIN yield (its words and statuses) is at most
  `PRODUCT_YIELD_MAX` rows, by the list-length bound or else by a fixed 1-in-`SAMPLE_SHARE`
  sample of trials under a partial index (`--setup-sample`, `sampled_yield`); else the kept
  top-k. The two paths rank by different functions (`ts_rank`, BM25): `--ranking-routing`
  gives #8's NDCG of that mix, each search routed as at the scale of a given database.
- Write cost: `--write-rows` new trials' impact rows and document-frequency updates
  (documents copied under fresh ids) in a transaction that is rolled back, `--write-rounds`
  rounds, in each impact table present; CPU ms of this process and the server backend.
- Pages: each query of `search_bench.query_mix()` of the kinds asked (default "free text"), as
  `search_studies` asks it (`page_size + 1` rows, offset 0), with the product's SQL and each
  BM25 variant present (`VARIANTS`), one right after the other (order rotating), `--repeat`
  shuffled rounds after one warm-up. CPU ms (this process + server backend) and wall ms,
  p50/p95, each query's median, the server top-k's rounds, rows read, trials scored and
  checked, the path chosen, and the top-10 overlap with the product's page. Each BM25 page is
  checked against the exact BM25 page (every hit scored) in the warm-up.
- `--through-store ARGS`: `backends_bench.py ARGS` with the store's pages that
  `answers_by_top_k` takes answered by `bm25_page` (`--path`: which of its paths;
  `--client-top-k`: session 10's `top_k_of`) (`through_store`): against SQLite, end to end.
- `--ranking`: NDCG@10 on the judged TREC 2021 topics (`ranking_bench`: its store, queries and
  measures), the product's `ts_rank` order against the BM25 order of the same hits (scored for
  every hit: the top-k returns the same order), with the paired change per topic and
  `ranking_tuning.adoption_verdict` (the rule tantivy and RUM were held to), and the top 10
  shared with `ts_rank`'s.

The top-k (`top_k_of`): each positive lexeme's impact rows in the statuses asked are read best
first, a round at a time (one statement); the trials that could still reach the page are
scored exactly and tested against the whole query by the product's SQL restricted to their ids
(so the hits, filters, phrases, OR and `-` are the product's); the page is final when its last
hit scores above the sum over words of idf × the last impact read (no unseen trial can score
more). Prefix words (`:*`) and labelled columns are not handled (`answers_by_top_k`).

    python bench/pg_impact_bench.py --postgres URL --database h1_100k --setup-compact --repeat 3
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends_bench import cpu_ms, server_pids, with_database  # noqa: E402
from backends_bench import main as backends_main  # noqa: E402
from pg_rum_bench import (  # noqa: E402
    _TS_RANK,
    PAGE_SIZES,
    copy_new_documents,
    page_sql,
    page_summary,
    plan_like_store,
    relation_mb,
    timed_statement,
)
from ranking_bench import (  # noqa: E402
    FORMS,
    HITS,
    REPORT_HEADER,
    judged_records,
    judged_topics,
    point_scores,
    postgres_store,
    read_judgements,
    report,
)
from ranking_tuning import adoption_verdict, topic_score  # noqa: E402
from search_bench import machine_line, query_mix  # noqa: E402
from trialfinder.search import SearchQuery, query_from_params  # noqa: E402
from trialfinder.store import postgres_search  # noqa: E402
from trialfinder.store.base import StudyFilter, StudyHit, StudySort, TextSearch  # noqa: E402
from trialfinder.store.postgres_bm25 import (  # noqa: E402
    CURRENT_STATISTICS,
    FIRST_DEPTH,
    SAMPLE_INDEX,
    SCHEMA_0016,
    SCHEMA_0017,
    SCORE_BATCH,
    SCORES,
    STATS,
    STATUSES,
    TRIAL_KEY,
    TRIALS,
    WORDS,
    QueryWords,
    TopK,
    among,
    answers_by_top_k,
    compact_insert,
    doc_length,
    exact_trial_score,
    frequencies_select,
    lengths_insert,
    query_words,
    sampled_yield,
    takes_product_path,
    top_k_in_server,
    unranked_sql,
    word_impact,
)
from trialfinder.store.postgres_plan import plan_settings, time_limit  # noqa: E402
from trialfinder.store.postgres_search import (  # noqa: E402
    TEXT_CONFIG,
    _labels,
    _term,
    study_search_sql,
)

Connection = psycopg.Connection[Any]

IMPACTS = "trial_word_impacts"
FREQUENCIES = "word_trials"


def bm25_score(document: str, labels: str) -> str:
    """SQL of a trial's BM25 score of the query's words (`%(bm25_words)s`, `%(bm25_idfs)s`),
    counting positions in `labels` only ('' = all)."""
    impact = word_impact("lexeme.weights", "length.doc", "%(avg_length)s", labels)
    return f"""(
        select coalesce(sum(word.idf * {impact}), 0)::real
        from {doc_length(document)}
        cross join unnest({document}) as lexeme
        join unnest(%(bm25_words)s::text[], %(bm25_idfs)s::real[]) as word (lexeme, idf)
            on word.lexeme = lexeme.lexeme
    )"""


def bm25_sql(sql: str, labels: str) -> str:
    """The product's relevance page SQL scored by `bm25_score` in place of `ts_rank`."""
    match = _TS_RANK.search(sql)
    if match is None:
        raise SystemExit(f"the product's SQL has no ts_rank score:\n{sql}")
    return sql.replace(match[0], bm25_score(match["document"], labels).strip())


# -- the query's words and their idf -------------------------------------------------------------


def positive_words(conn: Connection, searches: tuple[TextSearch, ...]) -> tuple[list[str], str]:
    """(the distinct lexemes of the searches' positive terms, the labels searched ('' = all)),
    normalised by the text search configuration as `to_tsquery` does."""
    labels = {_labels(s.columns) for s in searches}
    if len(labels) != 1:
        raise SystemExit(f"searches of different labels: {labels}")
    terms = [_term(t, "") for s in searches for t in s.terms if not t.is_negated]
    if any(":*" in term for term in terms):
        raise SystemExit("prefix words are not handled by the prototype")
    row = conn.execute(
        f"select to_tsquery('{TEXT_CONFIG}', %s)::text", (" & ".join(terms),)
    ).fetchone()
    assert row is not None
    words = sorted({w.replace("''", "'") for w in re.findall(r"'((?:[^']|'')*)'", row[0])})
    return words, labels.pop()


def idfs(conn: Connection, words: list[str], table: str = FREQUENCIES) -> list[float]:
    """BM25's idf of each word: ln(1 + (N - df + 0.5) / (df + 0.5)), from `table`."""
    trials = {
        word: count
        for word, count in conn.execute(
            f"select word, trials from {table} where word = any(%s::text[])", (["", *words],)
        )
    }
    total = trials.get("", 0)
    return [
        math.log(1 + (total - trials.get(w, 0) + 0.5) / (trials.get(w, 0) + 0.5)) for w in words
    ]


# -- setup -------------------------------------------------------------------------------------


def average_length(conn: Connection, column: str, table: str) -> float:
    """The mean BM25 length (positions) of `table.column`."""
    row = conn.execute(f"select avg(length.doc) from {table}, {doc_length(column)}").fetchone()
    assert row is not None
    return float(row[0])


def frequencies_sql(table: str, column: str, target: str) -> str:
    """SQL making `target` (word, trials) of `frequencies_select`."""
    return f"create table {target} as {frequencies_select(table, column)}"


def setup(conn: Connection) -> float:
    """Make the impact table, its index and the frequencies; print seconds and sizes; return
    the mean document length the impacts were made with."""
    avg_length = average_length(conn, "document", "trial_documents")
    conn.execute(f"drop table if exists {IMPACTS}, {FREQUENCIES}")
    conn.execute(
        f"""
        create table {IMPACTS} (
            word text not null,
            impact real not null,
            nct_id text not null,
            overall_status text not null
        )
        """
    )
    seconds = timed_statement(conn, impacts_insert("trial_documents", avg_length))
    print(f"avg length {avg_length:.1f}; impact rows in {seconds:.1f} s")
    seconds = timed_statement(
        conn,
        f"create index {IMPACTS}_order on {IMPACTS} (word, impact desc, nct_id) "
        "include (overall_status)",
    )
    print(f"word order index in {seconds:.1f} s")
    seconds = timed_statement(
        conn, f"create index {IMPACTS}_trial on {IMPACTS} (nct_id, word) include (impact)"
    )
    print(f"trial index in {seconds:.1f} s")
    seconds = timed_statement(conn, frequencies_sql("trial_documents", "document", FREQUENCIES))
    conn.execute(f"alter table {FREQUENCIES} add primary key (word)")
    print(f"frequencies in {seconds:.1f} s")
    seconds = timed_statement(conn, f"vacuum analyze {IMPACTS}")
    conn.execute(f"vacuum analyze {FREQUENCIES}")
    print(f"vacuum analyze in {seconds:.1f} s")
    for relation in (IMPACTS, f"{IMPACTS}_order", f"{IMPACTS}_trial", FREQUENCIES):
        print(f"{relation}: {relation_mb(conn, relation):,.0f} MB")
    conn.execute(f"comment on table {IMPACTS} is '{avg_length!r}'")
    return avg_length


def impacts_insert(source: str, avg_length: float) -> str:
    """SQL inserting the impact rows of every trial of `source` (a table like
    `trial_documents`)."""
    return f"""
        insert into {IMPACTS} (word, impact, nct_id, overall_status)
        select lexeme.lexeme, {word_impact("lexeme.weights", "length.doc", repr(avg_length))},
            documents.nct_id, documents.overall_status
        from {source} as documents
        cross join {doc_length("documents.document")}
        cross join lateral unnest(documents.document) as lexeme
        """


def stored_avg_length(conn: Connection, table: str = IMPACTS) -> float:
    """The mean length the impact rows of `table` were made with (kept as its comment; the
    compact table's in the store's stats row)."""
    if table == SCORES:
        row = conn.execute(f"select avg_length from {STATS}").fetchone()
        assert row is not None and row[0]
        return float(row[0])
    row = conn.execute(f"select obj_description('{table}'::regclass)").fetchone()
    assert row is not None and row[0]
    return float(row[0])


# -- write cost --------------------------------------------------------------------------------


def write_statements(compact: bool, avg_length: float) -> list[str]:
    """The statements writing the impact rows and document frequencies of `new_documents`:
    session 10's wide table, or the compact one with the trials' lengths (new words get ids
    above the largest; the copies' ids renumbered NCT99xxxxxx, since the compact key is the
    id's 8 digits)."""
    if not compact:
        return [
            impacts_insert("new_documents", avg_length),
            f"""
            insert into {FREQUENCIES} (word, trials)
            {frequencies_select("new_documents", "document")}
            on conflict (word) do update set trials = {FREQUENCIES}.trials + excluded.trials
            """,
        ]
    renumbered = """(
        select 'NCT' || (99000000 + row_number() over (order by nct_id))::text as nct_id,
            overall_status, document
        from new_documents
    )"""
    return [
        f"""
        insert into {WORDS} (word_id, word, trials)
        select (select max(word_id) from {WORDS}) + row_number() over (order by word),
            word, trials
        from ({frequencies_select("new_documents", "document")}) as frequencies
        on conflict (word) do update set trials = {WORDS}.trials + excluded.trials
        """,
        compact_insert(renumbered, repr(avg_length)),
        lengths_insert(renumbered),
    ]


def write_cost(conn: Connection, url: str, rows: int, rounds: int) -> None:
    """Print the CPU and wall ms of writing `rows` new trials' impact rows and document
    frequencies (documents copied under fresh ids), rolled back, `rounds` rounds, in each
    table present (wide, compact; order alternating)."""
    pids = server_pids(url)
    tables = {
        name: is_compact
        for name, is_compact, table in (("wide", False, IMPACTS), ("compact", True, SCORES))
        if (row := conn.execute("select to_regclass(%s) is not null", (table,)).fetchone())
        and row[0]
    }
    cpu: dict[str, list[float]] = {name: [] for name in tables}
    wall: dict[str, list[float]] = {name: [] for name in tables}
    for round_ in range(rounds):
        for name in list(tables)[:: 1 if round_ % 2 == 0 else -1]:
            table = SCORES if tables[name] else IMPACTS
            avg_length = stored_avg_length(conn, table)
            with conn.transaction(force_rollback=True):
                copy_new_documents(conn, rows)
                cpu_before, begun = cpu_ms(pids), time.perf_counter()
                for statement in write_statements(tables[name], avg_length):
                    conn.execute(statement)
                wall[name].append((time.perf_counter() - begun) * 1000)
                cpu[name].append(cpu_ms(pids) - cpu_before)
    for name in tables:
        mid = statistics.median(cpu[name])
        print(
            f"\nWrite cost ({name} table): impact rows + frequencies of {rows} new trials, "
            f"{rounds} rounds (median): CPU {mid:,.0f} ms ({mid / rows:.2f} ms a trial), "
            f"wall {statistics.median(wall[name]):,.0f} ms"
        )


# -- top-k -------------------------------------------------------------------------------------


LIST_READ = f"""
    select words.word, found.nct_id, found.impact
    from unnest(%(words)s::text[]) as words (word)
    cross join lateral (
        select impacts.nct_id, impacts.impact
        from {IMPACTS} as impacts
        where impacts.word = words.word
            {{status_test}}
        order by impacts.impact desc, impacts.nct_id
        offset %(start)s
        limit %(rows)s
    ) as found
    """
"""The next `rows` impact rows of each word, best first (from `start`), in the statuses."""

SCORE_READ = f"""
    select candidates.nct_id, scored.score
    from unnest(%(candidates)s::text[]) as candidates (nct_id)
    cross join lateral (
        select sum(words.idf * impacts.impact) as score
        from {IMPACTS} as impacts
        join unnest(%(words)s::text[], %(idfs)s::float8[]) as words (word, idf)
            on words.word = impacts.word
        where impacts.nct_id = candidates.nct_id
            and impacts.word = any(%(words)s::text[])
    ) as scored
    """
"""Each candidate's BM25 score: its impact rows of the query's words (by the trial index)."""


CHECK_BATCH = 128
"""Scored candidates checked against the product's conditions per statement, best first."""


def top_k(conn: Connection, query: SearchQuery, limit: int, avg_length: float) -> TopK:
    """`top_k_of` the query's filter, first page."""
    return top_k_of(conn, query.study_filter(), query.study_sort(), limit, avg_length)


def top_k_of(
    conn: Connection, where: StudyFilter, sort: StudySort, limit: int, avg_length: float
) -> TopK:
    """The first `limit` hits of `query` by BM25 (ties by nct_id), read from the impact table
    with a threshold-algorithm stop (see the module's docstring).

    Each round reads the next rows of every word's list (twice as many as the round before).
    A trial seen has a partial score (its impacts read) and an upper bound (plus idf × the
    last impact read of each open list it was not seen in; 0 for a list read to its end).
    A trial seen in every open list has its exact score. The trials whose upper bound is above
    the floor (the bound of unseen trials, or the `limit`-th hit's score if higher) are scored
    exactly from their impact rows (`SCORE_READ`, highest upper bound first; while no page
    above the bound is known, at most `SCORE_BATCH` a round: reading deeper is cheaper), and
    those scoring above the floor checked against the product's conditions (`among` the ids),
    best first. The page is final when it has `limit` hits above the bound and no trial seen
    can still pass its last, or when every list is read to its end.
    """
    sql, params = study_search_sql(where, sort)
    params.update(limit=limit, offset=0)
    words, _ = positive_words(conn, where.text)
    word_idfs = dict(zip(words, idfs(conn, words), strict=True))
    statuses = params.get("statuses")
    status_test = "and impacts.overall_status = any(%(statuses)s::text[])" if statuses else ""
    list_read = LIST_READ.format(status_test=status_test)
    check_sql = among(sql)
    partial: dict[str, dict[str, float]] = {}
    scores: dict[str, float] = {}
    is_hit: dict[str, bool] = {}
    last = dict.fromkeys(words, 0.0)
    open_lists = set(words)
    start, depth, rounds, read = 0, FIRST_DEPTH, 0, 0
    while True:
        rounds += 1
        batch = depth - start
        got: dict[str, int] = {}
        for word, nct_id, impact in conn.execute(
            list_read,
            {"words": sorted(open_lists), "start": start, "rows": batch, "statuses": statuses},
        ):
            read += 1
            got[word] = got.get(word, 0) + 1
            last[word] = impact
            if nct_id not in scores:
                partial.setdefault(nct_id, {})[word] = word_idfs[word] * impact
        for word in list(open_lists):
            if got.get(word, 0) < batch:
                open_lists.discard(word)
                last[word] = 0.0
        bound = sum(word_idfs[w] * last[w] for w in words)
        for nct_id in [n for n, seen in partial.items() if open_lists <= seen.keys()]:
            # Read in every list still open (and absent from those read to the end): exact.
            scores[nct_id] = sum(partial.pop(nct_id).values())
        hits: list[str] = []
        scored_now = 0
        while True:
            hits = sorted((n for n, hit in is_hit.items() if hit), key=lambda n: (-scores[n], n))
            floor = max(bound, scores[hits[limit - 1]] if len(hits) >= limit else bound)
            ranked = sorted(
                (n for n in scores if n not in is_hit and scores[n] > floor * (1 - 1e-6)),
                key=lambda n: (-scores[n], n),
            )
            if ranked:
                ask = ranked[:CHECK_BATCH]
                found = {
                    row[0]
                    for row in conn.execute(
                        check_sql, {**params, "candidates": ask, "limit": len(ask)}
                    )
                }
                is_hit.update((n, n in found) for n in ask)
                continue
            upper = {
                n: sum(seen.values())
                + sum(word_idfs[w] * last[w] for w in open_lists if w not in seen)
                for n, seen in partial.items()
            }
            pending = sorted(
                (n for n in upper if upper[n] >= floor * (1 - 1e-6)), key=lambda n: upper[n]
            )
            if not pending or (floor == bound and scored_now >= SCORE_BATCH):
                # Nothing left above the floor, or no page possible above the bound yet: read
                # deeper rather than score every trial seen.
                break
            scored_now += len(pending[-SCORE_BATCH:])
            for nct_id, score in conn.execute(
                SCORE_READ,
                {
                    "words": words,
                    "idfs": [word_idfs[w] for w in words],
                    "candidates": pending[-SCORE_BATCH:],
                },
            ):
                scores[nct_id] = score
                del partial[nct_id]
        above = [n for n in hits if scores[n] > bound * (1 + 1e-6) or not open_lists]
        if len(above) >= limit or not open_lists:
            rows = [(n, scores[n], None, None) for n in hits[:limit]]
            return TopK(rows, rounds, read, len(scores), len(is_hit))
        start, depth = depth, depth * 2


# -- compact table, the top-k in the server, the path by list lengths (session 11) --------------


def setup_compact(conn: Connection) -> float:
    """(Re)make migrations 0016-0017's compact impact table (`SCORES`), its indexes, the words
    dictionary, the status codes, the trials' lengths, the stats row and the `bm25_top_k`
    function by the store's own statements (`SCHEMA_0016`, `SCHEMA_0017`); print seconds and
    sizes; return the mean document length the impacts were made with."""
    conn.execute(f"drop table if exists {SCORES}, {WORDS}, {STATUSES}, {STATS}, {TRIALS}")
    for statement in (*SCHEMA_0016, *SCHEMA_0017):
        seconds = timed_statement(conn, statement)
        print(f"{' '.join(statement.split())[:60]}: {seconds:.1f} s")
    seconds = timed_statement(conn, f"vacuum analyze {SCORES}")
    conn.execute(f"vacuum analyze {WORDS}")
    print(f"vacuum analyze in {seconds:.1f} s")
    for relation in (
        SCORES,
        f"{SCORES}_order",
        f"{SCORES}_trial",
        f"{SCORES}_sample",
        WORDS,
        f"{WORDS}_pkey",
    ):
        print(f"{relation}: {relation_mb(conn, relation):,.0f} MB")
    return stored_avg_length(conn, SCORES)


def setup_sample(conn: Connection) -> None:
    """(Re)make the yield sample's partial index on the compact table (the store's
    `SAMPLE_INDEX`); print seconds and size."""
    conn.execute(f"drop index if exists {SCORES}_sample")
    seconds = timed_statement(conn, SAMPLE_INDEX)
    print(f"sample index in {seconds:.1f} s: {relation_mb(conn, f'{SCORES}_sample'):,.1f} MB")


ALL_HITS_MAX = 2048
"""The path by list lengths: a page whose hits are at most this many by the words' trial
counts (`QueryWords.hit_bound`) is scored hit by hit, else read top-k. Fixed before measuring:
about what the top-k's first two rounds read for three words ((64 + 128) x 3 list rows)."""


def compact_score(document: str) -> str:
    """`exact_trial_score` of the query's words (`%(bm25_word_ids)s`, `%(bm25_idfs)s`) at the
    current mean length for the trial whose document is `document` (`trials.document`: its id
    is `trials.nct_id`)."""
    alias = document.rsplit(".", 1)[0]
    key = TRIAL_KEY.format(nct_id=f"{alias}.nct_id")
    mean = f"(select mean_length from ({CURRENT_STATISTICS}) as current_stats)"
    score = exact_trial_score(key, "%(bm25_word_ids)s::integer[]", "%(bm25_idfs)s::float8[]", mean)
    return f"({score})"


def all_hits_sql(sql: str) -> str:
    """The product's relevance page SQL with every hit scored by `compact_score` in place of
    `ts_rank`: the path for queries of few hits, the same score as the top-k's."""
    match = _TS_RANK.search(sql)
    if match is None:
        raise SystemExit(f"the product's SQL has no ts_rank score:\n{sql}")
    return sql.replace(match[0], compact_score(match["document"]).strip())


def hits_sql(where: StudyFilter, sort: StudySort) -> tuple[str, dict[str, Any]]:
    """The product's hits of the page, unranked and unordered, at most `%(limit)s`."""
    sql, params = study_search_sql(where, sort)
    unordered = re.sub(r"\norder by [^\n]*\n", "\n", unranked_sql(sql), count=1)
    return unordered, {**params, "offset": 0}


def hit_count(conn: Connection, where: StudyFilter, sort: StudySort, cap: int | None) -> int:
    """The page's hits by the product's conditions, counted up to `cap` + 1 (None: all): with a
    cap, PostgreSQL stops at the cap's hit (no order), though the GIN bitmap is built whole
    and phrases are rechecked on the documents."""
    sql, params = hits_sql(where, sort)
    limit = None if cap is None else cap + 1
    row = conn.execute(f"select count(*) from ({sql}) as hits", {**params, "limit": limit})
    found = row.fetchone()
    return int(found[0]) if found else 0


def estimated_hits(conn: Connection, where: StudyFilter, sort: StudySort) -> float:
    """The planner's row estimate of the page's hits (planning only, no read): words taken as
    independent, so an AND of related words is underestimated."""
    sql, params = hits_sql(where, sort)
    row = conn.execute(f"explain (format json) {sql}", {**params, "limit": None}).fetchone()
    return float(row[0][0]["Plan"]["Plan Rows"]) if row else 0.0


def all_hits_page(
    conn: Connection, where: StudyFilter, sort: StudySort, limit: int, words: QueryWords
) -> TopK:
    """The first `limit` hits by BM25, every hit scored (`all_hits_sql`)."""
    sql, params = study_search_sql(where, sort)
    params.update(limit=limit, offset=0, bm25_word_ids=words.ids, bm25_idfs=words.idfs)
    rows = conn.execute(all_hits_sql(sql), params).fetchall()
    return TopK([tuple(r) for r in rows], 0, 0, 0, 0)


def bm25_page(
    conn: Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    by_count: bool = True,
    keep: bool = True,
) -> TopK:
    """The first `limit` hits by BM25: every hit scored when the query has at most
    `ALL_HITS_MAX` hits, else the top-k in the server; both the same score, so the same page.
    The hits are bounded by the words' list lengths (`QueryWords.hit_bound`); with `by_count`,
    when that bound is above the limit but the planner estimates at most the limit
    (`estimated_hits`), they are counted (`hit_count`, capped: an underestimate costs a count,
    not an every-hit page); with `keep` the top-k keeps its scores and checks across rounds.
    Neither: session 11's first path (the bound alone, nothing kept)."""
    words = query_words(conn, where)
    if words.hit_bound <= ALL_HITS_MAX or (
        by_count
        and estimated_hits(conn, where, sort) <= ALL_HITS_MAX
        and hit_count(conn, where, sort, ALL_HITS_MAX) <= ALL_HITS_MAX
    ):
        return all_hits_page(conn, where, sort, limit, words)
    return top_k_in_server(conn, where, sort, limit, words, keep)


# -- pages -------------------------------------------------------------------------------------

PRODUCT = "ts_rank (product)"
CLIENT = "BM25 top-k (client)"
SERVER = "BM25 top-k (server)"
SERVER_KEPT = "BM25 top-k (server, kept)"
EVERY_HIT = "BM25 every hit"
BY_LENGTHS = "BM25 by list lengths"
BY_COUNT = "BM25 by hit count"
HYBRID = "hybrid (product or kept top-k)"
VARIANTS = (PRODUCT, CLIENT, SERVER, SERVER_KEPT, EVERY_HIT, BY_LENGTHS, BY_COUNT, HYBRID)
"""The product's page; session 10's top-k (`top_k`, the wide table, the loop in Python); the
top-k in the server over the compact table (`top_k_in_server`); every hit scored from the
compact table (`all_hits_page`); the path by list lengths between the two (`bm25_page`
without `by_count`); the top-k keeping its scores and checks across rounds; the path by list
lengths and a capped hit count, to the kept top-k (`bm25_page`); the product's page or the
kept top-k by the page's GIN yield (`takes_product_path`)."""
PATHS = {"lengths": (False, False), "kept": (False, True), "counted": (True, True)}
"""`bm25_page`'s `by_count` and `keep` by the name `--path` gives them."""
HYBRID_PATH = "hybrid"
"""`--path`'s name of the hybrid path (`takes_product_path`)."""
Samples = dict[tuple[str, str, int], list[float]]


def variant_page(conn: Connection, variant: str, search: SearchQuery, size: int) -> TopK:
    """The first page of `search` (`size + 1` rows, as `search_studies` asks) by `variant`."""
    where, sort = search.study_filter(), search.study_sort()
    if variant == HYBRID:
        words = query_words(conn, where, sample=True)
        if not takes_product_path(words):
            return top_k_in_server(conn, where, sort, size + 1, words, keep=True)
    if variant in (PRODUCT, HYBRID):
        sql, params = page_sql(search, size)
        return TopK([tuple(row) for row in conn.execute(sql, params)], 0, 0, 0, 0)
    if variant == CLIENT:
        return top_k(conn, search, size + 1, stored_avg_length(conn))
    if variant in (SERVER, SERVER_KEPT):
        words = query_words(conn, where)
        return top_k_in_server(conn, where, sort, size + 1, words, keep=variant == SERVER_KEPT)
    if variant == EVERY_HIT:
        return all_hits_page(conn, where, sort, size + 1, query_words(conn, where))
    return bm25_page(
        conn, where, sort, size + 1, *PATHS["counted" if variant == BY_COUNT else "lengths"]
    )


def present_variants(conn: Connection) -> tuple[str, ...]:
    """The variants whose tables this database has (session 10's wide table is optional)."""
    row = conn.execute(f"select to_regclass('{IMPACTS}') is not null").fetchone()
    return tuple(v for v in VARIANTS if v != CLIENT or (row and row[0]))


def measure_pages(
    conn: Connection, url: str, labels: list[str], repeat: int, seed: int
) -> tuple[Samples, Samples, dict[str, str], tuple[str, ...]]:
    """Run every page of the queries with every variant in turn (order rotating), `repeat`
    shuffled rounds after a warm-up (which also checks each BM25 page against the page of
    scoring every hit). Returns CPU and wall samples, per query a note (hits, the server's
    rounds, rows read, trials scored and checked, the path chosen, top-10 overlap) and the
    variants run."""
    variants = present_variants(conn)
    pids = server_pids(url)
    mix = {q.label: query_from_params(q.params) for q in query_mix() if q.label in labels}
    jobs = [(label, size) for label in labels for size in PAGE_SIZES]
    cpu: Samples = {}
    wall: Samples = {}
    notes: dict[str, str] = {}
    rng = random.Random(seed)
    turn = 0
    for round_ in range(repeat + 1):
        order = list(jobs)
        rng.shuffle(order)
        started = time.perf_counter()
        for label, size in order:
            turn += 1
            search = mix[label]
            plan_like_store(conn, search)
            pages: dict[str, TopK] = {}
            shift = turn % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                cpu_before, begun = cpu_ms(pids), time.perf_counter()
                pages[variant] = variant_page(conn, variant, search, size)
                elapsed = (time.perf_counter() - begun) * 1000
                if round_:
                    wall.setdefault((variant, label, size), []).append(elapsed)
                    cpu.setdefault((variant, label, size), []).append(cpu_ms(pids) - cpu_before)
            if round_ == 0 and size == 10:
                notes[label] = check(conn, search, pages)
        print(
            f"  round {round_}/{repeat}: {time.perf_counter() - started:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return cpu, wall, notes, variants


def same_page(exact: list[tuple[Any, ...]], found: list[tuple[Any, ...]]) -> bool:
    """Whether two BM25 pages agree: the same ids in order, or (runs of equal scores, whose
    order may differ by rounding) the same scores."""
    return [r[0] for r in exact] == [r[0] for r in found] or (
        len(exact) == len(found)
        and all(math.isclose(e[1], t[1], rel_tol=1e-5) for e, t in zip(exact, found, strict=True))
    )


def check(conn: Connection, search: SearchQuery, pages: dict[str, TopK]) -> str:
    """Fail unless every BM25 page is the page of scoring every hit (session 10's against its
    own table, `bm25_sql`; the compact ones against `all_hits_page`); return a note: hits, the
    server top-k's rounds, rows read, trials scored and checked, the path by list lengths, and
    the top-10 overlap with the product's page."""
    where, sort = search.study_filter(), search.study_sort()
    sql, params = page_sql(search, 10)
    if CLIENT in pages:
        words, labels = positive_words(conn, where.text)
        exact = conn.execute(
            bm25_sql(sql, labels),
            {
                **params,
                "bm25_words": words,
                "bm25_idfs": idfs(conn, words),
                "avg_length": stored_avg_length(conn),
            },
        ).fetchall()
        if not same_page(exact, pages[CLIENT].rows):
            raise SystemExit(f"client top-k differs from BM25:\n{exact}\n{pages[CLIENT].rows}")
    words_found = query_words(conn, where)
    compact = all_hits_page(conn, where, sort, 11, words_found).rows
    for variant in (SERVER, SERVER_KEPT, EVERY_HIT, BY_LENGTHS, BY_COUNT):
        if not same_page(compact, pages[variant].rows):
            raise SystemExit(f"{variant} differs from BM25:\n{compact}\n{pages[variant].rows}")
    hits = hit_count(conn, where, sort, None)
    server, kept = pages[SERVER], pages[SERVER_KEPT]
    path = "every hit" if words_found.hit_bound <= ALL_HITS_MAX else "top-k"
    estimate = estimated_hits(conn, where, sort)
    counted = "every hit" if min(hits, words_found.hit_bound) <= ALL_HITS_MAX else "top-k"
    if estimate > ALL_HITS_MAX and words_found.hit_bound > ALL_HITS_MAX:
        counted = "top-k"
    sampled = query_words(conn, where, sample=True)
    by_product = takes_product_path(sampled)
    if not same_page(pages[PRODUCT].rows if by_product else compact, pages[HYBRID].rows):
        raise SystemExit(f"{HYBRID} differs from its path's page:\n{pages[HYBRID].rows}")
    hybrid = f"{sampled_yield(sampled):,} {'product' if by_product else 'top-k'}"
    shared = len({r[0] for r in pages[PRODUCT].rows[:10]} & {r[0] for r in compact[:10]})
    return (
        f"{hits:,} | {words_found.hit_bound:,} {path}; estimate {estimate:,.0f}, by count "
        f"{counted}; sampled {hybrid} | {server.rounds} "
        f"| {server.read:,} | {server.scored:,} / {kept.scored:,} "
        f"| {server.checked:,} / {kept.checked:,} | {shared} of 10"
    )


def query_rows(
    cpu: Samples, labels: list[str], notes: dict[str, str], variants: tuple[str, ...]
) -> list[str]:
    """Markdown rows: each query's median CPU ms per variant (top 10) and its note."""
    lines = [
        "| query | "
        + " | ".join(f"{v} CPU ms" for v in variants)
        + " | hits | hit bound, path; sampled yield, hybrid path | server rounds "
        "| list rows read | scored from the trial "
        "index (kept) | checked (kept) | top 10 shared |",
        "|---|" + "---:|" * (len(variants) + 7),
    ]
    for label in labels:
        medians = " | ".join(f"{statistics.median(cpu[v, label, 10]):,.1f}" for v in variants)
        lines.append(f"| {label} | {medians} | {notes[label]} |")
    return lines


def summaries(samples: Samples, labels: list[str], what: str, variants: tuple[str, ...]) -> str:
    """`page_summary` of each BM25 variant against the product."""
    return "\n\n".join(
        "\n".join(page_summary(samples, labels, what, (PRODUCT, v), f"{v} / product"))
        for v in variants[1:]
    )


# -- ranking quality ---------------------------------------------------------------------------


def ranking(server: str, data: Path, routing: str | None = None) -> None:
    """Print NDCG@10 (ranking_bench's table) of the product's PostgreSQL order and the BM25
    order on the judged TREC 2021 topics, in a fresh database on `server`; with `routing` (a
    database on `server` holding the compact table and its sample, e.g. 100k studies), also
    the hybrid path's mix: each search in the BM25 order where the hybrid would take the
    top-k at that database's scale (`hybrid_routes`), else in the product's."""
    database = "trialfinder_impact_ranking_bench"
    topics, all_grades = read_judgements(data / "trec2021")
    wanted = {n for grades in all_grades.values() for n in grades}
    records = list(judged_records(data, wanted))
    store = postgres_store(server, records, database=database)
    store.close()
    with psycopg.connect(with_database(server, database), autocommit=True) as conn:
        lengths = {
            "trials.core_document": average_length(conn, "core_document", "trials"),
            "trials.document": average_length(conn, "document", "trial_documents"),
        }
        conn.execute(frequencies_sql("trials", "core_document", "core_words"))
        conn.execute(frequencies_sql("trial_documents", "document", "document_words"))
        present = {row[0] for row in conn.execute("select nct_id from trials")}
        judged, scored, queries = judged_topics(topics, all_grades, present)
        print(f"\n{len(present)} judged trials, {len(scored)} topics; lengths {lengths}\n")
        print(REPORT_HEADER)
        scores = []
        orders: list[dict[str, dict[str, list[str]]]] = []
        for label, is_bm25 in (
            ("PostgreSQL | ts_rank (product)", False),
            ("PostgreSQL | BM25", True),
        ):
            rankings = {
                form: {t: ranked(conn, q[form], is_bm25, lengths) for t, q in queries.items()}
                for form in FORMS
            }
            report(label, rankings, judged)
            scores.append(point_scores(rankings, judged))
            orders.append(rankings)
        product, bm25 = scores
        changes = [topic_score(bm25, t) - topic_score(product, t) for t in scored]
        if routing is not None:
            routes = hybrid_routes(with_database(server, routing), queries)
            mixed = {
                form: {t: orders[1 if routes[form][t] else 0][form][t] for t in queries}
                for form in FORMS
            }
            report("PostgreSQL | hybrid", mixed, judged)
            hybrid = point_scores(mixed, judged)
            by_top_k = {form: sum(routes[form].values()) for form in FORMS}
            mixed_changes = [topic_score(hybrid, t) - topic_score(product, t) for t in scored]
            print(
                f"\nhybrid at the scale of {routing}: searches by the top-k (BM25) {by_top_k} "
                f"of {len(queries)} topics; against ts_rank, all topics (mean of both forms): "
                f"{adoption_verdict(mixed_changes)}"
            )
        for form in FORMS:
            shared = [
                len(set(orders[0][form][t][:10]) & set(orders[1][form][t][:10]))
                for t in scored
                if orders[0][form][t]
            ]
            print(
                f"{form}: top 10 shared with ts_rank's, mean over {len(shared)} topics "
                f"{statistics.mean(shared):.1f} of 10"
            )
        print(
            f"\nBM25 against ts_rank, all topics (mean of both forms): {adoption_verdict(changes)}"
        )
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{database}" with (force)')


def hybrid_routes(
    url: str, queries: dict[str, dict[str, SearchQuery]]
) -> dict[str, dict[str, bool]]:
    """Per form, per topic: whether the hybrid path answers the search by the top-k (BM25) in
    the database at `url` (the product's page otherwise, or when the top-k does not answer it:
    `answers_by_top_k`)."""
    routes: dict[str, dict[str, bool]] = {form: {} for form in FORMS}
    with psycopg.connect(url, autocommit=True) as conn:
        for topic, searches in queries.items():
            for form in FORMS:
                where, sort = searches[form].study_filter(), searches[form].study_sort()
                routes[form][topic] = answers_by_top_k(where, sort) and not takes_product_path(
                    query_words(conn, where, sample=True)
                )
    return routes


def ranked(
    conn: Connection, query: SearchQuery, is_bm25: bool, lengths: dict[str, float]
) -> list[str]:
    """The NCT ids of `query`'s first `HITS` hits, best first, by ts_rank or BM25."""
    if not (query.cond or query.term):
        return []
    sql, params = page_sql(query, HITS - 1)
    plan_like_store(conn, query)
    if is_bm25:
        match = _TS_RANK.search(sql)
        assert match is not None
        document = match["document"]
        words, labels = positive_words(conn, query.study_filter().text)
        table = "core_words" if document == "trials.core_document" else "document_words"
        params.update(
            bm25_words=words,
            bm25_idfs=idfs(conn, words, table),
            avg_length=lengths[document],
        )
        sql = bm25_sql(sql, labels)
    return [row[0] for row in conn.execute(sql, params)]


def through_store(argv: list[str], client: bool = False, path: str = "counted") -> None:
    """Run `backends_bench.main(argv)` with the PostgreSQL store's pages that
    `answers_by_top_k` takes answered by `bm25_page` (the compact table, by `PATHS[path]`;
    `client`: session 10's `top_k_of`; `HYBRID_PATH`: by the product's own `search_trials` when
    `takes_product_path`, else the kept top-k), under the same time limit and planner
    settings, the others by the product: the prototype end to end against SQLite, by the same
    harness."""
    product = postgres_search.search_trials
    lengths: dict[int, float] = {}

    def search_trials(
        conn: Connection,
        where: StudyFilter,
        sort: StudySort,
        limit: int,
        offset: int,
        time_limit_s: float,
        top_k: object = None,
    ) -> list[StudyHit]:
        # (`top_k`, the store's own hybrid path, is not taken: the paths are this bench's, and
        # `product` is the product's SQL page alone)
        if not answers_by_top_k(where, sort):
            return product(conn, where, sort, limit, offset, time_limit_s)
        if path == HYBRID_PATH:
            words = query_words(conn, where, sample=True)
            if takes_product_path(words):
                return product(conn, where, sort, limit, offset, time_limit_s)
        if client and id(conn) not in lengths:
            lengths[id(conn)] = stored_avg_length(conn)
        with time_limit(conn, time_limit_s, where):
            if client:
                found = top_k_of(conn, where, sort, limit + offset, lengths[id(conn)])
            elif path == HYBRID_PATH:
                found = top_k_in_server(conn, where, sort, limit + offset, words, keep=True)
            else:
                found = bm25_page(conn, where, sort, limit + offset, *PATHS[path])
            settings = plan_settings(where)
            if settings:
                conn.execute("; ".join(f"reset {name}" for name in settings))
        return [
            StudyHit(
                nct_id=row[0], score=float(row[1]), site=None, site_status="", distance_km=None
            )
            for row in found.rows[offset:]
        ]

    postgres_search.search_trials = search_trials
    try:
        backends_main(argv)
    finally:
        postgres_search.search_trials = product


def main(argv: list[str] | None = None) -> None:
    """Print the figures for BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="URL of the server")
    parser.add_argument("--database", help="a copy of a migrated store (its tables are read)")
    parser.add_argument("--setup", action="store_true", help="(re)make the impact table first")
    parser.add_argument(
        "--setup-compact", action="store_true", help="(re)make the compact table and function"
    )
    parser.add_argument("--kinds", nargs="*", default=["free text"], help="query_mix kinds")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds (0: none)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--write-rows", type=int, default=1000, help="trials per write sample")
    parser.add_argument("--write-rounds", type=int, default=0, help="write-cost rounds")
    parser.add_argument("--ranking", action="store_true", help="NDCG@10 on TREC 2021")
    parser.add_argument(
        "--ranking-routing",
        metavar="DATABASE",
        help="with --ranking, also the hybrid's mix as routed at the scale of this database",
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument(
        "--client-top-k",
        action="store_true",
        help="--through-store with session 10's top-k (wide table, loop in Python)",
    )
    parser.add_argument(
        "--path",
        choices=[*PATHS, HYBRID_PATH],
        default="counted",
        help="--through-store's bm25_page: by list lengths alone, nothing kept (session 11's "
        "first path); the same with the top-k's state kept; and with a capped hit count; or "
        "hybrid: the product's own search for a page of small GIN yield, else the kept top-k",
    )
    parser.add_argument(
        "--setup-sample", action="store_true", help="(re)make the yield sample's index only"
    )
    parser.add_argument(
        "--through-store",
        nargs=argparse.REMAINDER,
        help="run backends_bench with these arguments, free-text pages by the top-k",
    )
    args = parser.parse_args(argv)
    if args.through_store is not None:
        through_store(args.through_store, args.client_top_k, args.path)
        return
    print(machine_line())
    if args.database:
        url = with_database(args.postgres, args.database)
        with psycopg.connect(url, autocommit=True) as conn:
            if args.setup:
                setup(conn)
            if args.setup_compact:
                setup_compact(conn)
            elif args.setup_sample:
                setup_sample(conn)
            if args.write_rounds:
                write_cost(conn, url, args.write_rows, args.write_rounds)
            if args.repeat:
                labels = [q.label for q in query_mix() if q.kind in args.kinds]
                cpu, wall, notes, variants = measure_pages(
                    conn, url, labels, args.repeat, args.seed
                )
                print(f"\n{len(labels)} queries ({', '.join(args.kinds)}), {args.repeat} rounds\n")
                print(summaries(cpu, labels, "CPU ms", variants) + "\n")
                print(summaries(wall, labels, "wall ms", variants) + "\n")
                print("\n".join(query_rows(cpu, labels, notes, variants)))
    if args.ranking:
        ranking(args.postgres, args.data, args.ranking_routing)


if __name__ == "__main__":
    main()
