"""RUM feasibility benchmark (issue 3): can a RUM index make PostgreSQL free text a top-k search?

A prototype, not product code. PostgreSQL ranks free text with `ts_rank` over the weighted
`trial_documents.document` (`postgres_search.study_search_sql`), so it reads and ranks every hit
before the LIMIT. The `rum` extension's index keeps each lexeme's positions and weight labels in
the index and can answer `order by document <=> query limit k` from the index, reading only the
page's rows. This script measures, on one database holding `trial_documents` (the product's table
and GIN index, left as they are):

- `--setup`: the RUM copy. `trial_documents_rum` is made with the same rows, key and status index
  as `trial_documents`; a GIN index and then a RUM index (`rum_tsvector_ops`) are built on its
  document (build seconds and sizes; the GIN one is dropped), then `vacuum analyze`. A copy,
  not a second index on the product's table, so that the planner of the product's SQL (the
  "before") cannot pick the RUM index.
- Write cost: `--write-rows` new rows (documents copied from the table under fresh ids) inserted
  into each table in a transaction that is rolled back, `--write-rounds` rounds interleaved;
  for GIN also the flush of its pending list (`gin_clean_pending_list`), the work its
  `fastupdate` defers. CPU ms of this process and the server backend, and wall ms.
- Pages: each query of `search_bench.query_mix()` of the kinds asked (default "free text"), as
  `search_studies` asks it (`page_size + 1` rows, offset 0), run with the product's SQL and with
  its RUM form (`rum_sql`: same conditions, the copy's table, `order by document <=> query`),
  one right after the other (order alternating), `--repeat` shuffled rounds after one warm-up.
  CPU ms (this process + server backend, `backends_bench.cpu_ms`) and wall ms, p50/p95 per page
  size, each query's median, and how many of RUM's top 10 score (by `ts_rank`) at least the
  product's 10th.
- `--ranking`: NDCG@10 on the judged TREC 2021 topics (`ranking_bench`: its store, queries and
  measures), the product's `ts_rank` order against RUM's `<=>` order of the same hits (the
  operator computed per row; the index returns the same order), and the paired change per
  topic with `ranking_tuning.adoption_verdict` (the rule tantivy was held to).

    URL=$(scripts/pg start /tmp/h5/pg)   # a server whose binaries match the rum package
    python bench/pg_rum_bench.py --postgres $URL --database h5_rum --setup --repeat 5 --ranking

The database must hold `trial_documents` (e.g. copied from a built store with `copy ... (format
binary)`) and the product's text search configuration (a store opened on it makes both).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends_bench import cpu_ms, server_pids, with_database  # noqa: E402
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
from search_bench import Query, machine_line, percentile, query_mix  # noqa: E402
from trialfinder.search import SearchQuery, query_from_params  # noqa: E402
from trialfinder.store.postgres import configure_session  # noqa: E402
from trialfinder.store.postgres_plan import plan_settings  # noqa: E402
from trialfinder.store.postgres_search import TEXT_CONFIG, study_search_sql  # noqa: E402

RUM_TABLE = "trial_documents_rum"
PAGE_SIZES = (10, 20)
"""Pages asked; `search_studies` reads one row more to know whether another page follows."""

_TS_RANK = re.compile(r"ts_rank\('\{[^}]*\}', (?P<document>[\w.]+), query, 1\)")
_QUERY_SOURCE = f",\nto_tsquery('{TEXT_CONFIG}', %(tsquery)s) as query"
_TSQUERY = f"to_tsquery('{TEXT_CONFIG}', %(tsquery)s)"
_RELEVANCE_ORDER = "order by score desc, trials.nct_id asc"

Connection = psycopg.Connection[Any]


def _replaced(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` once; fails loudly when the product's SQL changed."""
    if text.count(old) != 1:
        raise SystemExit(f"the product's SQL no longer has exactly one {old!r}:\n{text}")
    return text.replace(old, new)


def rum_sql(sql: str, table: str | None = RUM_TABLE) -> str:
    """The RUM form of a relevance page of the product's SQL: the same conditions, scored and
    ordered by `document <=> query` alone (RUM's distance: lower is better), the query written in
    place (an index can order by an operator only against a value known when the scan starts,
    not a column of another relation), and `trial_documents` read from `table` (None: kept).
    """
    match = _TS_RANK.search(sql)
    if match is None:
        raise SystemExit(f"the product's SQL has no ts_rank score:\n{sql}")
    document = match["document"]
    distance = f"{document} <=> {_TSQUERY}"
    sql = sql.replace(match[0], f"1 / ({distance})")
    sql = _replaced(sql, _QUERY_SOURCE, "")
    sql = _replaced(sql, f"{document} @@ query", f"{document} @@ {_TSQUERY}")
    # No tie-break by nct_id: a second key makes PostgreSQL sort every hit (no incremental
    # sort over an index's operator order), so equal distances come in the index's order.
    sql = _replaced(sql, _RELEVANCE_ORDER, f"order by {distance}")
    if table is not None:
        sql = _replaced(sql, "from trial_documents as trials", f"from {table} as trials")
    return sql


def page_sql(query: SearchQuery, page_size: int) -> tuple[str, dict[str, Any]]:
    """The product's SQL and values for the first page of `query`, as `search_studies` asks it."""
    sql, params = study_search_sql(query.study_filter(), query.study_sort())
    params.update(limit=page_size + 1, offset=0)
    return sql, params


def plan_like_store(conn: Connection, query: SearchQuery) -> None:
    """Set the session as the store runs `query`'s search: its connection settings and the
    search's planner settings (`postgres_plan.plan_settings`), for both variants alike."""
    configure_session(conn)
    for name, value in plan_settings(query.study_filter()).items():
        conn.execute("select set_config(%s, %s, false)", (name, value))


# -- setup: the RUM copy ------------------------------------------------------------------------


def timed_statement(conn: Connection, statement: str) -> float:
    """Run `statement`; return its wall seconds."""
    started = time.perf_counter()
    conn.execute(statement)
    return time.perf_counter() - started


def relation_mb(conn: Connection, relation: str) -> float:
    """Size of `relation` in MB (its main fork)."""
    row = conn.execute("select pg_relation_size(%s::regclass)", (relation,)).fetchone()
    assert row is not None
    return float(row[0]) / 1e6


def setup(conn: Connection) -> None:
    """Make the RUM copy of `trial_documents`; print the build seconds and sizes of a GIN and
    a RUM index on the same rows."""
    conn.execute("create extension if not exists rum")
    conn.execute(f"drop table if exists {RUM_TABLE}")
    conn.execute(f"create table {RUM_TABLE} (like trial_documents including storage)")
    copy_s = timed_statement(conn, f"insert into {RUM_TABLE} select * from trial_documents")
    conn.execute(f"alter table {RUM_TABLE} add primary key (nct_id)")
    conn.execute(f"create index {RUM_TABLE}_status on {RUM_TABLE} (overall_status)")
    conn.execute(f"vacuum analyze {RUM_TABLE}")
    print(f"copied {RUM_TABLE} in {copy_s:.1f} s; table {relation_mb(conn, RUM_TABLE):,.0f} MB")
    for method, opclass in (("gin", ""), ("rum", " rum_tsvector_ops")):
        name = f"{RUM_TABLE}_{method}"
        seconds = timed_statement(
            conn, f"create index {name} on {RUM_TABLE} using {method} (document{opclass})"
        )
        print(f"{method} index build: {seconds:.1f} s wall, {relation_mb(conn, name):,.0f} MB")
        if method == "gin":
            conn.execute(f"drop index {name}")
    conn.execute(f"vacuum analyze {RUM_TABLE}")


# -- write cost ---------------------------------------------------------------------------------


def copy_new_documents(conn: Connection, rows: int) -> None:
    """Copy the first `rows` documents under fresh ids into the temporary table `new_documents`
    (dropped at commit): the new trials whose write the prototypes time."""
    conn.execute(
        """
        create temporary table new_documents on commit drop as
        select 'X' || nct_id as nct_id, overall_status, document
        from trial_documents
        order by nct_id
        limit %s
        """,
        (rows,),
    )


def write_cost(conn: Connection, url: str, rows: int, rounds: int) -> None:
    """Print the CPU and wall ms of inserting `rows` new documents into each table (GIN: with
    and without the flush of its pending list), rolled back, `rounds` rounds interleaved."""
    pids = server_pids(url)
    indexes = {"trial_documents": "trial_documents_document", RUM_TABLE: f"{RUM_TABLE}_rum"}
    cases = [("GIN (pending list)", "trial_documents", False)]
    cases += [("GIN (+ flush)", "trial_documents", True), ("RUM", RUM_TABLE, False)]
    cpu: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    wall: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for round_ in range(rounds):
        for label, table, flush in cases[:: 1 if round_ % 2 == 0 else -1]:
            with conn.transaction(force_rollback=True):
                copy_new_documents(conn, rows)
                cpu_before, begun = cpu_ms(pids), time.perf_counter()
                conn.execute(f"insert into {table} select * from new_documents")
                if flush:
                    conn.execute("select gin_clean_pending_list(%s::regclass)", (indexes[table],))
                wall[label].append((time.perf_counter() - begun) * 1000)
                cpu[label].append(cpu_ms(pids) - cpu_before)
    print(f"\nWrite cost: {rows} rows inserted, {rounds} rounds (median)\n")
    print("| index | CPU ms | wall ms | CPU ms / row |\n|---|---:|---:|---:|")
    for label, _, _ in cases:
        mid = statistics.median(cpu[label])
        print(
            f"| {label} | {mid:,.0f} | {statistics.median(wall[label]):,.0f} | {mid / rows:.2f} |"
        )


# -- pages --------------------------------------------------------------------------------------

Samples = dict[tuple[str, str, int], list[float]]
"""(variant, query label, page size) → samples (ms)."""

VARIANTS = ("ts_rank (product)", "RUM <=>")


def run_page(conn: Connection, sql: str, params: dict[str, Any]) -> list[str]:
    """The NCT ids of one page."""
    return [row[0] for row in conn.execute(sql, params)]


def agreement(
    conn: Connection, product: tuple[str, dict[str, Any]], rum_page: list[str]
) -> tuple[int, int]:
    """(trials on the product's page of 10, how many of RUM's page of 10 the product ranks as
    high as its 10th). By `ts_rank` score, not by id: the benchmark's replicated studies make
    long runs of equal scores, whose order either way is arbitrary."""
    sql, params = product
    scores = [row[1] for row in conn.execute(sql, params)][:10]
    match = _TS_RANK.search(sql)
    if not scores or match is None:
        return len(scores), 0
    row = conn.execute(
        f"""
        select count(*)
        from trial_documents as trials, to_tsquery('{TEXT_CONFIG}', %(tsquery)s) as query
        where trials.nct_id = any(%(ids)s::text[]) and {match[0]} >= %(tenth)s
        """,
        {"tsquery": params["tsquery"], "ids": rum_page, "tenth": scores[-1]},
    ).fetchone()
    return len(scores), int(row[0]) if row else 0


def measure_pages(
    conn: Connection, url: str, mix: list[Query], repeat: int, seed: int
) -> tuple[Samples, Samples, dict[str, tuple[int, int]]]:
    """Run every page of `mix` with both variants in turn, `repeat` shuffled rounds after a
    warm-up. Returns CPU and wall samples, and per query its `agreement` (in the warm-up)."""
    pids = server_pids(url)
    jobs: list[tuple[str, int, SearchQuery, dict[str, tuple[str, dict[str, Any]]]]] = []
    for query in mix:
        search = query_from_params(query.params)
        for size in PAGE_SIZES:
            sql, params = page_sql(search, size)
            jobs.append(
                (
                    query.label,
                    size,
                    search,
                    {VARIANTS[0]: (sql, params), VARIANTS[1]: (rum_sql(sql), params)},
                )
            )
    cpu: Samples = {}
    wall: Samples = {}
    overlap: dict[str, tuple[int, int]] = {}
    rng = random.Random(seed)
    flip = 0
    for round_ in range(repeat + 1):
        order = list(jobs)
        rng.shuffle(order)
        started = time.perf_counter()
        for label, size, search, variants in order:
            flip += 1
            plan_like_store(conn, search)
            pages: dict[str, list[str]] = {}
            for variant in list(variants)[:: 1 if flip % 2 else -1]:
                sql, params = variants[variant]
                cpu_before, begun = cpu_ms(pids), time.perf_counter()
                pages[variant] = run_page(conn, sql, params)
                elapsed = (time.perf_counter() - begun) * 1000
                if round_:
                    wall.setdefault((variant, label, size), []).append(elapsed)
                    cpu.setdefault((variant, label, size), []).append(cpu_ms(pids) - cpu_before)
            if size == 10 and round_ == 0:
                overlap[label] = agreement(conn, variants[VARIANTS[0]], pages[VARIANTS[1]][:10])
        print(
            f"  round {round_}/{repeat}: {time.perf_counter() - started:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return cpu, wall, overlap


def page_summary(
    samples: Samples,
    labels: list[str],
    what: str,
    variants: tuple[str, str] = VARIANTS,
    ratio: str = "RUM / product",
) -> list[str]:
    """Markdown rows: p50/p95 of each variant and page size over the queries, and the ratio
    (second variant over first); shared with the other PostgreSQL ranking prototypes."""
    lines = [
        f"| page | {variants[0]} p50 {what} | p95 | {variants[1]} p50 {what} | p95 "
        f"| {ratio} p50 | p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in PAGE_SIZES:
        figures = []
        for variant in variants:
            values = [ms for label in labels for ms in samples[variant, label, size]]
            figures.append((statistics.median(values), percentile(values, 0.95)))
        (b50, b95), (r50, r95) = figures
        lines.append(
            f"| top {size} | {b50:,.1f} | {b95:,.1f} | {r50:,.1f} | {r95:,.1f} "
            f"| {r50 / b50:.2f}× | {r95 / b95:.2f}× |"
        )
    return lines


def query_rows(cpu: Samples, labels: list[str], overlap: dict[str, tuple[int, int]]) -> list[str]:
    """Markdown rows: each query's median CPU ms per variant (top 10) and its top-10 overlap."""
    lines = [
        f"| query | {VARIANTS[0]} CPU ms | {VARIANTS[1]} CPU ms | RUM's top 10 in the product's |",
        "|---|---:|---:|---:|",
    ]
    for label in labels:
        base, rum = (statistics.median(cpu[v, label, 10]) for v in VARIANTS)
        rows, shared = overlap[label]
        lines.append(f"| {label} | {base:,.1f} | {rum:,.1f} | {shared} of {rows} |")
    return lines


# -- ranking quality ----------------------------------------------------------------------------


def ranking(server: str, data: Path) -> None:
    """Print NDCG@10 (ranking_bench's table) of the product's PostgreSQL order and RUM's order
    on the judged TREC 2021 topics, in a fresh database on `server`."""
    database = "trialfinder_rum_ranking_bench"
    topics, all_grades = read_judgements(data / "trec2021")
    wanted = {n for grades in all_grades.values() for n in grades}
    records = list(judged_records(data, wanted))
    store = postgres_store(server, records, database=database)
    store.close()
    with psycopg.connect(with_database(server, database), autocommit=True) as conn:
        conn.execute("create extension if not exists rum")
        present = {row[0] for row in conn.execute("select nct_id from trials")}
        judged, scored, queries = judged_topics(topics, all_grades, present)
        print(f"\n{len(present)} judged trials, {len(scored)} topics\n")
        print(REPORT_HEADER)
        scores = []
        for label, transform in (
            ("PostgreSQL | ts_rank (product)", lambda sql: sql),
            ("PostgreSQL | RUM <=>", lambda sql: rum_sql(sql, table=None)),
        ):
            rankings = {
                form: {t: ranked(conn, q[form], transform) for t, q in queries.items()}
                for form in FORMS
            }
            report(label, rankings, judged)
            scores.append(point_scores(rankings, judged))
        product, rum = scores
        changes = [topic_score(rum, t) - topic_score(product, t) for t in scored]
        print(
            f"\nRUM against ts_rank, all topics (mean of both forms): {adoption_verdict(changes)}"
        )
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{database}" with (force)')


def ranked(conn: Connection, query: SearchQuery, transform: Callable[[str], str]) -> list[str]:
    """The NCT ids of `query`'s first `HITS` hits, best first, with its SQL transformed."""
    if not (query.cond or query.term):
        return []
    sql, params = page_sql(query, HITS - 1)
    plan_like_store(conn, query)
    return run_page(conn, transform(sql), params)


def main(argv: list[str] | None = None) -> None:
    """Print the figures for BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="URL of a server with the rum extension")
    parser.add_argument("--database", required=True, help="database holding trial_documents")
    parser.add_argument("--setup", action="store_true", help="(re)make the RUM copy first")
    parser.add_argument("--kinds", nargs="*", default=["free text"], help="query_mix kinds")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds (0: none)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--write-rows", type=int, default=1000, help="rows per write sample")
    parser.add_argument("--write-rounds", type=int, default=0, help="write-cost rounds")
    parser.add_argument("--ranking", action="store_true", help="NDCG@10 on TREC 2021")
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared" / "data")
    args = parser.parse_args(argv)
    url = with_database(args.postgres, args.database)
    print(machine_line())
    with psycopg.connect(url, autocommit=True) as conn:
        if args.setup:
            setup(conn)
        if args.write_rounds:
            write_cost(conn, url, args.write_rows, args.write_rounds)
        if args.repeat:
            mix = [q for q in query_mix() if q.kind in args.kinds]
            cpu, wall, overlap = measure_pages(conn, url, mix, args.repeat, args.seed)
            labels = [q.label for q in mix]
            print(f"\n{len(labels)} queries ({', '.join(args.kinds)}), {args.repeat} rounds\n")
            print("\n".join(page_summary(cpu, labels, "CPU ms")) + "\n")
            print("\n".join(page_summary(wall, labels, "wall ms")) + "\n")
            print("\n".join(query_rows(cpu, labels, overlap)))
    if args.ranking:
        ranking(args.postgres, args.data)


if __name__ == "__main__":
    main()
