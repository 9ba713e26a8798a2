"""1,200 mutated real records and hypothesis-made ones: each is stored as parsed or quarantined
with a reason, and the count in equals stored + unchanged + quarantined."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import shared_data
from trialfinder.ingest import ingest_records, parse_raw
from trialfinder.sources import RawRecord
from trialfinder.store import Store, open_store
from trialfinder.store.base import QuarantineEntry

CODES = {
    "invalid_json",
    "invalid_xml",
    "invalid_utf8",
    "missing_nct_id",
    "bad_nct_id",
    "wrong_type",
    "bad_age",
    "bad_date",
    "absurd_value",
    "too_large",
}
ODD_VALUES: list[Any] = [None, 0, -1, 1e308, "", "x" * 5000, [], {}, True, "<b>", "\u0000", [1, 2]]


def _mutate_json(study: Any, rng: random.Random) -> Any:
    """Replace, delete or retype one random node of the study."""
    node = study
    for _ in range(rng.randrange(1, 6)):
        if not isinstance(node, dict | list) or not node:
            break
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = rng.choice(keys)
        child = node[key]
        if not isinstance(child, dict | list) or not child or rng.random() < 0.3:
            if isinstance(node, dict) and rng.random() < 0.3:
                del node[key]
            else:
                node[key] = rng.choice(ODD_VALUES)
            return study
        node = child
    return study


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Truncate, flip a byte or splice invalid UTF-8 into the raw bytes."""
    choice = rng.randrange(3)
    where = rng.randrange(len(data))
    if choice == 0:
        return data[:where]
    if choice == 1:
        return data[:where] + bytes([rng.randrange(256)]) + data[where + 1 :]
    return data[:where] + b"\xff\xfe" + data[where:]


def mutated_records(folder: Path, count: int, seed: int) -> list[RawRecord]:
    """`count` records: real studies under fresh ids, most with one mutation."""
    rng = random.Random(seed)
    studies = [path.read_bytes() for path in sorted(folder.glob("*.json"))[:60]]
    records = []
    for n in range(count):
        study = json.loads(rng.choice(studies))
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT{70000000 + n}"
        if rng.random() < 0.8:
            study = _mutate_json(study, rng)
        data = json.dumps(study).encode()
        if rng.random() < 0.25:
            data = _mutate_bytes(data, rng)
        records.append(RawRecord("mutations", f"record {n}", data, "ctgov_json"))
    return records


def _check_every_record(store: Store, records: list[RawRecord]) -> tuple[int, int]:
    """Each record is in the store as parsed, or quarantined with a known code and a reason."""
    quarantine = {(e.origin, e.position): e for e in store.list_quarantine(limit=len(records) + 1)}
    stored = 0
    for record in records:
        expected = parse_raw(record)
        if isinstance(expected, QuarantineEntry):
            entry = quarantine[(record.origin, record.position)]
            assert entry.code in CODES
            assert entry.code == expected.code
            assert entry.reason
            assert entry.raw == record.data
        else:
            trial = store.get_trial(expected.nct_id)
            assert trial is not None
            assert store.get_raw(expected.nct_id) == ("ctgov_json", record.data)
            stored += 1
    return stored, len(quarantine)


@pytest.mark.slow
def test_1200_mutated_real_records_are_stored_or_quarantined(tmp_path: Path) -> None:
    records = mutated_records(shared_data("ctgov"), 1200, seed=4)
    store = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    try:
        report = ingest_records(store, records, batch_size=100)
        assert report.read == 1200
        assert report.read == report.new + report.updated + report.unchanged + report.quarantined
        stored, quarantined = _check_every_record(store, records)
        assert (stored, quarantined) == (report.new, report.quarantined)
        assert store.stats().trials + store.stats().quarantined == 1200
        assert 100 < quarantined < 1100  # the mutations do both: some records stay good
    finally:
        store.close()


study_texts = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
identification = st.fixed_dictionaries(
    {"nctId": st.one_of(st.from_regex(r"NCT\d{8}", fullmatch=True), study_texts)},
    optional={"briefTitle": study_texts, "acronym": study_texts},
)
documents = st.fixed_dictionaries(
    {"protocolSection": st.fixed_dictionaries({"identificationModule": identification})},
    optional={
        "derivedSection": study_texts,
        "hasResults": study_texts,
    },
).map(lambda d: json.dumps(d).encode())
raw_records = st.lists(st.one_of(documents, st.binary(max_size=80)), min_size=1, max_size=8)


def test_hypothesis_records_are_stored_or_quarantined(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    seen = {"records": 0}

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(raw_records)
    def check(batch: list[bytes]) -> None:
        start = seen["records"]
        seen["records"] += len(batch)
        records = [
            RawRecord("hypothesis", f"record {start + i}", data, "ctgov_json")
            for i, data in enumerate(batch)
        ]
        before = store.stats()
        report = ingest_records(store, records)
        after = store.stats()
        assert report.read == len(batch)
        assert report.read == report.new + report.updated + report.unchanged + report.quarantined
        assert after.quarantined - before.quarantined == report.quarantined
        assert after.trials - before.trials == report.new
        for code in report.quarantine_by_code:
            assert code in CODES

    try:
        check()
        assert seen["records"] >= 300
    finally:
        store.close()
