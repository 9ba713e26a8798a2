"""Fixtures of the reliability tests: a second store on the backend of `store_url`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from pg_cluster import throwaway_schema


@pytest.fixture
def postgres_or_sqlite_reference(
    request: pytest.FixtureRequest, store_url: str, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Make another fresh store URL on the same backend as `store_url` (for a reference run)."""
    with ExitStack() as stack:

        def make() -> str:
            if store_url.startswith("sqlite:"):
                folder = tmp_path / f"reference-{len(list(tmp_path.glob('reference-*')))}"
                folder.mkdir()
                return f"sqlite:///{folder / 'trials.db'}"
            database: str = request.getfixturevalue("postgres_database")
            return stack.enter_context(throwaway_schema(database))

        yield make
