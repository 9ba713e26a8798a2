"""SIGKILL at 20 seeded random points of `ingest` and of `sync`: the rerun equals an unkilled run.

Each test runs one uninterrupted reference, then kills the same command 20 times on one store,
each time once the store holds a randomly chosen number of records (plus a random few
milliseconds, so the kill lands anywhere: opening the store, parsing, inside a transaction,
between a page's commit and its saved token). After every kill the store must open and hold
whole batches only; after a final rerun it must equal the reference: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ctgov_server import CtgovServer, minimal_study, serve_ctgov
from support import FIXTURES
from trialfinder.store import Store, open_store

SEED = 20261125
KILL_POINTS = 20
MAX_RUNS = 60  # runs that finish before their kill lands are retried at another point
BATCH = 10
GOOD = 1000
BAD = {
    "truncated.json": b'{"protocolSection": {"identificationModule": {"nctId": "NCT0',
    "no-id.json": b'{"protocolSection": {"identificationModule": {"briefTitle": "x"}}}',
    "latin1.json": b'{"protocolSection": {"identificationModule": '
    b'{"nctId": "NCT01234567", "briefTitle": "\xe9t\xe9"}}}',
}
pytestmark = pytest.mark.slow


def _study_bytes(nct_id: str) -> bytes:
    study = json.loads((FIXTURES / "NCT05397184.json").read_text())
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return json.dumps(study).encode()


def fingerprint(store: Store) -> dict[str, object]:
    """What a user could see in the store, independent of write order and backend."""
    stats = store.stats()
    return {
        "raw": sorted(
            (r.nct_id, r.format, r.sha256, r.origin, r.position) for r in store.iter_raw_records()
        ),
        "trials": [
            (t.nct_id, t.brief_title, len(t.locations))
            for t in sorted(store.iter_trials(), key=lambda t: t.nct_id)
        ],
        "quarantine": sorted(
            (e.origin, e.position, e.code, e.raw) for e in store.list_quarantine(limit=100_000)
        ),
        "counts": (stats.trials, stats.sites, stats.locations, stats.quarantined),
        "by_status": stats.by_status,
    }


def _committed(url: str) -> int:
    store = open_store(url)
    try:
        stats = store.stats()
        return stats.trials + stats.quarantined
    finally:
        store.close()


def kill_repeatedly(
    command: list[str], url: str, total: int, rng: random.Random
) -> Iterator[tuple[int, int]]:
    """Run `command` until it has been SIGKILLed KILL_POINTS times at seeded random points.

    Yields (records wanted in the store before the kill, records there after it) per kill. A run
    that finishes before its kill lands (a fast machine, a late point) is not counted as a kill
    point; it is started again at the next point, at most MAX_RUNS runs in all.
    """
    kills = 0
    for _ in range(MAX_RUNS):
        if kills == KILL_POINTS:
            return
        target = rng.randrange(0, int(total * 0.85))
        jitter = rng.uniform(0, 0.01)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if _committed(url) >= target:
                    time.sleep(jitter)
                    os.kill(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.002)
        finally:
            if process.poll() is None and process.returncode is None:
                process.kill()
            _, stderr = process.communicate()
        if process.returncode == 0:
            continue
        assert process.returncode == -signal.SIGKILL, stderr.decode(errors="replace")
        kills += 1
        yield target, _committed(url)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "trialfinder", *args]


def test_ingest_killed_at_20_random_points_then_rerun_equals_uninterrupted(
    tmp_path: Path, store_url: str, postgres_or_sqlite_reference: Callable[[], str]
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for n in range(GOOD):
        (source / f"NCT{90000000 + n}.json").write_bytes(_study_bytes(f"NCT{90000000 + n}"))
    for name, data in BAD.items():
        (source / name).write_bytes(data)
    total = GOOD + len(BAD)

    def command(url: str) -> list[str]:
        return _cli("ingest", str(source), "--batch-size", str(BATCH), "--database", url)

    reference_url = postgres_or_sqlite_reference()
    _run(command(reference_url))
    points = list(kill_repeatedly(command(store_url), store_url, total, random.Random(SEED)))
    assert len(points) == KILL_POINTS
    # Each transaction holds one whole batch: a kill never leaves part of one.
    assert [after % BATCH for _, after in points if after < total] == [0] * sum(
        after < total for _, after in points
    )

    _run(command(store_url))
    killed, reference = open_store(store_url), open_store(reference_url)
    try:
        assert fingerprint(killed) == fingerprint(reference)
        assert killed.stats().trials == GOOD
        assert killed.stats().quarantined == len(BAD)
    finally:
        killed.close()
        reference.close()


SYNC_STUDIES = [minimal_study(f"NCT{20000000 + n}", f"Study {n}", ["Asthma"]) for n in range(200)]
SYNC_STUDIES[95:95] = [
    # Quarantined on every fetch (bad_age): it must be stored once, however often re-fetched.
    json.dumps(
        {
            "protocolSection": {
                "identificationModule": {"nctId": "NCT29999999", "briefTitle": "Bad age"},
                "eligibilityModule": {"minimumAge": "6 Yrs"},
            }
        }
    ).encode()
]

_SYNC_SCRIPT = f"""
import sys
from trialfinder.sources.api_client import CtgovApiClient
from trialfinder.store import open_store
from trialfinder.sync import sync

store = open_store(sys.argv[2])
with CtgovApiClient(sys.argv[1], min_interval=0, max_retries=0) as client:
    # full=True: a run that completes before its kill must not turn the next into an
    # incremental sync (another query, so other origins), which the reference never runs.
    sync(store, client, {{"pageSize": "{BATCH}"}}, full=True)
store.close()
"""


@pytest.fixture(scope="module")
def ctgov() -> Iterator[CtgovServer]:
    with serve_ctgov(SYNC_STUDIES) as server:
        yield server


def test_sync_killed_at_20_random_points_then_rerun_equals_uninterrupted(
    store_url: str, ctgov: CtgovServer, postgres_or_sqlite_reference: Callable[[], str]
) -> None:
    def command(url: str) -> list[str]:
        return [sys.executable, "-c", _SYNC_SCRIPT, ctgov.base_url, url]

    reference_url = postgres_or_sqlite_reference()
    _run(command(reference_url))
    points = list(
        kill_repeatedly(command(store_url), store_url, len(SYNC_STUDIES), random.Random(SEED + 1))
    )
    assert len(points) == KILL_POINTS
    # One page is one transaction.
    assert [after % BATCH for _, after in points if after < len(SYNC_STUDIES)] == [0] * sum(
        after < len(SYNC_STUDIES) for _, after in points
    )

    _run(command(store_url))
    killed, reference = open_store(store_url), open_store(reference_url)
    try:
        assert fingerprint(killed) == fingerprint(reference)
        assert (killed.stats().trials, killed.stats().quarantined) == (200, 1)
    finally:
        killed.close()
        reference.close()
