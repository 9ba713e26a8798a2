"""The live API source misbehaving (a local server on 127.0.0.1): the sync finishes, or stops with
a clear message and resumes later, storing every study once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctgov_server import (
    CtgovServer,
    Fault,
    malformed,
    minimal_study,
    repeat_token,
    serve_ctgov,
    slow,
    status,
)
from trialfinder.cli import app
from trialfinder.errors import SourceError
from trialfinder.sources.api_client import CtgovApiClient
from trialfinder.store import Store, open_store
from trialfinder.sync import sync, sync_key

PARAMS = {"pageSize": "10"}
KEY = sync_key(PARAMS)
BAD_AGE = json.dumps(
    {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT19999999", "briefTitle": "Bad age"},
            "eligibilityModule": {"minimumAge": "6 Yrs"},
        }
    }
).encode()
# 25 good studies and, on page 2, one that is quarantined: 3 pages of 10, 10 and 6.
STUDIES = [minimal_study(f"NCT{10000000 + n}", f"Study {n}", ["Asthma"]) for n in range(15)]
STUDIES += [BAD_AGE] + [
    minimal_study(f"NCT{10000000 + n}", f"Study {n}", ["Asthma"]) for n in range(15, 25)
]


@pytest.fixture(scope="module")
def service() -> Iterator[CtgovServer]:
    with serve_ctgov(STUDIES) as server:
        yield server


@pytest.fixture
def server(service: CtgovServer) -> Iterator[CtgovServer]:
    service.reset(STUDIES)
    yield service
    assert service.pending_faults() == []


def _client(server: CtgovServer, waits: list[float] | None = None) -> CtgovApiClient:
    # The read timeout is far above a normal answer even on a loaded 2-core CI machine (a 0.5 s
    # timeout once tripped on a healthy page there), and the slow faults are twice as long.
    sleep = waits.append if waits is not None else (lambda _: None)
    return CtgovApiClient(
        server.base_url, min_interval=0, backoff=0.5, max_retries=3, timeout=2.0, sleep=sleep
    )


def _assert_complete(store: Store) -> None:
    stats = store.stats()
    assert (stats.trials, stats.quarantined) == (25, 1)
    assert store.get_state(f"{KEY}:token") is None
    assert store.get_state(f"{KEY}:since") is not None


RECOVERED = {
    "slow-past-read-timeout": [slow(4.0), slow(4.0)],
    "429-retry-after": [status(429, retry_after=2)],
    "5xx-burst": [status(500), status(502), status(503)],
    "malformed-json": [malformed(), malformed()],
}


@pytest.mark.parametrize("faults", RECOVERED.values(), ids=RECOVERED.keys())
def test_sync_rides_out_a_misbehaving_page(
    store: Store, server: CtgovServer, faults: list[Fault]
) -> None:
    waits: list[float] = []

    def fault_on_page_2(*_: object) -> None:
        if not waits and len(server.requests) == 1:
            server.inject(*faults)

    with _client(server, waits) as client:
        report = sync(store, client, PARAMS, on_page=fault_on_page_2)
    assert (report.read, report.new, report.quarantined) == (26, 25, 1)
    assert len(server.requests) == 3 + len(faults)
    assert len(waits) == len(faults)
    if faults[0].retry_after is not None:
        assert waits == [2.0]
    _assert_complete(store)


STOPPED = {
    "5xx-past-retries": (
        [status(503)] * 4,
        "gave up after 4 attempts (max_retries=3); last failure: HTTP 503 Service Unavailable",
    ),
    "malformed-past-retries": (
        [malformed()] * 4,
        "gave up after 4 attempts (max_retries=3); last failure: malformed page: "
        "Input data was truncated",
    ),
    "429-past-retries": (
        [status(429, retry_after=1)] * 4,
        "gave up after 4 attempts (max_retries=3); last failure: HTTP 429 Too Many Requests",
    ),
    "repeated-page-token": (
        [repeat_token()],
        "already used; stopping instead of paging in a loop",
    ),
}


@pytest.mark.parametrize("faults, message", STOPPED.values(), ids=STOPPED.keys())
def test_sync_stops_with_a_clear_message_then_resumes(
    store: Store, server: CtgovServer, faults: list[Fault], message: str
) -> None:
    def fault_after_page_1(*_: object) -> None:
        if len(server.requests) == 1:
            server.inject(*faults)

    with _client(server) as client, pytest.raises(SourceError) as stopped:
        sync(store, client, PARAMS, on_page=fault_after_page_1)
    assert message in str(stopped.value)
    assert str(stopped.value).startswith("GET http://127.0.0.1:")
    saved = store.get_state(f"{KEY}:token")
    assert saved is not None
    assert (store.stats().trials, store.stats().quarantined) == (10, 0)

    resumed_at = len(server.requests)
    with _client(server) as client:
        sync(store, client, PARAMS)
    assert server.requests[resumed_at].params.get("pageToken") == saved
    _assert_complete(store)


def test_death_between_a_page_commit_and_its_token_stores_nothing_twice(
    store_url: str, server: CtgovServer
) -> None:
    """A kill after page 2 is committed but before its token is saved: page 2 is fetched again."""

    class DiesSavingToken:
        def __init__(self, store: Store) -> None:
            self.store = store

        def __getattr__(self, name: str) -> object:
            return getattr(self.store, name)

        def set_state(self, key: str, value: str | None) -> None:
            stats = self.store.stats()
            if key.endswith(":token") and stats.trials + stats.quarantined == 20:
                raise SystemExit("killed")
            self.store.set_state(key, value)

    store = open_store(store_url)
    try:
        with _client(server) as client, pytest.raises(SystemExit):
            sync(DiesSavingToken(store), client, PARAMS)  # type: ignore[arg-type]
        assert (store.stats().trials, store.stats().quarantined) == (19, 1)
        with _client(server) as client:
            sync(store, client, PARAMS)
        _assert_complete(store)
        entries = store.list_quarantine()
        assert [(e.code, e.raw) for e in entries] == [("bad_age", BAD_AGE)]
    finally:
        store.close()


def test_cli_sync_stops_with_one_error_line_and_resumes(
    tmp_path: Path, server: CtgovServer
) -> None:
    database = f"sqlite:///{tmp_path / 'trials.db'}"
    command = ["sync", "--base-url", server.base_url, "--min-interval", "0", "--retries", "1"]
    command += ["--database", database]
    server.inject(status(503), status(503))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: GET http://127.0.0.1:")
    assert lines[0].endswith(
        "gave up after 2 attempts (max_retries=1); last failure: HTTP 503 Service Unavailable"
    )
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    store = open_store(database)
    try:
        assert (store.stats().trials, store.stats().quarantined) == (25, 1)
    finally:
        store.close()
