"""A store holding the 790 real studies of ../shared/data/ctgov, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trialfinder.ingest import ingest
from trialfinder.store import Store, open_store

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The real-data store (skips when ../shared/data is absent)."""
    if not (DATA / "ctgov").is_dir():
        pytest.skip(f"real data not found at {DATA / 'ctgov'} (the shared developer sample)")
    store = open_store(str(tmp_path_factory.mktemp("search") / "t.db"))
    ingest(store, [DATA / "ctgov"])
    yield store
    store.close()
