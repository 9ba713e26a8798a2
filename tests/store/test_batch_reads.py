"""Batched reads for matching: many trials' readings and screening fields in one read."""

from __future__ import annotations

from support import FIXTURES
from trialfinder.ingest import ingest
from trialfinder.model import Trial
from trialfinder.store import Store
from trialfinder.store.base import StoredCriteria
from trialfinder.store.rows import SCREENING_FIELDS, decode_screening, encode_trial

NCT = "NCT05397184"
MISSING = "NCT00000000"


def test_get_criteria_many_returns_those_stored(store: Store) -> None:
    ingest(store, [FIXTURES / f"{NCT}.json"])
    reading = StoredCriteria(NCT, "2", 0.5, 16.0, 2.0, 30.0, b'{"exclusion":[]}')
    store.save_criteria([reading])
    assert store.get_criteria_many([NCT, MISSING]) == {NCT: reading}
    assert store.get_criteria_many([]) == {}


def test_get_screening_trials_keeps_only_the_screening_fields(store: Store) -> None:
    ingest(store, [FIXTURES / f"{NCT}.json"])
    full = store.get_trial(NCT)
    assert full is not None and full.locations
    found = store.get_screening_trials([NCT, MISSING])
    assert list(found) == [NCT]
    expected = Trial(**{name: getattr(full, name) for name in SCREENING_FIELDS})
    assert found[NCT] == expected
    assert found[NCT].locations == []
    assert store.get_screening_trials([]) == {}


def test_decode_screening_keeps_defaults_of_omitted_fields() -> None:
    # Defaults are not encoded; the screening decoder must give back the same defaults.
    bare = Trial(nct_id=NCT)
    assert decode_screening(encode_trial(bare)) == bare
