"""A store holding the 790 real studies of ../shared/data/ctgov, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import BACKENDS
from pg_cluster import backend_store
from trialfinder.ingest import ingest
from trialfinder.store import Store

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session", params=BACKENDS)
def real_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The real-data store on each backend (skips when ../shared/data is absent)."""
    if not (DATA / "ctgov").is_dir():
        pytest.skip(f"real data not found at {DATA / 'ctgov'} (the shared developer sample)")
    with backend_store(request, "search") as store:
        ingest(store, [DATA / "ctgov"])
        yield store
