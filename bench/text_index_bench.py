"""FTS5 against the tantivy text index (issue 8), on the same SQLite store, query by query.

Runs the text kinds of `search_bench.py`'s mix (condition + place + filters, free text) through
`SQLiteStore.search_trials` twice per round, once searching FTS5 and once with the tantivy index
(the two in alternating order), and reports wall and CPU p50/p95 per kind for each. Before
timing, it checks every query's match set: the trials the index matches (place aside) against
FTS5's, and near a place the whole filtered set of the index's exact page walk against FTS5's.

The store is opened read-only; the index is one `trialfinder reindex` (or
`sqlite_tantivy.rebuild`) made of it, given by path, and used whatever log the store has (a
store older than migration 0010 has none).

    .venv/bin/python bench/text_index_bench.py --store /tmp/bench/500000.db \\
        --index /tmp/h2/index500 --repeat 5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import Query, machine_line, percentile, query_mix  # noqa: E402
from trialfinder.search import query_from_params  # noqa: E402
from trialfinder.store import sqlite_search, sqlite_tantivy  # noqa: E402
from trialfinder.store.base import StudyFilter  # noqa: E402
from trialfinder.store.sqlite import SQLiteStore  # noqa: E402
from trialfinder.store.sqlite_tantivy_search import serves, tantivy_matches, tantivy_page  # noqa: E402

KINDS = ("cond+place+filters", "free text")


class TrustedReader(sqlite_tantivy.TextIndexReader):
    """The index at `path`, used without comparing it with the store's log."""

    def current(self, db: sqlite3.Connection) -> sqlite_tantivy.OpenIndex | None:
        """The index, opened once."""
        if self._open is None:
            self._open = sqlite_tantivy.open_index(self.path)
        return self._open


def _fts5_set(store: SQLiteStore, where: StudyFilter) -> set[str]:
    sql, params = sqlite_search.study_search_sql(where, None)
    return {row[1] for row in store._db.execute(sql, params)}


def check(store: SQLiteStore, reader: TrustedReader, query: Query) -> str:
    """'same', 'FTS5' (the index does not serve it) or what differs."""
    parsed = query_from_params(query.params)
    where, sort = parsed.study_filter(), parsed.study_sort()
    index = reader.current(store._db)
    assert index is not None
    if not serves(where, sort):
        return "FTS5 (not served)"
    matched = tantivy_matches(index, where)
    if matched is None:
        return "FTS5 (not expressible)"
    names = dict(
        store._db.execute(
            """
            select
                rowid, nct_id
            from trials
            where rowid in (select value from json_each(:rowids))
            """,
            {"rowids": json.dumps(sorted(matched))},
        )
    )
    unplaced = _fts5_set(store, dataclasses.replace(where, geo=None))
    if set(names.values()) != unplaced:
        return f"differs: {len(matched)} vs FTS5 {len(unplaced)}"
    if where.geo is not None:
        page = tantivy_page(store._db, index, where, 1_000_000, 0)
        placed = _fts5_set(store, where)
        if page is None or {nct for nct, _ in page} != placed:
            return f"place differs: {None if page is None else len(page)} vs FTS5 {len(placed)}"
    elif tantivy_page(store._db, index, where, 10, 0) is None:
        return "FTS5 (page not confirmed by FTS5)"
    return f"same ({len(unplaced):,} matches)"


def main(argv: list[str] | None = None) -> None:
    """Check match sets, then time both engines interleaved, and print a Markdown table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="SQLite store (read-only)")
    parser.add_argument("--index", type=Path, required=True, help="its tantivy index folder")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds")
    parser.add_argument("--only", default="", help="only queries whose label contains this")
    parser.add_argument("--no-check", action="store_true", help="skip the match-set check")
    parser.add_argument(
        "--tantivy-only",
        action="store_true",
        help="time the index alone (before/after runs of tantivy code; FTS5 is the same in both)",
    )
    parser.add_argument(
        "--samples", type=Path, help="also write every sample here (JSON: engine, query, ms)"
    )
    args = parser.parse_args(argv)
    fts5 = SQLiteStore(args.store, read_only=True)
    indexed = SQLiteStore(args.store, read_only=True)
    reader = TrustedReader(args.index)
    indexed._text_index = reader
    mix = [q for q in query_mix() if q.kind in KINDS and args.only in q.label]
    kinds = {q.label: q.kind for q in mix}
    print(f"machine: {machine_line()}; {len(mix)} queries")
    if not args.no_check:
        for query in mix:
            print(f"  match set {query.label[:50]:50} {check(fts5, reader, query)}", flush=True)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.repeat + 1):
        for n, query in enumerate(mix):
            parsed = query_from_params(query.params)
            where, sort = parsed.study_filter(), parsed.study_sort()
            engines = [("FTS5", fts5), ("tantivy", indexed)]
            if (n + round_) % 2:
                engines.reverse()
            if args.tantivy_only:
                engines = [("tantivy", indexed)]
            for name, store in engines:
                started, cpu = time.perf_counter(), time.process_time()
                store.search_trials(where, sort, 10, 0, 60.0)
                wall = (time.perf_counter() - started) * 1000
                used = (time.process_time() - cpu) * 1000
                if round_:
                    samples.setdefault((name, query.label), []).append((wall, used))
        print(f"  round {round_}/{args.repeat}", flush=True)
    if args.samples is not None:
        rows = [
            {"engine": name, "query": label, "kind": kinds[label], "wall_ms": w, "cpu_ms": c}
            for (name, label), values in samples.items()
            for w, c in values
        ]
        args.samples.write_text(json.dumps(rows), "utf-8")
    print("| kind | engine | queries | samples | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in KINDS:
        labels = [q.label for q in mix if q.kind == kind]
        for name in ("FTS5", "tantivy"):
            values = [s for label in labels for s in samples.get((name, label), [])]
            if not values:
                continue
            walls, cpus = [w for w, _ in values], [c for _, c in values]
            print(
                f"| {kind} | {name} | {len(labels)} | {len(values)} | "
                f"{statistics.median(walls):.1f} | {percentile(walls, 0.95):.1f} | "
                f"{statistics.median(cpus):.1f} | {percentile(cpus, 0.95):.1f} |"
            )
    print()
    for query in mix:
        cells = []
        for name in ("FTS5", "tantivy"):
            if (name, query.label) not in samples:
                continue
            cpus = [c for _, c in samples[name, query.label]]
            cells.append(f"{name} CPU p50 {statistics.median(cpus):7.1f}")
        print(f"{query.label[:56]:56} " + "  ".join(cells))


if __name__ == "__main__":
    main()
