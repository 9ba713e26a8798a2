"""Stored criteria readings behave the same on every backend."""

from __future__ import annotations

from support import FIXTURES
from trialfinder.ingest import ingest
from trialfinder.store import Store
from trialfinder.store.base import StoredCriteria

NCT = "NCT05397184"


def test_save_replace_and_read_a_criteria_reading(store: Store) -> None:
    ingest(store, [FIXTURES / f"{NCT}.json"])
    first = StoredCriteria(NCT, "1", 1.0, None, None, None, b'{"inclusion":[]}')
    second = StoredCriteria(NCT, "2", 0.5, 16.0, 2.0, 30.0, b'{"exclusion":[]}')
    store.save_criteria([first])
    store.save_criteria([second])
    assert store.get_criteria(NCT) == second
    assert store.get_criteria("NCT00000000") is None
