"""Fixtures of the web tests: the whole app (API and website) over the shared real records."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from support import shared_data
from trialfinder.api import create_app
from trialfinder.ingest import ingest
from trialfinder.store import Store, open_store

with warnings.catch_warnings():
    # starlette asks for the httpx2 package; plain httpx still works for in-process tests.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store of the 790 shared ClinicalTrials.gov records (skips when they are absent)."""
    records = shared_data("ctgov")
    store = open_store(str(tmp_path_factory.mktemp("web") / "shared.db"))
    ingest(store, [records])
    yield store
    store.close()


@pytest.fixture(scope="session")
def client(web_store: Store) -> Iterator[TestClient]:
    """A TestClient of `create_app` over the shared store."""
    with TestClient(create_app(store=web_store)) as test_client:
        yield test_client
