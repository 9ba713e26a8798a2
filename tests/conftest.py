"""Fixtures shared by every test: fresh stores, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_cluster import TEXT_INDEX, server_url, throwaway_database, throwaway_schema
from trialfinder.store import Store, open_store

BACKENDS = ("sqlite", "sqlite-fts5", pytest.param("postgres", marks=pytest.mark.postgres))
"""SQLite with its default tantivy text index, SQLite searching FTS5 alone, PostgreSQL."""


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a database made for this test run on the test cluster (skips without one)."""
    with throwaway_database(server_url()) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a fresh, empty store: a SQLite file in `tmp_path`, or a new PostgreSQL schema."""
    if request.param in TEXT_INDEX:
        monkeypatch.setenv("TRIALFINDER_TEXT_INDEX", TEXT_INDEX[request.param])
        yield f"sqlite:///{tmp_path / 'trials.db'}"
        return
    database: str = request.getfixturevalue("postgres_database")
    with throwaway_schema(database) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh, empty store on each backend."""
    opened = open_store(store_url)
    yield opened
    opened.close()
