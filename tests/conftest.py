"""Fixtures shared by every test: fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trialfinder.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store in a temporary SQLite file."""
    opened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    yield opened
    opened.close()
