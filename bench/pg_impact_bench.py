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
- Write cost: `--write-rows` new trials' impact rows and document-frequency updates
  (documents copied under fresh ids) in a transaction that is rolled back, `--write-rounds`
  rounds; CPU ms of this process and the server backend.
- Pages: each query of `search_bench.query_mix()` of the kinds asked (default "free text"), as
  `search_studies` asks it (`page_size + 1` rows, offset 0), with the product's SQL and with
  the top-k (`top_k`), one right after the other (order alternating), `--repeat` shuffled rounds
  after one warm-up. CPU ms (this process + server backend) and wall ms, p50/p95, each query's
  median, the top-k's rounds, rows read, trials scored and checked, and the top-10 overlap with
  the product's page. Each top-k page is checked against the exact BM25 page (every hit scored)
  in the warm-up.
- `--through-store ARGS`: `backends_bench.py ARGS` with the store's pages that
  `answers_by_top_k` takes answered by the top-k (`through_store`): against SQLite, end to end.
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

    python bench/pg_impact_bench.py --postgres URL --database h1_100k --setup --repeat 3 --ranking
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
from dataclasses import dataclass
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
from trialfinder.store.postgres_plan import plan_settings, time_limit  # noqa: E402
from trialfinder.store.postgres_search import (  # noqa: E402
    LABEL_WEIGHTS,
    TEXT_CONFIG,
    _labels,
    _term,
    study_search_sql,
)

Connection = psycopg.Connection[Any]

IMPACTS = "trial_word_impacts"
FREQUENCIES = "word_trials"
K1, B = 1.2, 0.75
"""BM25's constants, as SQLite FTS5 and tantivy fix them."""
FIRST_DEPTH = 64
"""Impact rows read per word in the first round of a top-k; the depth doubles each round."""

LABELS = "DCBA"
"""The tsvector weight labels in `LABEL_WEIGHTS`' order."""


def doc_length(document: str) -> str:
    """SQL of a one-row relation `length (doc)`: the document's BM25 length, its positions (a
    lexeme without positions counts 1). An aggregate, so that the planner keeps it one value
    a document (a bare `(select expression)` is pulled up and computed at each use)."""
    return f"""lateral (
        select coalesce(sum(greatest(cardinality(positions), 1)), 0) as doc
        from unnest({document})
    ) as length"""


def word_impact(weights: str, length: str, avg_length: str, labels: str = "") -> str:
    """SQL of a word's BM25 term part (no idf) in one document, from its positions' labels
    (`weights`, tsvector's text[]), the document's length and the mean length: tf = the sum of
    the label weights (`LABEL_WEIGHTS`, the product's) of its positions in `labels` ('' = all);
    a lexeme without positions counts as one position of label D. An expression, not a
    function: 25M rows at 100k studies, where a SQL function call cost ~80 us a row."""
    parts = [
        f"cardinality(array_positions({weights}, '{label}')) * {weight!r}"
        for label, weight in zip(LABELS, LABEL_WEIGHTS, strict=True)
        if not labels or label in labels
    ]
    unplaced = LABEL_WEIGHTS[0] if not labels or "D" in labels else 0.0
    tf = (
        f"case when coalesce(cardinality({weights}), 0) = 0 then {unplaced!r} "
        f"else {' + '.join(parts)} end"
    )
    norm = f"{K1} * ({1 - B} + {B} * {length} / {avg_length})"
    return f"(({tf}) * {K1 + 1} / (({tf}) + {norm}))::real"


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


def among(sql: str) -> str:
    """`sql` restricted to the trials `%(candidates)s`."""
    head, found, tail = sql.partition("\nwhere ")
    if not found:
        raise SystemExit(f"the product's SQL has no where clause:\n{sql}")
    return f"{head}\nwhere trials.nct_id = any(%(candidates)s::text[])\n    and {tail}"


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
    """SQL making `target` (word, trials): each lexeme's document frequency in `table.column`,
    with the number of documents under the word ''."""
    return f"""
        create table {target} as
        select word, count(*)::integer as trials
        from {table}, unnest(tsvector_to_array({column})) as word
        group by word
        union all
        select '', count(*)::integer from {table}
        """


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


def stored_avg_length(conn: Connection) -> float:
    """The mean length the impact rows were made with (kept as the table's comment)."""
    row = conn.execute(f"select obj_description('{IMPACTS}'::regclass)").fetchone()
    assert row is not None and row[0]
    return float(row[0])


# -- write cost --------------------------------------------------------------------------------


def write_cost(conn: Connection, url: str, rows: int, rounds: int) -> None:
    """Print the CPU and wall ms of writing `rows` new trials' impact rows and document
    frequencies (documents copied under fresh ids), rolled back, `rounds` rounds."""
    pids = server_pids(url)
    avg_length = stored_avg_length(conn)
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(rounds):
        with conn.transaction(force_rollback=True):
            copy_new_documents(conn, rows)
            cpu_before, begun = cpu_ms(pids), time.perf_counter()
            conn.execute(impacts_insert("new_documents", avg_length))
            conn.execute(
                f"""
                insert into {FREQUENCIES} (word, trials)
                select word, count(*)
                from new_documents, unnest(tsvector_to_array(document)) as word
                group by word
                union all
                select '', count(*) from new_documents
                on conflict (word) do update set trials = {FREQUENCIES}.trials + excluded.trials
                """
            )
            wall.append((time.perf_counter() - begun) * 1000)
            cpu.append(cpu_ms(pids) - cpu_before)
    mid = statistics.median(cpu)
    print(
        f"\nWrite cost: impact rows + frequencies of {rows} new trials, {rounds} rounds "
        f"(median): CPU {mid:,.0f} ms ({mid / rows:.2f} ms a trial), "
        f"wall {statistics.median(wall):,.0f} ms"
    )


# -- top-k -------------------------------------------------------------------------------------


@dataclass
class TopK:
    """A top-k page and what it cost: rounds, impact rows read, trials scored and checked."""

    rows: list[tuple[Any, ...]]
    rounds: int
    read: int
    scored: int
    checked: int


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


SCORE_BATCH = 256
"""Candidates scored exactly per statement, highest upper bound first (while no page above the
bound is known, one statement a round)."""
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


# -- pages -------------------------------------------------------------------------------------

VARIANTS = ("ts_rank (product)", "BM25 top-k")
RATIO = "top-k / product"
Samples = dict[tuple[str, str, int], list[float]]


def measure_pages(
    conn: Connection, url: str, labels: list[str], repeat: int, seed: int, avg_length: float
) -> tuple[Samples, Samples, dict[str, str]]:
    """Run every page of the queries with both variants in turn, `repeat` shuffled rounds after
    a warm-up (which also checks each top-k page against the exact BM25 page). Returns CPU and
    wall samples and, per query, a note (hits, rounds, rows read, top-10 overlap)."""
    pids = server_pids(url)
    mix = {q.label: query_from_params(q.params) for q in query_mix() if q.label in labels}
    jobs = [(label, size) for label in labels for size in PAGE_SIZES]
    cpu: Samples = {}
    wall: Samples = {}
    notes: dict[str, str] = {}
    rng = random.Random(seed)
    flip = 0
    for round_ in range(repeat + 1):
        order = list(jobs)
        rng.shuffle(order)
        started = time.perf_counter()
        for label, size in order:
            flip += 1
            search = mix[label]
            plan_like_store(conn, search)
            pages: dict[str, list[str]] = {}
            for variant in VARIANTS[:: 1 if flip % 2 else -1]:
                cpu_before, begun = cpu_ms(pids), time.perf_counter()
                if variant == VARIANTS[0]:
                    sql, params = page_sql(search, size)
                    pages[variant] = [row[0] for row in conn.execute(sql, params)]
                else:
                    found = top_k(conn, search, size + 1, avg_length)
                    pages[variant] = [row[0] for row in found.rows]
                elapsed = (time.perf_counter() - begun) * 1000
                if round_:
                    wall.setdefault((variant, label, size), []).append(elapsed)
                    cpu.setdefault((variant, label, size), []).append(cpu_ms(pids) - cpu_before)
            if round_ == 0 and size == 10:
                notes[label] = check(conn, search, found, pages)
        print(
            f"  round {round_}/{repeat}: {time.perf_counter() - started:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return cpu, wall, notes


def check(conn: Connection, search: SearchQuery, found: TopK, pages: dict[str, list[str]]) -> str:
    """Fail unless the top-k page is the exact BM25 page (every hit scored); return a note:
    hits, rounds, impact rows read, and the top-10 overlap with the product's page."""
    sql, params = page_sql(search, 10)
    words, labels = positive_words(conn, search.study_filter().text)
    params.update(
        bm25_words=words,
        bm25_idfs=idfs(conn, words),
        avg_length=stored_avg_length(conn),
    )
    exact = conn.execute(bm25_sql(sql, labels), params).fetchall()
    if [r[0] for r in exact] != [r[0] for r in found.rows] and not all(
        math.isclose(e[1], t[1], rel_tol=1e-5) for e, t in zip(exact, found.rows, strict=True)
    ):
        raise SystemExit(f"top-k differs from the exact BM25 page:\n{exact}\n{found.rows}")
    count_sql = re.sub(r"select\n.*?\nfrom ", "select count(*)\nfrom ", sql, count=1, flags=re.S)
    count_sql = count_sql.split("order by")[0]
    row = conn.execute(count_sql, params).fetchone()
    hits = int(row[0]) if row else 0
    shared = len(set(pages[VARIANTS[0]][:10]) & set(pages[VARIANTS[1]][:10]))
    return (
        f"{hits:,} | {found.rounds} | {found.read:,} | {found.scored:,} | {found.checked:,} "
        f"| {shared} of 10"
    )


def query_rows(cpu: Samples, labels: list[str], notes: dict[str, str]) -> list[str]:
    """Markdown rows: each query's median CPU ms per variant (top 10) and its note."""
    lines = [
        f"| query | {VARIANTS[0]} CPU ms | {VARIANTS[1]} CPU ms | hits | rounds "
        "| impact rows read | scored | checked | top 10 shared |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in labels:
        base, top = (statistics.median(cpu[v, label, 10]) for v in VARIANTS)
        lines.append(f"| {label} | {base:,.1f} | {top:,.1f} | {notes[label]} |")
    return lines


# -- ranking quality ---------------------------------------------------------------------------


def ranking(server: str, data: Path) -> None:
    """Print NDCG@10 (ranking_bench's table) of the product's PostgreSQL order and the BM25
    order on the judged TREC 2021 topics, in a fresh database on `server`."""
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


def answers_by_top_k(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the prototype answers this page: words over the whole document (no labels, no
    prefix), the relevance order best first, no place; else the product's path does."""
    return (
        bool(where.text)
        and sort.key == "relevance"
        and not sort.is_descending
        and where.geo is None
        and all(not s.columns for s in where.text)
        and all(not t.is_prefix for s in where.text for t in s.terms)
    )


def through_store(argv: list[str]) -> None:
    """Run `backends_bench.main(argv)` with the PostgreSQL store's pages that
    `answers_by_top_k` takes answered by `top_k_of` (under the same time limit and planner
    settings), the others by the product: the prototype end to end against SQLite, by the
    same harness."""
    product = postgres_search.search_trials
    lengths: dict[int, float] = {}

    def search_trials(
        conn: Connection,
        where: StudyFilter,
        sort: StudySort,
        limit: int,
        offset: int,
        time_limit_s: float,
    ) -> list[StudyHit]:
        if not answers_by_top_k(where, sort):
            return product(conn, where, sort, limit, offset, time_limit_s)
        if id(conn) not in lengths:
            lengths[id(conn)] = stored_avg_length(conn)
        with time_limit(conn, time_limit_s, where):
            found = top_k_of(conn, where, sort, limit + offset, lengths[id(conn)])
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
    parser.add_argument("--kinds", nargs="*", default=["free text"], help="query_mix kinds")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds (0: none)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--write-rows", type=int, default=1000, help="trials per write sample")
    parser.add_argument("--write-rounds", type=int, default=0, help="write-cost rounds")
    parser.add_argument("--ranking", action="store_true", help="NDCG@10 on TREC 2021")
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    parser.add_argument(
        "--through-store",
        nargs=argparse.REMAINDER,
        help="run backends_bench with these arguments, free-text pages by the top-k",
    )
    args = parser.parse_args(argv)
    if args.through_store is not None:
        through_store(args.through_store)
        return
    print(machine_line())
    if args.database:
        url = with_database(args.postgres, args.database)
        with psycopg.connect(url, autocommit=True) as conn:
            if args.setup:
                setup(conn)
            if args.write_rounds:
                write_cost(conn, url, args.write_rows, args.write_rounds)
            if args.repeat:
                labels = [q.label for q in query_mix() if q.kind in args.kinds]
                avg_length = stored_avg_length(conn)
                cpu, wall, notes = measure_pages(
                    conn, url, labels, args.repeat, args.seed, avg_length
                )
                print(f"\n{len(labels)} queries ({', '.join(args.kinds)}), {args.repeat} rounds\n")
                print("\n".join(page_summary(cpu, labels, "CPU ms", VARIANTS, RATIO)) + "\n")
                print("\n".join(page_summary(wall, labels, "wall ms", VARIANTS, RATIO)) + "\n")
                print("\n".join(query_rows(cpu, labels, notes)))
    if args.ranking:
        ranking(args.postgres, args.data)


if __name__ == "__main__":
    main()
