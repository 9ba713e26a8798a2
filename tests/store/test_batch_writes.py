"""One batch, one transaction: the result and counts equal upserting its records one by one."""

from __future__ import annotations

import json
from typing import Any

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.model import Location
from trialfinder.sources.base import RawRecord
from trialfinder.store import Store
from trialfinder.store.base import Site, StoredRecord
from trialfinder.store.rows import site_id

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())
SITE_ID = site_id(Location(facility="Ilyas Ali", city="London", country="United Kingdom"))


def _record(
    nct_id: str = "NCT05397184",
    last_update: str = "2023-07-05",
    title: str = "v1",
    **location: Any,
) -> StoredRecord:
    study = json.loads(json.dumps(FIXTURE))
    protocol = study["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct_id
    protocol["identificationModule"]["briefTitle"] = title
    protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    place = protocol["contactsLocationsModule"]["locations"][0]
    for key, value in location.items():
        if value is None:
            place.pop(key, None)
        else:
            place[key] = value
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _title(store: Store, nct_id: str = "NCT05397184") -> str:
    trial = store.get_trial(nct_id)
    assert trial is not None
    return trial.brief_title


def test_newer_copy_later_in_the_batch_counts_as_an_update(store: Store) -> None:
    counts = store.write_batch(
        [_record(title="v1"), _record(last_update="2024-01-10", title="v2")], []
    )
    assert (counts.new, counts.updated, counts.unchanged) == (1, 1, 0)
    assert _title(store) == "v2"
    assert store.stats().locations == 1


def test_older_copy_later_in_the_batch_is_unchanged(store: Store) -> None:
    counts = store.write_batch(
        [_record(last_update="2024-01-10", title="v2"), _record(title="v1")], []
    )
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 1)
    assert _title(store) == "v2"


def test_identical_copy_in_the_batch_is_unchanged(store: Store) -> None:
    counts = store.write_batch([_record(), _record()], [])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 1)
    assert store.stats().trials == 1


def test_site_rows_merge_within_a_batch_as_they_would_one_by_one(store: Store) -> None:
    first = _record("NCT05397184", geoPoint=None, zip=None, facility="ILYAS  ali")
    second = _record("NCT05397185", state="Greater London")
    third = _record("NCT05397186", geoPoint=None, zip="", state="")
    store.write_batch([first, second, third], [])
    found = store.get_site(SITE_ID)
    assert found is not None
    site, trials = found
    assert site == Site(
        site_id=SITE_ID,
        name="ILYAS  ali",
        city="London",
        state="Greater London",
        zip="WC1N 1EH",
        country="United Kingdom",
        lat=51.50853,
        lon=-0.12574,
        trial_count=3,
    )
    assert [nct_id for nct_id, _ in trials] == ["NCT05397184", "NCT05397185", "NCT05397186"]


def test_replacing_one_trial_leaves_the_others_alone(store: Store) -> None:
    store.write_batch([_record("NCT05397184"), _record("NCT05397185")], [])
    store.write_batch([_record("NCT05397184", last_update="2024-01-10", title="renamed")], [])
    assert _title(store) == "renamed"
    assert _title(store, "NCT05397185") == "v1"
    assert store.stats().trials == 2


def test_batch_of_new_and_replaced_trials_writes_each_row_once(store: Store) -> None:
    store.write_batch([_record("NCT05397184")], [])
    replaced = _record("NCT05397184", last_update="2024-01-10", title="renamed")
    counts = store.write_batch([replaced, _record("NCT05397185", title="new")], [])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 1, 0)
    raw = store.get_raw("NCT05397184")
    assert (
        raw is not None
        and json.loads(raw[1])["protocolSection"]["identificationModule"]["briefTitle"] == "renamed"
    )
    stats = store.stats()
    assert (stats.trials, stats.sites, stats.locations) == (2, 1, 2)
    found = store.get_site(SITE_ID)
    assert found is not None
    assert found[1] == [("NCT05397184", "RECRUITING"), ("NCT05397185", "RECRUITING")]
