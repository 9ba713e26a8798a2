"""Sync from the live API (a local real-format server): paging, resume, incremental, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctgov_server import CtgovServer, drop, minimal_study, serve_ctgov, status
from trialfinder.cli import app
from trialfinder.errors import SourceError
from trialfinder.sources.api_client import CtgovApiClient
from trialfinder.store import Store
from trialfinder.sync import sync, sync_key

STUDIES = [minimal_study(f"NCT{10000000 + n}", f"Study {n}", ["Asthma"]) for n in range(25)]
TODAY = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def service() -> Iterator[CtgovServer]:
    with serve_ctgov(STUDIES) as server:
        yield server


@pytest.fixture
def server(service: CtgovServer) -> Iterator[CtgovServer]:
    service.reset(STUDIES)
    yield service
    assert service.pending_faults() == []


def _client(server: CtgovServer) -> CtgovApiClient:
    return CtgovApiClient(server.base_url, min_interval=0, backoff=0.001, max_retries=3)


def test_sync_pages_to_the_end_through_faults(store: Store, server: CtgovServer) -> None:
    server.inject(status(429, retry_after=0), status(500), drop())
    with _client(server) as client:
        report = sync(store, client, {"pageSize": "10"}, today=TODAY)
    assert (report.read, report.new, report.quarantined) == (25, 25, 0)
    assert store.stats().trials == 25
    assert store.get_state(f"{sync_key({'pageSize': '10'})}:token") is None


def test_interrupted_sync_resumes_at_the_saved_page(store: Store, server: CtgovServer) -> None:
    params = {"pageSize": "10"}

    def fail_after_first_page(*_: object) -> None:
        server.inject(*[status(503)] * 4)

    with _client(server) as client, pytest.raises(SourceError):
        sync(store, client, params, today=TODAY, on_page=fail_after_first_page)
    # Page 1 was committed and its token saved before page 2 failed for good.
    assert store.stats().trials == 10
    saved = store.get_state(f"{sync_key(params)}:token")
    assert saved is not None
    with _client(server) as client:
        report = sync(store, client, params, today=TODAY)
    assert (report.read, report.new) == (15, 15)
    assert server.requests[-2].params.get("pageToken") == saved
    assert store.stats().trials == 25


def test_limit_takes_a_bounded_slice_and_next_run_continues(
    store: Store, server: CtgovServer
) -> None:
    with _client(server) as client:
        first = sync(store, client, {}, limit=10, today=TODAY)
        second = sync(store, client, {}, limit=10, today=TODAY)
    assert (first.read, first.new) == (10, 10)
    assert (second.read, second.new) == (10, 10)
    assert server.requests[0].params["pageSize"] == "10"
    assert store.stats().trials == 20


def test_complete_sync_makes_the_next_one_incremental(store: Store, server: CtgovServer) -> None:
    params = {"query.cond": "asthma"}
    with _client(server) as client:
        sync(store, client, params, today=TODAY)
        sync(store, client, params, today=TODAY)
    assert "filter.advanced" not in server.requests[0].params
    assert server.requests[-1].params["filter.advanced"] == (
        "AREA[LastUpdatePostDate]RANGE[2026-11-24,MAX]"
    )


def test_cli_sync_against_local_server(tmp_path: Path, server: CtgovServer) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    result = CliRunner().invoke(
        app,
        [
            "sync",
            "--base-url",
            server.base_url,
            "--min-interval",
            "0",
            "--status",
            "recruiting",
            "--cond",
            "asthma",
            "--limit",
            "5",
            "--json",
            "--database",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["new"] == 5
    assert server.requests[0].params["filter.overallStatus"] == "RECRUITING"
    assert server.requests[0].params["query.cond"] == "asthma"


def test_cli_sync_unreachable_api_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "sync",
            "--base-url",
            "http://127.0.0.1:9/api/v2",
            "--min-interval",
            "0",
            "--retries",
            "0",
            "--database",
            f"sqlite:///{tmp_path / 'trials.db'}",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
