"""The SQLite search indexes (grid of site coordinates, trial countries) follow every write."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, parse_geo, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store.base import StoredRecord

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(last_update: str, city: str, lat: float, lon: float, country: str) -> StoredRecord:
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    location = study["protocolSection"]["contactsLocationsModule"]["locations"][0]
    location.update(city=city, country=country, geoPoint={"lat": lat, "lon": lon})
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _index_rows(path: Path) -> tuple[list[tuple[float, float]], list[str]]:
    db = sqlite3.connect(path)
    try:
        geo = db.execute("select lat, lon from trial_geo").fetchall()
        countries = [row[0] for row in db.execute("select country from trial_countries")]
    finally:
        db.close()
    return geo, countries


def test_replaced_trial_moves_in_the_search_indexes(tmp_path: Path) -> None:
    path = tmp_path / "trials.db"
    store = open_store(f"sqlite:///{path}")
    store.write_batch([_record("2023-07-05", "Boston", 42.35843, -71.05977, "United States")], [])
    store.write_batch([_record("2024-01-10", "Paris", 48.85341, 2.3488, "France")], [])
    near_paris = SearchQuery(geo=parse_geo("distance(Paris,10km)"), countries=("France",))
    near_boston = SearchQuery(geo=parse_geo("distance(Boston, MA,10km)"))
    assert [h.nct_id for h in search_studies(store, near_paris).hits] == ["NCT05397184"]
    assert search_studies(store, near_boston).hits == []
    store.close()
    assert _index_rows(path) == ([(48.85341, 2.3488)], ["France"])
