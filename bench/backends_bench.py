"""Backends benchmark (issue 3): the SQLite and PostgreSQL stores side by side at scale.

Builds (with --build) both stores from one corpus in one run: the search benchmark's replicated
studies (`search_bench.replicated_records`: shared API v2 studies under fresh NCT ids, sites moved
to other real cities), each batch written to SQLite and then to PostgreSQL (the order alternating
per batch) through `Store.write_batch`, so both see the same records under the same machine load.
Reports write time, studies/s and database size per backend.

Then runs the search benchmark's query mix (`search_bench.query_mix`, `search_bench.run_query`)
on both stores, each query on one backend right after the other (order alternating), `--repeat`
rounds in shuffled order after one unmeasured warm-up round; p50/p95 per query kind and the
PostgreSQL / SQLite ratio. Matching (`trialfinder.match.match_patient`) is timed the same way
on a few TREC 2021 patient notes. Row counts are compared: both stores must find the same.

Counts and facets are measured like with like: "computed" on stores that remember no answer
(every call computes, on both backends), and "repeated (cached)" on the ordinary stores, asked
again for an answer they computed in an earlier round. Besides wall time, each sample's CPU
time: this process's, plus (PostgreSQL) that of the server processes serving the stores, read
from /proc/PID/schedstat (a server on this machine), so a busy machine moves it less.

    D=/tmp/bench/pg; URL=$(scripts/pg start $D)
    .venv/bin/python bench/backends_bench.py --studies 100000 --postgres $URL --build --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _markdown import append_to_section  # noqa: E402
from ingest_bench import DEFAULT_DATA, ROOT  # noqa: E402
from search_bench import (  # noqa: E402
    BATCH,
    machine_line,
    percentile,
    query_mix,
    replicated_records,
    run_query,
    with_repeats,
)
from trialfinder.match import match_patient, profile_from_note  # noqa: E402
from trialfinder.store import Store, open_store  # noqa: E402
from trialfinder.store.answer_cache import AnswerCache  # noqa: E402
from trialfinder.store.base import StoredRecord, StudyFilter  # noqa: E402
from trialfinder.store.postgres import PostgresStore  # noqa: E402
from trialfinder.store.sqlite import SQLiteStore  # noqa: E402

BACKENDS = ("sqlite", "postgres")
DEFAULT_SQLITE = Path("/tmp/bench/backends-{studies}.db")
TREC_TOPICS = DEFAULT_DATA.parent / "trec2021" / "topics.jsonl"
MATCH_NOTES = 5
MATCH_DATE = dt.date(2021, 4, 27)


def with_database(url: str, database: str) -> str:
    """`url` on the same server, naming another database."""
    head, _, tail = url.rpartition("/")
    query = ("?" + tail.split("?", 1)[1]) if "?" in tail else ""
    return f"{head}/{database}{query}"


def sqlite_size(path: Path) -> int:
    """Bytes of the SQLite store and its WAL/shared-memory files."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def postgres_size(url: str) -> int:
    """Bytes of the PostgreSQL database (tables, indexes, TOAST)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def postgres_shared_buffers(url: str) -> str:
    """The server's `shared_buffers` as it reports it (e.g. "256MB"), for the block's header."""
    with psycopg.connect(url) as conn:
        row = conn.execute("show shared_buffers").fetchone()
    return str(row[0]) if row else "unknown"


# -- building ----------------------------------------------------------------------------------


MIN_FREE_DISK = 6 * 2**30
"""A build stops (resumable) when its disk has less free space than this."""


def build(
    sqlite_path: Path, server: str, database: str, count: int, resume: bool = False
) -> dict[str, float]:
    """Write `count` replicated studies to a new SQLite file and a new PostgreSQL database.

    With `resume`, both stores are kept and writing starts again at the last batch that both
    hold (a batch rewritten is the same records, so the upserts leave them as they were). The
    build stops, resumable, when free disk falls under `MIN_FREE_DISK`.
    Returns seconds spent in `write_batch` per backend, and PostgreSQL's `vacuum analyze`.
    """
    if sqlite_path.exists() and not resume:
        raise SystemExit(f"{sqlite_path} exists; remove it, drop --build or add --resume")
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    if not resume:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{database}" with (force)')
            admin.execute(f'create database "{database}"')
    stores = {
        "sqlite": open_store(f"sqlite:///{sqlite_path}"),
        "postgres": open_store(with_database(server, database)),
    }
    held = min(store.count_trials(StudyFilter(), 600.0) for store in stores.values())
    skip = held // BATCH * BATCH
    if skip:
        print(f"  resuming after {skip:,} studies that both stores hold", flush=True)
    seconds = dict.fromkeys(BACKENDS, 0.0)
    started = time.perf_counter()
    batch: list[StoredRecord] = []
    done = skip

    def write() -> None:
        order = BACKENDS if (done // BATCH) % 2 == 0 else BACKENDS[::-1]
        for backend in order:
            begun = time.perf_counter()
            stores[backend].write_batch(batch, [])
            seconds[backend] += time.perf_counter() - begun

    for record in itertools.islice(replicated_records(DEFAULT_DATA, count), skip, None):
        batch.append(record)
        if len(batch) == BATCH:
            write()
            done += len(batch)
            batch = []
            if done % 10_000 == 0:
                rates = ", ".join(f"{b} {(done - skip) / seconds[b]:,.0f}/s" for b in BACKENDS)
                print(f"  {done:,} studies: {rates}", flush=True)
            if shutil.disk_usage(sqlite_path.parent).free < MIN_FREE_DISK:
                raise SystemExit(f"stopped at {done:,} studies: under 6 GiB of free disk; --resume")
    if batch:
        write()
    for store in stores.values():
        store.close()
    begun = time.perf_counter()
    with psycopg.connect(with_database(server, database), autocommit=True) as conn:
        conn.execute("vacuum analyze")
    seconds["postgres vacuum analyze"] = time.perf_counter() - begun
    print(f"built both stores in {time.perf_counter() - started:,.0f} s: {seconds}")
    return seconds


# -- measuring ---------------------------------------------------------------------------------


def match_queries() -> list[tuple[str, str]]:
    """(topic id, note) of the first TREC 2021 topics."""
    with TREC_TOPICS.open() as topics:
        rows = [json.loads(line) for line in topics if line.strip()]
    return [(row["_id"], row["text"]) for row in rows[:MATCH_NOTES]]


def run_match(store: Store, note: str) -> int:
    """Match one patient note against open trials; return how many results."""
    return len(match_patient(store, profile_from_note(note), on_date=MATCH_DATE).results)


Samples = dict[str, dict[str, list[float]]]
"""backend → query label → latencies (ms)."""

COMPUTED = ", computed"
"""Suffix of the count and facet kinds run on stores that remember no answer."""


def server_pids(url: str) -> list[int]:
    """Process ids of the server's connections to `url`'s database (the stores' pools)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            select pid
            from pg_stat_activity
            where datname = current_database()
                and pid != pg_backend_pid()
            """
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def cpu_ms(pids: list[int], *, ending: bool = False) -> float:
    """CPU milliseconds of this process and of the processes `pids` (from schedstat).

    Reading the processes' files costs this process CPU (~0.1 ms for a pool of 16): they are
    read before this process's clock when a measured window starts, and after it when one
    ends (`ending`), so that the reading falls outside the window.
    """
    if ending:
        return time.process_time() * 1000 + _schedstat_ms(pids)
    server = _schedstat_ms(pids)
    return time.process_time() * 1000 + server


def _schedstat_ms(pids: list[int]) -> float:
    """CPU milliseconds the processes `pids` have run (those gone count none)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                total += int(stat.read().split()[0]) / 1e6
        except (OSError, ValueError, IndexError):
            continue
    return total


def uncached_postgres(url: str) -> PostgresStore:
    """A PostgreSQL store that remembers no count or facets, read-only."""
    try:
        return PostgresStore(url, read_only=True, count_cache_size=0)
    except TypeError:
        # Code older than `count_cache_size` (a "before" run): its cache, emptied the same way.
        store = PostgresStore(url, read_only=True)
        store._answers = AnswerCache(0)
        return store


Job = tuple[str, bool, Callable[[Store], int]]
"""(label, computed: run on the store that remembers no answer, the call)."""


def measure(
    stores: dict[str, Store],
    cold: dict[str, Store],
    server_processes: Callable[[], dict[str, list[int]]],
    jobs: list[Job],
    repeat: int,
    seed: int,
) -> tuple[Samples, Samples, dict[str, dict[str, int]]]:
    """Run each job on every backend in turn, `repeat` shuffled rounds after a warm-up.

    Returns wall latencies, CPU times (ms) and the rows each backend gave per label. The
    server processes are listed after the warm-up: a pool opens its connections in the
    background, so a list taken before may miss some of them.
    """
    pids: dict[str, list[int]] = {b: [] for b in stores}
    rng = random.Random(seed)
    samples: Samples = {b: {label: [] for label, _, _ in jobs} for b in stores}
    cpu: Samples = {b: {label: [] for label, _, _ in jobs} for b in stores}
    rows: dict[str, dict[str, int]] = {b: {} for b in stores}
    flip = 0
    for round_ in range(repeat + 1):
        order = list(jobs)
        rng.shuffle(order)
        started = time.perf_counter()
        for label, computed, job in order:
            flip += 1
            for backend in list(stores)[:: 1 if flip % 2 else -1]:
                store = cold[backend] if computed else stores[backend]
                cpu_before, begun = cpu_ms(pids[backend]), time.perf_counter()
                found = job(store)
                wall = (time.perf_counter() - begun) * 1000
                used = cpu_ms(pids[backend], ending=True) - cpu_before
                rows[backend][label] = found
                if round_:
                    samples[backend][label].append(wall)
                    cpu[backend][label].append(used)
        print(
            f"  round {round_}/{repeat}: {time.perf_counter() - started:.1f} s "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        if round_ == 0:
            pids = server_processes()
    return samples, cpu, rows


def summary(kinds: dict[str, list[str]], samples: Samples, what: str = "ms") -> list[str]:
    """Markdown table: per kind, p50/p95 on each backend and the PostgreSQL / SQLite ratios."""
    lines = [
        f"| query kind | queries | samples each | SQLite p50 {what} | SQLite p95 {what} "
        f"| PostgreSQL p50 {what} | PostgreSQL p95 {what} | PG / SQLite p50 | PG / SQLite p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, labels in kinds.items():
        figures = []
        for backend in BACKENDS:
            values = [ms for label in labels for ms in samples[backend][label]]
            figures.append((statistics.median(values), percentile(values, 0.95), len(values)))
        (s50, s95, n), (p50, p95, _) = figures
        lines.append(
            f"| {kind} | {len(labels)} | {n} | {s50:,.1f} | {s95:,.1f} | {p50:,.1f} | "
            f"{p95:,.1f} | {p50 / s50:.2f}× | {p95 / s95:.2f}× |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse options, build both stores when asked, measure and report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--studies", type=int, required=True, help="store size (studies)")
    parser.add_argument("--postgres", required=True, help="URL of a PostgreSQL server")
    parser.add_argument("--sqlite", type=Path, help="SQLite store file (default under /tmp/bench)")
    parser.add_argument("--build", action="store_true", help="build both stores first")
    parser.add_argument(
        "--resume", action="store_true", help="with --build: go on with a stopped build"
    )
    parser.add_argument("--repeat", type=int, default=10, help="measured rounds (0: only build)")
    parser.add_argument("--only", nargs="*", help="query kinds to run (default: all, and match)")
    parser.add_argument(
        "--database", help="PostgreSQL database to measure (default trialfinder_bench_N)"
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print every query's figures")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="open both stores read-only only (an older version of the code on newer stores)",
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=ROOT / "BENCHMARKS.md",
        type=Path,
        help="append a dated block to 'PostgreSQL and scale' in BENCHMARKS.md (or this file)",
    )
    args = parser.parse_args(argv)
    sqlite_path = args.sqlite or Path(str(DEFAULT_SQLITE).format(studies=args.studies))
    database = args.database or f"trialfinder_bench_{args.studies}"
    pg_url = with_database(args.postgres, database)
    built: dict[str, float] = {}
    if args.build:
        built = build(sqlite_path, args.postgres, database, args.studies, args.resume)
        if args.repeat == 0:
            return
    # Opening each writable once applies any newer migration (search tables, indexes).
    if not args.no_migrate:
        for url in (f"sqlite:///{sqlite_path}", pg_url):
            open_store(url).close()
    stores: dict[str, Store] = {
        "sqlite": open_store(f"sqlite:///{sqlite_path}", read_only=True),
        "postgres": open_store(pg_url, read_only=True),
    }
    cold: dict[str, Store] = {
        "sqlite": SQLiteStore(sqlite_path, read_only=True, count_cache_size=0),
        "postgres": uncached_postgres(pg_url),
    }

    for backend, store in stores.items():
        stored = store.count_trials(StudyFilter(), 60.0)
        if stored != args.studies:
            raise SystemExit(f"{backend} store holds {stored:,} studies, not {args.studies:,}")
    mix = [q for q in with_repeats(query_mix()) if not args.only or q.kind in args.only]
    jobs: list[Job] = []
    kinds: dict[str, list[str]] = {}
    for q in mix:
        computed = q.kind.startswith(("count", "facets")) and not q.kind.endswith("(cached)")
        suffix = COMPUTED if computed else ""
        jobs.append((q.label + suffix, computed, functools.partial(run_query, query=q)))
        kinds.setdefault(q.kind + suffix, []).append(q.label + suffix)
    if not args.only or "match" in args.only:
        for topic, note in match_queries():
            jobs.append((f"match {topic}", False, functools.partial(run_match, note=note)))
            kinds.setdefault("match (TREC note)", []).append(f"match {topic}")
    print(f"machine: {machine_line()}; {len(jobs)} queries")
    samples, cpu, rows = measure(
        stores,
        cold,
        lambda: {"sqlite": [], "postgres": server_pids(pg_url)},
        jobs,
        args.repeat,
        args.seed,
    )
    for store in (*stores.values(), *cold.values()):
        store.close()
    differ = [label for label, _, _ in jobs if rows["sqlite"][label] != rows["postgres"][label]]
    if args.verbose:
        for label, _, _ in jobs:
            s, p = (samples[b][label] for b in BACKENDS)
            sc, pc = (cpu[b][label] for b in BACKENDS)
            print(
                f"{label[:56]:56} sqlite p50 {statistics.median(s):7.1f} p95 "
                f"{percentile(s, 0.95):7.1f} cpu {statistics.median(sc):7.1f} | pg p50 "
                f"{statistics.median(p):7.1f} p95 {percentile(p, 0.95):7.1f} cpu "
                f"{statistics.median(pc):7.1f} | rows {rows['sqlite'][label]} "
                f"{rows['postgres'][label]}"
            )
    sizes = {"sqlite": sqlite_size(sqlite_path), "postgres": postgres_size(pg_url)}
    block = [
        f"### {dt.datetime.now(dt.UTC):%Y-%m-%d} — {args.studies:,} studies, both backends",
        "",
        f"Machine: {machine_line()}. PostgreSQL 15 (`scripts/pg`: shared_buffers "
        f"{postgres_shared_buffers(pg_url)}, "
        f"fsync off). {args.repeat} rounds after a warm-up, each query on both stores "
        "back to back (order alternating), shuffled per round. Counts and facets "
        '"computed" on stores that remember no answer, "repeated (cached)" asked again of '
        "the ordinary stores. CPU: this process plus the PostgreSQL server's processes.",
        "",
        "| backend | database size GiB | bytes / study |"
        + (" write_batch s | studies/s |" if built else ""),
        "|---|---:|---:|" + ("---:|---:|" if built else ""),
    ]
    for backend in BACKENDS:
        row = f"| {backend} | {sizes[backend] / 2**30:.2f} | {sizes[backend] / args.studies:,.0f} |"
        if built:
            row += f" {built[backend]:,.0f} | {args.studies / built[backend]:,.0f} |"
        block.append(row)
    if built:
        block += [
            "",
            "PostgreSQL `vacuum analyze` after the load: "
            f"{built['postgres vacuum analyze']:,.0f} s.",
        ]
    block += ["", "Wall time:", "", *summary(kinds, samples), ""]
    block += ["CPU time (see above):", "", *summary(kinds, cpu, "CPU ms"), ""]
    block.append(
        "Row counts agree on every query."
        if not differ
        else f"Row counts differ on: {', '.join(differ)}."
    )
    print("\n".join(block))
    if args.write:
        append_to_section(args.write, "## PostgreSQL and scale", block)
        print(f"appended to {args.write}")


if __name__ == "__main__":
    main()
