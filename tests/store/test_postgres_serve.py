"""Two `trialfinder serve` processes on one PostgreSQL database agree while an ingest runs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import shared_data
from trialfinder.ingest import IngestReport, ingest
from trialfinder.store import open_store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BATCH = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [str(Path(sys.executable).parent / "trialfinder"), "serve", "--port", str(port)]
    env = {**os.environ, "TRIALFINDER_DATABASE": url}
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def _wait(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"trialfinder serve exited:\n{log.read_text()}")
        try:
            if httpx.get(base + "/api/v2/version", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"trialfinder serve did not answer on {base}:\n{log.read_text()}")


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    """The shared studies split in two folders: 300 served from the start, the rest ingested."""
    files = sorted(shared_data("ctgov").glob("*.json"))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for index, path in enumerate(files):
        shutil.copy(path, (first if index < 300 else second) / path.name)
    return first, second


@pytest.fixture
def servers(postgres_database: str, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    from pg_cluster import throwaway_schema

    with throwaway_schema(postgres_database) as url:
        open_store(url).close()  # migrate once, before two processes race to
        started = [_serve(url, tmp_path / f"serve-{n}.log") for n in (1, 2)]
        try:
            for n, (process, base) in enumerate(started, start=1):
                _wait(base, process, tmp_path / f"serve-{n}.log")
            yield url, [base for _, base in started]
        finally:
            for process, _ in started:
                process.terminate()
                process.wait(timeout=30)


def _chunks(folder: Path, size: int, into: Path) -> list[Path]:
    """`folder`'s files in folders of `size` files (a multiple of the batch size)."""
    files = sorted(folder.glob("*.json"))
    chunks = []
    for number, start in enumerate(range(0, len(files), size)):
        chunk = into / f"chunk-{number}"
        chunk.mkdir()
        for path in files[start : start + size]:
            shutil.copy(path, chunk / path.name)
        chunks.append(chunk)
    return chunks


def test_two_app_processes_agree_while_an_ingest_runs(
    servers: tuple[str, list[str]], corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    url, bases = servers
    first, second = corpus
    store = open_store(url)
    ingest(store, [first])
    served = sorted(p.stem for p in first.glob("*.json"))[:5]
    total = 300 + len(list(second.glob("*.json")))
    reports: list[IngestReport] = []
    totals: set[int] = set()
    seen = threading.Condition()

    def write() -> None:
        # The ingest goes on in chunks of whole batches; after each, it waits (up to 30 s)
        # until a reader has seen the new total, so that readers meet the store between
        # writes as well as during them however fast the ingest runs.
        written = 300
        for chunk in _chunks(second, 2 * BATCH, tmp_path):
            reports.append(ingest(store, [chunk], batch_size=BATCH))
            written += reports[-1].new
            with seen:
                seen.wait_for(lambda target=written: target in totals, timeout=30)

    writer = threading.Thread(target=write)
    clients = [httpx.Client(base_url=base, timeout=30) for base in bases]
    rounds = 0
    writer.start()
    while writer.is_alive() or rounds < 3:
        rounds += 1
        for nct_id in served:
            one, two = (client.get(f"/api/v2/studies/{nct_id}") for client in clients)
            assert (one.status_code, two.status_code) == (200, 200)
            assert one.json() == two.json()
        for client in clients:
            page = client.get("/api/v2/studies", params={"countTotal": "true", "pageSize": 1})
            assert page.status_code == 200, page.text
            with seen:
                totals.add(page.json()["totalCount"])
                seen.notify_all()
    writer.join()
    store.close()
    assert sum(report.new for report in reports) == total - 300
    # Whole batches only: a reader sees 300 + a multiple of the batch size, or everything.
    assert {t for t in totals if (t - 300) % BATCH != 0 and t != total} == set()
    assert max(totals) == total
    assert len(totals) > 2, "no request was answered while the ingest ran"
    for query in (
        {"query.term": "cancer", "pageSize": 20, "countTotal": "true"},
        {"query.cond": "leukemia", "filter.geo": "distance(42.35,-71.06,50mi)", "sort": "distance"},
        {"query.intr": "pembrolizumab", "filter.overallStatus": "RECRUITING"},
    ):
        one, two = (client.get("/api/v2/studies", params=query) for client in clients)
        assert one.status_code == 200, one.text
        assert one.json() == two.json()
    facets = [client.get("/api/v2/facets", params={"query.term": "asthma"}) for client in clients]
    assert facets[0].json() == facets[1].json()
    for client in clients:
        client.close()
