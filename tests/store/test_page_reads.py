"""Batched reads for a page of results: many trials or raw records in one read, in order."""

from __future__ import annotations

import pytest

from support import FIXTURES
from trialfinder.ingest import ingest
from trialfinder.store import Store

JSON_NCT = "NCT05397184"
XML_NCT = "NCT03204344"
MISSING = "NCT00000000"


@pytest.fixture
def both(store: Store) -> Store:
    """A store holding one trial ingested from v2 JSON and one from legacy XML."""
    ingest(store, [FIXTURES / f"{JSON_NCT}.json", FIXTURES / f"{XML_NCT}.xml"])
    return store


@pytest.mark.parametrize(
    "asked",
    [
        [JSON_NCT, XML_NCT],
        [XML_NCT, MISSING, JSON_NCT],
        [MISSING, XML_NCT, XML_NCT],
    ],
    ids=["stored-order", "reversed-with-missing", "repeated"],
)
def test_get_trials_many_keeps_the_order_asked(both: Store, asked: list[str]) -> None:
    found = both.get_trials_many(asked)
    wanted = [n for n in dict.fromkeys(asked) if n != MISSING]
    assert list(found) == wanted
    assert found == {n: both.get_trial(n) for n in wanted}


@pytest.mark.parametrize(
    "asked",
    [[JSON_NCT, XML_NCT], [XML_NCT, MISSING, JSON_NCT]],
    ids=["stored-order", "reversed-with-missing"],
)
def test_get_raw_many_keeps_the_order_asked(both: Store, asked: list[str]) -> None:
    found = both.get_raw_many(asked)
    wanted = [n for n in asked if n != MISSING]
    assert list(found) == wanted
    assert found == {n: both.get_raw(n) for n in wanted}
    assert found[JSON_NCT][0] == "ctgov_json"
    assert found[XML_NCT][0] == "ctgov_xml"


def test_batched_reads_of_nothing(both: Store) -> None:
    assert both.get_trials_many([]) == {}
    assert both.get_raw_many([]) == {}
    assert both.get_trials_many([MISSING]) == {}
    assert both.get_raw_many([MISSING]) == {}
