"""Load benchmark (issues 3, 4): `wrk` on loopback against `trialfinder serve` on a 100k store.

Three endpoints, each hit by `wrk` with 64 connections for a fixed time: the search API
(`GET /api/v2/studies`, rotating over common conditions), the trial page (`GET /trials/{id}`,
random ids of the store) and patient matching (`POST /api/v2/match`, a plain-text note). It
reports requests/s, p50/p99 latency and errors (socket errors and non-2xx answers), samples
the server's resident memory (all its processes) every second to show whether it stays flat, and
gives the CPU seconds each app process used during the run, to show whether the connections
were spread across them, and their CPU per request, which machine load does not move.

`--workers 1 2 4` runs everything once per app-process count (`trialfinder serve --workers N`);
`--database` names the store (several, to compare backends in one run: each runs in turn).
Without `--database`, a SQLite store is built once outside the repo (/tmp/load/trials-100k.db)
from the ingest bench's corpus of replicated real studies (NCT9xxxxxxx ids).

    .venv/bin/python bench/load_bench.py --duration 60 --write
    .venv/bin/python bench/load_bench.py --workers 1 2 4 --duration 20 \
        --database sqlite:////tmp/bench/a.db postgresql://postgres@127.0.0.1:5432/trials

Needs Debian's `wrk` (`apt-get install wrk`). Only 127.0.0.1 is loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _markdown import append_to_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STUDIES = 100_000
DEFAULT_STORE = Path("/tmp/load/trials-100k.db")
CONDITIONS = ["asthma", "breast cancer", "diabetes", "heart failure", "covid-19", "depression"]
NOTE = (
    "62-year-old woman with type 2 diabetes and hypertension, on metformin. "
    "eGFR 55 mL/min/1.73m2. ECOG 1. No prior chemotherapy."
)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One wrk run against one endpoint, and the server's memory during it."""

    backend: str
    workers: int
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float
    worker_cpu_s: tuple[float, ...] = ()
    """CPU seconds each app process used during the run, busiest first: an uneven spread
    means the connections went mostly to some processes."""

    @property
    def cpu_ms_per_request(self) -> float:
        """The app processes' CPU per answered request. On a shared machine requests/s follow
        the CPU the processes got; this one does not, and rises only when they spend CPU on
        something else than the requests (threads, locks, cold caches)."""
        return 1000 * sum(self.worker_cpu_s) / max(1, self.requests)


def build_store(path: Path) -> None:
    """Ingest the ingest bench's 100k corpus into `path` (once)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest_bench import DEFAULT_DATA, build_corpus
    from trialfinder.ingest import ingest
    from trialfinder.store import open_store

    path.parent.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(DEFAULT_DATA, STUDIES, path.parent, "zip")
    store = open_store(f"sqlite:///{path}")
    try:
        report = ingest(store, [corpus], workers=2)
    finally:
        store.close()
    print(f"built {path}: {report.new:,} studies in {report.seconds:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _descendants(pid: int) -> list[int]:
    """`pid`'s child processes, their children, and so on."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` and its descendants in MB (VmRSS, summed)."""
    total = 0.0
    for process in [pid, *_descendants(pid)]:
        try:
            lines = Path(f"/proc/{process}/status").read_text().splitlines()
        except OSError:
            continue  # it ended meanwhile
        total += sum(int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:"))
    return total


def cpu_by_process(pid: int) -> dict[int, float]:
    """CPU time (user + system) used so far by process `pid` and each of its descendants."""
    used = {}
    for process in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        used[process] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid` and its descendants."""
    return sum(cpu_by_process(pid).values())


def worker_cpu(before: dict[int, float], after: dict[int, float]) -> tuple[float, ...]:
    """CPU seconds each process used between two `cpu_by_process` readings, busiest first,
    leaving out those that used next to none (the supervisor and its helpers)."""
    spent = [after[pid] - before.get(pid, 0.0) for pid in after]
    return tuple(sorted((s for s in spent if s >= 0.05), reverse=True))


def wait_until_idle(pid: int, timeout: float = 300) -> None:
    """Wait until the server has finished the requests wrk left in flight (< 5% CPU for 1 s),
    so that they do not eat into the next endpoint's run."""
    deadline = time.monotonic() + timeout
    used = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now - used < 0.05:
            return
        used = now


def warm_up(base: str, nct_id: str) -> None:
    """One trial page and one match, one at a time: what each app process loads on first use
    (criteria rules, units, templates) is loaded before 64 requests ask for it at once."""
    urllib.request.urlopen(f"{base}/trials/{nct_id}", timeout=300).read()
    match = urllib.request.Request(
        f"{base}/api/v2/match?limit=10&date=2025-01-01",
        data=NOTE.encode(),
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(match, timeout=300).read()


def wait_until_up(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/v2/version", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{base} did not answer within {timeout:.0f} s")


def lua_script(kind: str, ids: list[str]) -> str:
    """A wrk script that rotates requests of `kind` over conditions or trial ids."""
    if kind == "search":
        paths = [
            f"/api/v2/studies?query.cond={c.replace(' ', '+')}&pageSize=10" for c in CONDITIONS
        ]
    elif kind == "trial":
        paths = [f"/trials/{nct_id}" for nct_id in ids]
    else:
        paths = ["/api/v2/match?limit=10&date=2025-01-01"]
    table = ", ".join(f'"{p}"' for p in paths)
    body = NOTE.replace('"', '\\"')
    method = (
        f'wrk.method = "POST"\nwrk.body = "{body}"\nwrk.headers["Content-Type"] = "text/plain"\n'
        if kind == "match"
        else ""
    )
    return (
        f"{method}local paths = {{{table}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, paths[(n % #paths) + 1])\n"
        "end\n"
    )


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    """(requests/s, p50 ms, p99 ms, requests, errors) from `wrk --latency` output."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    return rate, p50, p99, count, errors


def run_wrk(
    server: tuple[str, int],
    name: str,
    base: str,
    script: str,
    duration: int,
    connections: int,
    pid: int,
) -> LoadResult:
    """Run wrk for `duration` seconds and sample the server's memory meanwhile."""
    samples: list[float] = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            samples.append(rss_mb(pid))

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = cpu_by_process(pid)
    try:
        output = subprocess.run(
            ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s"]
            + ["-s", lua.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        done.set()
        sampler.join()
        os.unlink(lua.name)
    spread = worker_cpu(cpu_before, cpu_by_process(pid))
    samples.append(rss_mb(pid))
    rate, p50, p99, count, errors = parse_wrk(output)
    return LoadResult(
        *server, name, rate, p50, p99, count, errors, samples[0], samples[-1], max(samples), spread
    )


def backend_name(url: str) -> str:
    """'SQLite' or 'PostgreSQL', from a database URL."""
    return "PostgreSQL" if url.startswith(("postgresql://", "postgres://")) else "SQLite"


def trial_ids(url: str, count: int = 500) -> tuple[list[str], int]:
    """`count` NCT ids of the store, drawn at random (the same ones for the same store), and
    how many trials it holds."""
    import random

    from trialfinder.store import open_store
    from trialfinder.store.base import StudyFilter, StudySort

    store = open_store(url, read_only=True)
    try:
        hits = store.search_trials(StudyFilter(), StudySort("nct_id"), 10**7, 0, 120.0)
    finally:
        store.close()
    drawn = random.Random(4).sample([hit.nct_id for hit in hits], min(count, len(hits)))
    return drawn, len(hits)


def table(
    results: list[LoadResult], duration: int, connections: int, note: str, studies: list[int]
) -> list[str]:
    """Markdown table of the results, with requests/s relative to one app process."""
    sizes = " / ".join(f"{n:,}" for n in sorted(set(studies)))
    lines = [
        f"`wrk -t2 -c{connections} -d{duration}s` on 127.0.0.1 against `trialfinder serve "
        f"--workers N` over a {sizes}-study store. {note}",
        "",
        "| store | workers | endpoint | requests/s | vs 1 worker | p50 ms | p99 ms | requests "
        "| errors | server RSS start → end (max) MB | CPU s per process | CPU ms / request |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    single = {(r.backend, r.name): r.requests_per_s for r in results if r.workers == 1}
    for r in results:
        base = single.get((r.backend, r.name))
        ratio = f"{r.requests_per_s / base:.2f}×" if base else "—"
        lines.append(
            f"| {r.backend} | {r.workers} | {r.name} | {r.requests_per_s:,.1f} | {ratio} | "
            f"{r.p50_ms:,.1f} | {r.p99_ms:,.1f} | {r.requests:,} | {r.errors} | "
            f"{r.rss_start_mb:,.0f} → {r.rss_end_mb:,.0f} ({r.rss_max_mb:,.0f}) | "
            + " / ".join(f"{s:.1f}" for s in r.worker_cpu_s)
            + f" | {r.cpu_ms_per_request:,.1f} |"
        )
    return lines


def serve_and_load(
    url: str, workers: int, kinds: list[str], ids: list[str], args: argparse.Namespace
) -> tuple[list[LoadResult], int]:
    """Start `trialfinder serve --workers N` on `url`, load each endpoint; (results, tracebacks)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results = []
    # The log goes to a file, not a pipe: a full pipe would stall the server.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "trialfinder", "serve", "--port", str(port)]
            + ["--database", url, "--workers", str(workers)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: the workers stop with it
        )
        try:
            wait_until_up(base)
            # One process answering is not all of them started: wait until none is busy.
            wait_until_idle(server.pid)
            warm_up(base, ids[0])
            for kind in kinds:
                if args.warmup:
                    # Unmeasured: every worker process opens its connections, fills its caches.
                    script = lua_script(kind, ids)
                    run_wrk(("", 0), kind, base, script, args.warmup, args.connections, server.pid)
                    wait_until_idle(server.pid)
                result = run_wrk(
                    (backend_name(url), workers),
                    kind,
                    base,
                    lua_script(kind, ids),
                    args.duration,
                    args.connections,
                    server.pid,
                )
                print(result, flush=True)
                results.append(result)
                wait_until_idle(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Still answering requests wrk queued: drop them.
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.seek(0)
        return results, log.read().decode(errors="replace").count("Traceback")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        nargs="*",
        default=[f"sqlite:///{DEFAULT_STORE}"],
        help="store URLs, each loaded in turn (default: the SQLite store, built when absent)",
    )
    parser.add_argument("--workers", type=int, nargs="*", default=[1], help="app processes")
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds first")
    parser.add_argument("--only", nargs="*", default=["search", "trial", "match"])
    parser.add_argument("--note", default="", help="a remark for the table (machine load…)")
    parser.add_argument(
        "--write",
        nargs="?",
        const=ROOT / "BENCHMARKS.md",
        type=Path,
        help="append the table to a BENCHMARKS.md section (see --section)",
    )
    parser.add_argument("--section", default="## PostgreSQL and scale")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    if args.database == [f"sqlite:///{DEFAULT_STORE}"] and not DEFAULT_STORE.exists():
        build_store(DEFAULT_STORE)
    results: list[LoadResult] = []
    tracebacks = 0
    studies = []
    for url in args.database:
        ids, stored = trial_ids(url)
        studies.append(stored)
        for workers in args.workers:
            found, logged = serve_and_load(url, workers, args.only, ids, args)
            results += found
            tracebacks += logged
    lines = table(results, args.duration, args.connections, args.note, studies)
    lines.append("")
    lines.append(f"Tracebacks in the server logs: {tracebacks}.")
    print("\n".join(lines))
    if args.write:
        append_to_section(args.write, args.section, lines)
        print(f"appended to {args.write}")


if __name__ == "__main__":
    main()
