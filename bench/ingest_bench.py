"""Ingest benchmark (issue 2): studies/s, peak memory and store bytes per study.

Builds a corpus by replicating the shared API v2 studies under fresh NCT ids (NCT9xxxxxxx; only
the id bytes are rewritten, the records stay real), as a bulk-style zip of per-study JSON files
or as JSON Lines, then ingests it into a fresh store with `trialfinder.ingest.ingest` (the code
path of `trialfinder ingest`), each run in its own process so its memory is measured alone.

    .venv/bin/python bench/ingest_bench.py --studies 100000 --workers 1 2 --repeat 3 --write

The baseline, measured in the same run on the same corpus, is reading it and decoding every
study with stdlib `json.loads` in one process: the ratio says how far ingest is from "just
looking at the data". See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _markdown import append_to_section

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ctgov"
REGISTRY_STUDIES = 600_000
EARLY_MARK = 10_000


# -- corpus ----------------------------------------------------------------------------------


def load_studies(data: Path) -> list[tuple[bytes, bytes]]:
    """Return (nct id, raw bytes) of every shared study, in file-name order."""
    files = sorted(data.glob("*.json"))
    if not files:
        raise SystemExit(f"{data}: no *.json studies; pass --data with the shared CT.gov folder")
    return [(path.stem.encode(), path.read_bytes()) for path in files]


def replicated(studies: list[tuple[bytes, bytes]], count: int) -> Iterator[tuple[str, bytes]]:
    """Yield `count` (fresh id, raw bytes) pairs cycling through `studies`; only ids change."""
    for n in range(count):
        old_id, data = studies[n % len(studies)]
        new_id = f"NCT9{n:07d}"
        yield new_id, data.replace(old_id, new_id.encode())


def build_corpus(data: Path, count: int, folder: Path, fmt: str) -> Path:
    """Write (once; reused after) a corpus of `count` studies and return its path."""
    path = folder / f"ctgov-{count}.{fmt}"
    if path.exists():
        return path
    studies = load_studies(data)
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    if fmt == "zip":
        # Like the registry's bulk download: one pretty-printed JSON file per study, deflated.
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for nct_id, raw in replicated(studies, count):
                archive.writestr(f"{nct_id}.json", raw)
    else:
        # JSON Lines needs one study per line, so these are re-serialised compactly.
        with partial.open("wb") as stream:
            compact = [(i, json.dumps(json.loads(raw)).encode()) for i, raw in studies]
            for _, raw in replicated(compact, count):
                stream.write(raw + b"\n")
    partial.rename(path)
    elapsed = time.perf_counter() - started
    print(f"built {path} ({path.stat().st_size / 1e6:,.0f} MB) in {elapsed:.0f} s")
    return path


# -- one measured ingest (runs in a child process) -------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and all its descendants, in KiB (shared pages split)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        pending += _children(current)
    return total


@dataclass
class RunResult:
    """What one ingest run measured."""

    workers: int
    studies: int
    seconds: float
    rate: float
    early_rate: float
    late_rate: float
    writer_max_rss_mib: float
    worker_max_rss_mib: float
    peak_pss_mib: float
    pss_early_mib: float
    pss_end_mib: float
    store_bytes: int
    cpu_seconds: float
    criteria: bool = True
    counts: dict[str, object] = field(default_factory=dict)
    text_index: str = ""
    index_bytes: int = 0

    @property
    def bytes_per_study(self) -> float:
        return self.store_bytes / max(1, self.studies)


def run_child(
    corpus: Path, store_path: Path, workers: int, batch_size: int | None, criteria: bool
) -> RunResult:
    """Ingest `corpus` into a fresh store at `store_path`, in this process; measure it."""
    from trialfinder.ingest import DEFAULT_BATCH_SIZE, IngestReport, ingest
    from trialfinder.store import open_store
    from trialfinder.store.sqlite_tantivy import text_index_setting

    pid = os.getpid()
    peak = [0]
    marks: list[tuple[int, float]] = []
    early_pss = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], tree_pss_kib(pid))

    def on_batch(report: IngestReport) -> None:
        marks.append((report.read, report.seconds))
        if not early_pss[0] and report.read >= EARLY_MARK:
            early_pss[0] = tree_pss_kib(pid)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    store = open_store(f"sqlite:///{store_path}")
    report = ingest(
        store,
        [corpus],
        workers=workers,
        batch_size=batch_size or DEFAULT_BATCH_SIZE,
        on_batch=on_batch,
        # Only passed when off, so that the script also times trees older than the option.
        **({} if criteria else {"criteria": False}),
    )
    end_pss = tree_pss_kib(pid)
    done.set()
    sampler.join()
    store.close()
    size = sum(
        p.stat().st_size for p in store_path.parent.glob(store_path.name + "*") if p.is_file()
    )
    # The tantivy text index beside the store (`<db>.tantivy/`), when the setting keeps one.
    index_folder = store_path.with_name(store_path.name + ".tantivy")
    index_bytes = sum(p.stat().st_size for p in index_folder.rglob("*") if p.is_file())
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return RunResult(
        workers=workers,
        studies=report.read,
        seconds=report.seconds,
        rate=report.rate,
        early_rate=_window_rate(marks, 0.0, 0.1),
        late_rate=_window_rate(marks, 0.9, 1.0),
        writer_max_rss_mib=own.ru_maxrss / 1024,
        worker_max_rss_mib=workers_usage.ru_maxrss / 1024,
        peak_pss_mib=max(peak[0], end_pss) / 1024,
        pss_early_mib=early_pss[0] / 1024,
        pss_end_mib=end_pss / 1024,
        store_bytes=size,
        cpu_seconds=own.ru_utime + own.ru_stime + workers_usage.ru_utime + workers_usage.ru_stime,
        criteria=criteria,
        counts=report.as_dict(),
        text_index=text_index_setting(),
        index_bytes=index_bytes,
    )


def _window_rate(marks: list[tuple[int, float]], low: float, high: float) -> float:
    """Studies/s between the batches at fractions `low` and `high` of the run's records."""
    if len(marks) < 2:
        return 0.0
    total = marks[-1][0]
    start = min(marks, key=lambda m: abs(m[0] - low * total)) if low else (0, 0.0)
    end = min(marks, key=lambda m: abs(m[0] - high * total))
    return (end[0] - start[0]) / (end[1] - start[1]) if end[1] > start[1] else 0.0


def measure(
    corpus: Path, folder: Path, workers: int, batch_size: int | None, keep: bool, criteria: bool
) -> RunResult:
    """Run one ingest in a fresh child process and return its measurements."""
    store_path = Path(tempfile.mkdtemp(dir=folder, prefix=f"store-w{workers}-")) / "trials.db"
    command = [sys.executable, __file__, "--child", str(corpus), str(store_path), str(workers)]
    command += ["--criteria", "on" if criteria else "off"]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = RunResult(**json.loads(output.splitlines()[-1]))
    if not keep:
        shutil.rmtree(store_path.parent)
    return result


# -- baselines -------------------------------------------------------------------------------


def json_decode_rate(corpus: Path) -> float:
    """Studies/s of reading the corpus (same reader as ingest) and `json.loads` of each study."""
    from trialfinder.ingest import read_sources

    started = time.perf_counter()
    count = 0
    for record in read_sources([corpus]):
        json.loads(record.data)
        count += 1
    return count / (time.perf_counter() - started)


def zlib_levels(data: Path) -> list[tuple[int, float, float, float, float]]:
    """(level, µs and bytes per study for the raw record, then for the encoded trial)."""
    import msgspec

    from trialfinder.sources.ctgov_json import parse_study

    raws = [raw for _, raw in load_studies(data)]
    encoder = msgspec.json.Encoder()
    trials = [encoder.encode(parse_study(raw, "bench")) for raw in raws]

    def cost(corpus: list[bytes], level: int) -> tuple[float, float]:
        started = time.perf_counter()
        sizes = [len(zlib.compress(blob, level)) for blob in corpus]
        elapsed = time.perf_counter() - started
        return elapsed / len(corpus) * 1e6, sum(sizes) / len(sizes)

    return [(level, *cost(raws, level), *cost(trials, level)) for level in (1, 3, 6)]


def table_sizes(store_path: Path) -> list[tuple[str, int]]:
    """Bytes per table (indexes and FTS shadow tables folded into their table), largest first."""
    db = sqlite3.connect(store_path)
    try:
        rows = db.execute(
            """
            select coalesce(m.tbl_name, d.name), sum(d.pgsize)
            from dbstat as d
            left join sqlite_master as m on m.name = d.name
            group by 1
            order by 2 desc
            """
        ).fetchall()
    finally:
        db.close()
    return [(str(name), int(size)) for name, size in rows]


# -- report ----------------------------------------------------------------------------------


def machine() -> str:
    """One line: cores, CPU model, memory, Python, SQLite, commit."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{len(os.sched_getaffinity(0))} cores ({model}), {mem_kib / 2**20:.0f} GiB RAM, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"commit {commit or 'unknown'}"
    )


def summary_table(results: list[RunResult], baseline: list[float]) -> list[str]:
    """Markdown rows: one per worker count, medians over its runs."""
    base = statistics.median(baseline)
    lines = [
        "| criteria | workers | runs | studies/s (median, min–max) | first 10% → last 10% "
        "| vs json.loads "
        "| CPU ms/study | peak PSS, all processes | PSS at 10k → end | max RSS writer / worker "
        "| store bytes/study | 600k projected |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for criteria, workers in sorted({(r.criteria, r.workers) for r in results}):
        runs = [r for r in results if (r.criteria, r.workers) == (criteria, workers)]
        rates = [r.rate for r in runs]
        rate = statistics.median(rates)
        late = statistics.median(r.late_rate for r in runs)
        hours = REGISTRY_STUDIES / min(rate, late or rate) / 60
        lines.append(
            f"| {'read at ingest' if criteria else 'off'} | {workers} | {len(runs)} | "
            f"{rate:,.0f} ({min(rates):,.0f}–{max(rates):,.0f}) | "
            f"{statistics.median(r.early_rate for r in runs):,.0f} → {late:,.0f} | "
            f"{rate / base:.2f}× | "
            f"{statistics.median(r.cpu_seconds / r.studies for r in runs) * 1000:.2f} | "
            f"{statistics.median(r.peak_pss_mib for r in runs):,.0f} MiB | "
            f"{statistics.median(r.pss_early_mib for r in runs):,.0f} → "
            f"{statistics.median(r.pss_end_mib for r in runs):,.0f} MiB | "
            f"{statistics.median(r.writer_max_rss_mib for r in runs):,.0f} / "
            f"{statistics.median(r.worker_max_rss_mib for r in runs):,.0f} MiB | "
            f"{statistics.median(r.bytes_per_study for r in runs):,.0f} | "
            f"{hours:,.0f} min |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the corpus, run and report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=100_000, help="corpus size")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count")
    parser.add_argument(
        "--criteria",
        choices=("on", "off"),
        nargs="+",
        default=["off", "on"],
        help="ingest with criteria readings (on) and/or without (off, like --no-criteria)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="records per transaction")
    parser.add_argument("--format", choices=("zip", "jsonl"), default="zip", help="corpus format")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared study folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "trialfinder-bench",
        help="folder for the corpus (kept and reused) and the stores",
    )
    parser.add_argument("--keep-stores", action="store_true", help="keep each run's store")
    parser.add_argument("--sizes", action="store_true", help="bytes per table of the last store")
    parser.add_argument(
        "--write",
        nargs="?",
        const=ROOT / "BENCHMARKS.md",
        type=Path,
        help="append a dated block to the Ingest section of BENCHMARKS.md (or this file)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        corpus, store_path, workers = args.child
        criteria = args.criteria == ["on"]
        result = run_child(Path(corpus), Path(store_path), int(workers), args.batch_size, criteria)
        print(json.dumps(asdict(result)))
        return

    args.out.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(args.data, args.studies, args.out, args.format)
    print(f"machine: {machine()}")
    results: list[RunResult] = []
    baseline: list[float] = []
    for round_ in range(args.repeat):
        baseline.append(json_decode_rate(corpus))
        print(f"round {round_ + 1}: json.loads baseline {baseline[-1]:,.0f} studies/s")
        for workers, mode in [(w, m) for m in args.criteria for w in args.workers]:
            keep = args.keep_stores or (args.sizes and round_ == args.repeat - 1)
            result = measure(corpus, args.out, workers, args.batch_size, keep, mode == "on")
            results.append(result)
            with (args.out / "results.jsonl").open("a") as log:
                log.write(json.dumps({"round": round_ + 1, **asdict(result)}) + "\n")
            print(
                f"  criteria {mode}, workers={workers}: {result.rate:,.0f} studies/s, "
                f"{result.seconds:,.1f} s, "
                f"CPU {result.cpu_seconds / result.studies * 1000:.2f} ms/study, "
                f"peak PSS {result.peak_pss_mib:,.0f} MiB, "
                f"{result.bytes_per_study:,.0f} B/study "
                f"(+ text index {result.index_bytes / result.studies:,.0f} B/study, "
                f"{result.text_index}), "
                f"{result.counts}"
            )

    levels = zlib_levels(args.data)
    block = [
        f"### {datetime.now(UTC):%Y-%m-%d} — {args.studies:,} studies ({args.format} corpus)",
        "",
        f"Machine: {machine()}.",
        f"Baseline json.loads of the same corpus: {statistics.median(baseline):,.0f} studies/s "
        f"(median of {len(baseline)}).",
        "",
        *summary_table(results, baseline),
        "",
        "zlib level (µs and bytes per study, raw record / encoded trial): "
        + "; ".join(
            f"{lv}: {ru:.0f} µs {rb:,.0f} B / {tu:.0f} µs {tb:,.0f} B"
            for lv, ru, rb, tu, tb in levels
        ),
    ]
    if args.sizes:
        stores = sorted(args.out.glob("store-*/trials.db"), key=lambda p: p.stat().st_mtime)
        sizes = table_sizes(stores[-1])
        block += [
            "",
            "Bytes per study by table: "
            + ", ".join(f"{name} {size / args.studies:,.0f}" for name, size in sizes[:8]),
        ]
    print("\n".join(block))
    if args.write:
        append_to_section(args.write, "## Ingest", block)
        print(f"appended to {args.write}")


if __name__ == "__main__":
    main()
