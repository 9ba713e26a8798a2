"""Ingest end to end: counts, quarantine of every kind of bad record, and kill-safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from support import FIXTURES, shared_data
from trialfinder.ingest import criteria_item, ingest, read_criteria, reparse
from trialfinder.store import Store, open_store

FIXTURE = json.loads((FIXTURES / "NCT05397184.json").read_text())


def _study_bytes(nct_id: str, last_update: str = "2023-07-05", criteria: str = "") -> bytes:
    study = json.loads(json.dumps(FIXTURE))
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = last_update
    if criteria:
        study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = criteria
    return json.dumps(study).encode()


BAD = {
    "truncated.json": b'{"protocolSection": {"identificationModule": {"nctId": "NCT0',
    "no-id.json": b'{"protocolSection": {"identificationModule": {"briefTitle": "x"}}}',
    "wrong-type.json": b'{"protocolSection": {"identificationModule": {"nctId": ["NCT01234567"]}}}',
    "latin1.json": b'{"protocolSection": {"identificationModule": '
    b'{"nctId": "NCT01234567", "briefTitle": "\xe9t\xe9"}}}',
    "huge.json": json.dumps(
        {
            "protocolSection": {"identificationModule": {"nctId": "NCT01234568"}},
            "x": "y" * (50 * 1024 * 1024),
        }
    ).encode(),
}


def _corpus(folder: Path, good: int) -> None:
    folder.mkdir()
    for n in range(good):
        (folder / f"NCT{90000000 + n}.json").write_bytes(_study_bytes(f"NCT{90000000 + n}"))
    for name, data in BAD.items():
        (folder / name).write_bytes(data)


def test_bad_records_are_quarantined_and_ingest_goes_on(store: Store, tmp_path: Path) -> None:
    _corpus(tmp_path / "src", good=3)
    report = ingest(store, [tmp_path / "src"])
    assert (report.read, report.new, report.quarantined) == (8, 3, 5)
    assert dict(report.quarantine_by_code) == {
        "invalid_json": 1,
        "missing_nct_id": 1,
        "wrong_type": 1,
        "invalid_utf8": 1,
        "too_large": 1,
    }
    entries = {Path(e.origin).name: e for e in store.list_quarantine()}
    assert entries["truncated.json"].raw == BAD["truncated.json"]
    assert entries["huge.json"].raw == BAD["huge.json"]
    assert store.stats().trials == 3


def test_second_run_counts_everything_unchanged(store: Store, tmp_path: Path) -> None:
    _corpus(tmp_path / "src", good=3)
    ingest(store, [tmp_path / "src"])
    again = ingest(store, [tmp_path / "src"])
    assert (again.read, again.new, again.updated, again.unchanged) == (8, 0, 0, 3)
    assert store.stats().quarantined == 5


def test_parallel_parsing_gives_the_same_counts(store: Store, tmp_path: Path) -> None:
    _corpus(tmp_path / "src", good=20)
    report = ingest(store, [tmp_path / "src"], workers=2, batch_size=4)
    assert (report.read, report.new, report.quarantined) == (25, 20, 5)


def test_shared_records_ingest_completely(store: Store) -> None:
    folder = shared_data("ctgov")
    report = ingest(store, [folder])
    assert (report.read, report.new, report.quarantined) == (790, 790, 0)
    stats = store.stats()
    assert stats.trials == 790
    assert stats.locations == 27501
    assert stats.by_status["RECRUITING"] == 421


def _fingerprint(path: Path) -> dict[str, object]:
    """Everything a user could see in the store, independent of the order rows were written."""
    db = sqlite3.connect(path)
    try:
        return {
            "trials": db.execute(
                "select nct_id, raw_sha256, record from trials order by nct_id"
            ).fetchall(),
            "locations": db.execute(
                "select nct_id, position, site_id, status from locations order by 1, 2"
            ).fetchall(),
            "sites": db.execute("select * from sites order by site_id").fetchall(),
            "conditions": db.execute(
                "select nct_id, term, kind from trial_conditions order by 1, 2, 3"
            ).fetchall(),
            "fts": db.execute("select count(*) from trials_fts").fetchone(),
            "criteria": db.execute(
                "select nct_id, engine_version, min_age_years, data from trial_criteria order by 1"
            ).fetchall(),
            "quarantine": db.execute(
                "select origin, position, code, sha256 from quarantine order by 1, 2"
            ).fetchall(),
        }
    finally:
        db.close()


def _ingest_command(db: Path, source: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "trialfinder",
        "ingest",
        str(source),
        "--batch-size",
        "10",
        "--database",
        f"sqlite:///{db}",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_trials", [1, 40, 150], ids=["early", "middle", "late"])
def test_sigkill_mid_ingest_then_rerun_equals_uninterrupted(
    tmp_path: Path, kill_after_trials: int
) -> None:
    source = tmp_path / "src"
    _corpus(source, good=300)
    reference = tmp_path / "reference.db"
    subprocess.run(_ingest_command(reference, source), check=True, capture_output=True)

    killed = tmp_path / "killed.db"
    process = subprocess.Popen(
        _ingest_command(killed, source), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(killed, timeout=0.1) as db:
                count = db.execute("select count(*) from trials").fetchone()[0]
        except sqlite3.OperationalError:
            count = 0
        if count >= kill_after_trials:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    assert process.wait() == -signal.SIGKILL, "the ingest finished before it could be killed"
    with sqlite3.connect(killed) as db:
        assert db.execute("select count(*) from trials").fetchone()[0] < 300

    subprocess.run(_ingest_command(killed, source), check=True, capture_output=True)
    assert _fingerprint(killed) == _fingerprint(reference)


def test_store_opened_twice_reads_what_the_other_wrote(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    writer = open_store(url)
    reader = open_store(url)
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "a.json").write_bytes(_study_bytes("NCT90000001"))
    ingest(writer, [tmp_path / "one"])
    assert reader.get_trial("NCT90000001") is not None
    writer.close()
    reader.close()


def test_legacy_xml_and_json_ingest_into_one_store(store: Store) -> None:
    report = ingest(store, [shared_data("ctgov-xml"), FIXTURES / "NCT05397184.json"])
    assert (report.read, report.quarantined) == (65, 0)
    # One XML file in the shared folder holds the same trial as another (NCT00081588).
    assert report.new == 64
    trial = store.get_trial("NCT02513394")
    assert trial is not None
    assert trial.source_format == "ctgov_xml"
    raw = store.get_raw("NCT02513394")
    assert raw is not None
    assert raw[0] == "ctgov_xml"
    assert raw[1].lstrip().startswith(b"<?xml")


def _readings(store: Store, nct_ids: list[str]) -> dict[str, object]:
    return {nct_id: store.get_criteria(nct_id) for nct_id in nct_ids}


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "2-workers"])
def test_ingest_stores_the_reading_reparse_would(store: Store, workers: int) -> None:
    report = ingest(
        store, [shared_data("ctgov-xml"), FIXTURES / "NCT05397184.json"], workers=workers
    )
    assert (report.new, report.criteria_unread) == (64, 0)
    nct_ids = sorted(t.nct_id for t in store.iter_trials())
    at_ingest = _readings(store, nct_ids)
    trial = store.get_trial("NCT05397184")
    assert trial is not None
    assert at_ingest["NCT05397184"] == read_criteria(criteria_item(trial))
    assert reparse(store, workers=2) == 64
    assert _readings(store, nct_ids) == at_ingest
    assert None not in at_ingest.values()


def _one_study(tmp_path: Path, name: str, study: bytes) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "study.json").write_bytes(study)
    return folder


def test_an_updated_trial_gets_the_reading_of_its_new_criteria(
    store: Store, tmp_path: Path
) -> None:
    ingest(store, [_one_study(tmp_path, "old", _study_bytes("NCT90000001"))])
    newer = _study_bytes("NCT90000001", "2024-01-01", "Inclusion Criteria:\n* Age 40 to 60 years")
    report = ingest(store, [_one_study(tmp_path, "new", newer)])
    assert report.updated == 1
    stored = store.get_criteria("NCT90000001")
    assert stored is not None
    assert (stored.min_age_years, stored.max_age_years) == (40.0, 60.0)


def test_no_criteria_leaves_no_reading_not_an_older_one(store: Store, tmp_path: Path) -> None:
    ingest(store, [_one_study(tmp_path, "old", _study_bytes("NCT90000001"))])
    ingest(store, [_one_study(tmp_path, "same", _study_bytes("NCT90000002"))], criteria=False)
    assert store.get_criteria("NCT90000002") is None
    assert store.get_criteria("NCT90000001") is not None
    newer = _study_bytes("NCT90000001", "2024-01-01", "Inclusion Criteria:\n* Age 40 to 60 years")
    report = ingest(store, [_one_study(tmp_path, "new", newer)], criteria=False)
    assert (report.updated, report.criteria_unread) == (1, 0)
    assert store.get_criteria("NCT90000001") is None
    assert reparse(store, workers=1) == 2
    stored = store.get_criteria("NCT90000001")
    assert stored is not None
    assert (stored.min_age_years, stored.max_age_years) == (40.0, 60.0)


def test_an_unchanged_trial_keeps_its_reading(store: Store, tmp_path: Path) -> None:
    source = _one_study(tmp_path, "src", _study_bytes("NCT90000001"))
    ingest(store, [source])
    before = store.get_criteria("NCT90000001")
    report = ingest(store, [source], criteria=False)
    assert report.unchanged == 1
    assert before is not None
    assert store.get_criteria("NCT90000001") == before


def test_parallel_ingest_of_a_zip_stores_what_one_process_stores(tmp_path: Path) -> None:
    archive = tmp_path / "bulk.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bulk:
        for n in range(30):
            bulk.writestr(f"NCT{90000000 + n}.json", _study_bytes(f"NCT{90000000 + n}"))
        bulk.writestr("broken.json", BAD["truncated.json"])
    results = []
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.db"
        store = open_store(f"sqlite:///{path}")
        try:
            report = ingest(store, [archive], workers=workers, batch_size=7)
        finally:
            store.close()
        assert (report.read, report.new, report.quarantined) == (31, 30, 1)
        results.append(_fingerprint(path))
    assert results[0] == results[1]
