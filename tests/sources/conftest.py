"""Fixtures for source tests: the local CT.gov API server and the shared real studies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ctgov_server import SAMPLE_STUDIES, CtgovServer, serve_ctgov
from support import shared_data


@pytest.fixture(scope="session")
def shared_studies() -> list[bytes]:
    """The 790 real API v2 studies in ../shared/data/ctgov, ordered by file name."""
    files = sorted(shared_data("ctgov").glob("*.json"))
    if not files:
        pytest.skip(f"no *.json studies in {shared_data('ctgov')}")
    return [path.read_bytes() for path in files]


@pytest.fixture(scope="session")
def ctgov_service() -> Iterator[CtgovServer]:
    """One running fake API for the whole session; use `ctgov_server` in tests."""
    with serve_ctgov() as server:
        yield server


@pytest.fixture
def ctgov_server(ctgov_service: CtgovServer) -> Iterator[CtgovServer]:
    """The fake API serving `SAMPLE_STUDIES`, with no faults queued and an empty request log.

    At teardown it checks that every injected fault was spent.
    """
    ctgov_service.reset(SAMPLE_STUDIES)
    yield ctgov_service
    left = ctgov_service.pending_faults()
    ctgov_service.reset()
    assert left == [], f"faults injected but never reached: {left}"
