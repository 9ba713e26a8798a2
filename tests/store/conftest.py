"""Fixtures of the store tests: the shared sample studies in a PostgreSQL store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support import shared_data
from trialfinder.ingest import ingest
from trialfinder.store import open_store
from trialfinder.store.postgres import PostgresStore


@pytest.fixture(scope="module")
def pg_real_store(postgres_database: str) -> Iterator[PostgresStore]:
    """The shared sample studies in a throwaway PostgreSQL schema."""
    from pg_cluster import throwaway_schema

    studies = shared_data("ctgov")
    with throwaway_schema(postgres_database) as url:
        store = open_store(url)
        assert isinstance(store, PostgresStore)
        ingest(store, [studies])
        yield store
        store.close()


@pytest.fixture
def pg_url(postgres_database: str) -> Iterator[str]:
    """An empty throwaway PostgreSQL schema: its URL."""
    from pg_cluster import throwaway_schema

    with throwaway_schema(postgres_database) as url:
        yield url


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PostgresStore]:
    """An open PostgreSQL store on an empty throwaway schema."""
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    yield store
    store.close()
