"""The SQLite store: idempotent upserts keyed by NCT id, newer wins, quarantine, clear errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from support import FIXTURES
from trialfinder.errors import StoreError
from trialfinder.ingest import parse_raw
from trialfinder.sources.base import RawRecord
from trialfinder.store import Store, open_store
from trialfinder.store.base import QuarantineEntry, StoredRecord
from trialfinder.store.migrations import SQLITE_MIGRATIONS

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _record(last_update: str, title: str = "Base Edited CAR7") -> StoredRecord:
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    study["protocolSection"]["identificationModule"]["briefTitle"] = title
    parsed = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(parsed, StoredRecord)
    return parsed


def _title(store: Store) -> str:
    trial = store.get_trial("NCT05397184")
    assert trial is not None
    return trial.brief_title


def test_new_then_identical_is_unchanged(store: Store) -> None:
    first = store.write_batch([_record("2023-07-05")], [])
    again = store.write_batch([_record("2023-07-05")], [])
    assert (first.new, first.unchanged) == (1, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert store.stats().trials == 1


def test_newer_record_replaces_and_older_never_overwrites(store: Store) -> None:
    store.write_batch([_record("2023-07-05", "v1")], [])
    newer = store.write_batch([_record("2024-01-10", "v2")], [])
    older = store.write_batch([_record("2022-01-01", "v0")], [])
    assert newer.updated == 1
    assert older.unchanged == 1
    assert _title(store) == "v2"


def test_replacing_a_trial_leaves_no_stale_rows(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    store.write_batch([_record("2023-07-05", "first title")], [])
    store.write_batch([_record("2024-01-10", "second title")], [])
    store.close()
    db = sqlite3.connect(tmp_path / "trials.db")
    assert db.execute("select count(*) from locations").fetchone()[0] == 1
    assert db.execute("select count(*) from trial_phases").fetchone()[0] == 1
    assert db.execute(
        "select count(*) from trials_fts where trials_fts match 'title:first'"
    ).fetchone() == (0,)
    assert db.execute(
        "select count(*) from trials_fts where trials_fts match 'title:second'"
    ).fetchone() == (1,)
    db.close()


def test_raw_record_is_kept_for_rebuilds(store: Store) -> None:
    record = _record("2023-07-05")
    store.write_batch([record], [])
    raw = store.get_raw("NCT05397184")
    assert raw is not None
    fmt, data = raw
    assert fmt == "ctgov_json"
    assert json.loads(data)["protocolSection"]["identificationModule"]["nctId"] == "NCT05397184"


def test_same_site_across_trials_is_one_site(store: Store) -> None:
    one = _record("2023-07-05")
    other_study = json.loads(json.dumps(FIXTURE))
    other_study["protocolSection"]["identificationModule"]["nctId"] = "NCT05397185"
    other_study["protocolSection"]["contactsLocationsModule"]["locations"][0]["facility"] = (
        "  ILYAS   ali "
    )
    other = parse_raw(RawRecord("t", "f", json.dumps(other_study).encode(), "ctgov_json"))
    assert isinstance(other, StoredRecord)
    store.write_batch([one, other], [])
    stats = store.stats()
    assert (stats.trials, stats.locations, stats.sites) == (2, 2, 1)


def test_quarantine_is_idempotent_and_listed(store: Store) -> None:
    entry = QuarantineEntry("bad.json", "file", "invalid_json", "bad.json: truncated", b"{")
    store.write_batch([], [entry])
    store.write_batch([], [entry])
    assert store.list_quarantine() == [entry]
    assert store.stats().quarantine_by_code == {"invalid_json": 1}


def test_state_round_trip(store: Store) -> None:
    store.set_state("sync:abc", "token-1")
    assert store.get_state("sync:abc") == "token-1"
    store.set_state("sync:abc", None)
    assert store.get_state("sync:abc") is None


def test_list_state_gives_every_key_in_order(store: Store) -> None:
    store.set_state("sync:b:token", "t")
    store.set_state("last_sync", "2026-11-25T10:00:00+00:00")
    store.set_state("sync:a:since", "2026-11-24")
    assert list(store.list_state().items()) == [
        ("last_sync", "2026-11-25T10:00:00+00:00"),
        ("sync:a:since", "2026-11-24"),
        ("sync:b:token", "t"),
    ]


def test_foreign_file_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database at all, just text" * 100)
    with pytest.raises(StoreError) as error:
        open_store(f"sqlite:///{path}")
    assert str(error.value).startswith(f"{path}: cannot open as a trialfinder SQLite store (")


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(StoreError) as error:
        open_store("mysql://localhost/trials")
    assert str(error.value) == (
        "TRIALFINDER_DATABASE='mysql://localhost/trials' is not "
        "'sqlite:///path/trials.db' or 'postgresql://...'"
    )


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    open_store(url).close()
    reopened = open_store(url)
    reopened.close()
    db = sqlite3.connect(tmp_path / "trials.db")
    names = [row[0] for row in db.execute("select name from schema_migrations order by name")]
    db.close()
    assert names == [m.name for m in SQLITE_MIGRATIONS]


def test_migration_killed_halfway_leaves_nothing_behind(tmp_path: Path) -> None:
    """A migration runs in one transaction: a failure part-way rolls every statement back."""
    path = tmp_path / "trials.db"
    db = sqlite3.connect(path)
    db.execute("create table schema_migrations (name text primary key, applied_at text not null)")
    db.execute("create table trials (clash integer)")  # makes 0001's first statement fail
    db.commit()
    db.close()
    with pytest.raises(StoreError):
        open_store(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    tables = sorted(row[0] for row in db.execute("select name from sqlite_master"))
    db.close()
    assert tables == ["schema_migrations", "sqlite_autoindex_schema_migrations_1", "trials"]
