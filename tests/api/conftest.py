"""An in-process API client over the 790 real studies, built once per session."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from conftest import BACKENDS
from pg_cluster import backend_store
from trialfinder.api import create_app
from trialfinder.ingest import ingest
from trialfinder.store import Store

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

with warnings.catch_warnings():
    # starlette asks for the httpx2 package; plain httpx still works for in-process tests.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture(scope="session", params=BACKENDS)
def api_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The real-data store on each backend (skips when ../shared/data is absent)."""
    if not (DATA / "ctgov").is_dir():
        pytest.skip(f"real data not found at {DATA / 'ctgov'} (the shared developer sample)")
    with backend_store(request, "api") as store:
        ingest(store, [DATA / "ctgov"])
        yield store


@pytest.fixture(scope="session")
def client(api_store: Store) -> Iterator[Any]:
    """A TestClient of `create_app` over the real-data store."""
    with TestClient(create_app(store=api_store)) as test_client:
        yield test_client
