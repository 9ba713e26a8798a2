"""Load benchmark (issue 4): `wrk` on loopback against `trialfinder serve` over a 100k-study store.

Three endpoints, each hit by `wrk` with 64 connections for a fixed time: the search API
(`GET /api/v2/studies`, rotating over common conditions), the trial page (`GET /trials/{id}`,
random ids of the store) and patient matching (`POST /api/v2/match`, a plain-text note). It
reports requests/s, p50/p99 latency and errors (socket errors and non-2xx answers), and samples
the server's resident memory every second to show whether it stays flat.

The store is built once outside the repo (default /tmp/load/trials-100k.db) from the ingest
bench's corpus of replicated real studies (NCT9xxxxxxx ids), unless it already exists.

    .venv/bin/python bench/load_bench.py --duration 60 --write

Needs Debian's `wrk` (`apt-get install wrk`). Only 127.0.0.1 is loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

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

    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float


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


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
    name: str, base: str, script: str, duration: int, connections: int, pid: int
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
    samples.append(rss_mb(pid))
    rate, p50, p99, count, errors = parse_wrk(output)
    return LoadResult(name, rate, p50, p99, count, errors, samples[0], samples[-1], max(samples))


def table(results: list[LoadResult], duration: int, connections: int, note: str) -> list[str]:
    lines = [
        f"`wrk -t2 -c{connections} -d{duration}s` on 127.0.0.1 against `trialfinder serve` "
        f"(one process) over a {STUDIES:,}-study SQLite store. {note}",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | requests | errors | server RSS start → "
        "end (max) MB |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.requests_per_s:,.1f} | {r.p50_ms:,.1f} | {r.p99_ms:,.1f} | "
            f"{r.requests:,} | {r.errors} | {r.rss_start_mb:,.0f} → {r.rss_end_mb:,.0f} "
            f"({r.rss_max_mb:,.0f}) |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--only", nargs="*", default=["search", "trial", "match"])
    parser.add_argument("--note", default="", help="a remark for the table (machine load…)")
    parser.add_argument("--write", action="store_true", help="print the Markdown table")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    if not args.store.exists():
        build_store(args.store)
    import sqlite3

    with sqlite3.connect(f"file:{args.store}?mode=ro", uri=True) as db:
        ids = [
            row[0] for row in db.execute("select nct_id from trials order by random() limit 500")
        ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "trialfinder", "serve", "--port", str(port)]
        + ["--database", f"sqlite:///{args.store}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(base)
        results = []
        for kind in args.only:
            result = run_wrk(
                kind, base, lua_script(kind, ids), args.duration, args.connections, server.pid
            )
            print(result, flush=True)
            results.append(result)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    errors_logged = stderr.decode(errors="replace").count("Traceback")
    lines = table(results, args.duration, args.connections, args.note)
    lines.append("")
    lines.append(f"Tracebacks in the server log: {errors_logged}.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
