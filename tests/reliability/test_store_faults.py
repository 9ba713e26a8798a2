"""Disk full during ingest, and corrupted or foreign database files: one clear error line."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import FIXTURES
from trialfinder.cli import app
from trialfinder.store import open_store

BATCH = 10
# The ingest runs in a child whose files may not grow past this: past the empty store (~0.6 MB)
# and a few batches, far short of the 300 studies (~30 kB each in the store).
FILE_SIZE_LIMIT = 1_500_000
_LIMITED_INGEST = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_SIZE_LIMIT}, {FILE_SIZE_LIMIT}))
sys.argv = ["trialfinder", *sys.argv[1:]]
from trialfinder.cli import main
main()
"""


def _write_studies(folder: Path, count: int) -> None:
    folder.mkdir()
    study = json.loads((FIXTURES / "NCT05397184.json").read_text())
    for n in range(count):
        study["protocolSection"]["identificationModule"]["nctId"] = f"NCT{90000000 + n}"
        (folder / f"NCT{90000000 + n}.json").write_text(json.dumps(study))


@pytest.mark.slow
def test_disk_full_during_ingest_is_one_error_and_keeps_whole_batches(tmp_path: Path) -> None:
    _write_studies(tmp_path / "src", 300)
    db = tmp_path / "trials.db"
    ingest = ["ingest", str(tmp_path / "src"), "--batch-size", str(BATCH)]
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED_INGEST, *ingest, "--database", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: {db}: write failed (disk I/O error)\n"

    store = open_store(f"sqlite:///{db}")
    try:
        stored = store.stats().trials
        assert 0 < stored < 300
        assert stored % BATCH == 0
        assert all(store.get_trial(f"NCT{90000000 + n}") is not None for n in range(stored))
    finally:
        store.close()
    # With room again, the same command finishes the job.
    done = subprocess.run(
        [sys.executable, "-m", "trialfinder", *ingest, "--database", f"sqlite:///{db}", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    assert (report["new"], report["unchanged"]) == (300 - stored, stored)


def _small_store(path: Path) -> None:
    _write_studies(path.parent / "src", 3)
    result = CliRunner().invoke(
        app, ["ingest", str(path.parent / "src"), "--database", f"sqlite:///{path}"]
    )
    assert result.exit_code == 0, result.output


def _damage_tables(path: Path) -> None:
    """Overwrite the root page of every data table with 0xFF: the schema still reads, data not."""
    with sqlite3.connect(path) as db:
        (page_size,) = db.execute("pragma page_size").fetchone()
        roots = db.execute(
            """
            select rootpage
            from sqlite_master
            where type = 'table' and rootpage > 0 and name != 'schema_migrations'
            """
        ).fetchall()
    with path.open("r+b") as stream:
        for (root,) in roots:
            stream.seek((root - 1) * page_size)
            stream.write(b"\xff" * page_size)


MALFORMED = "database disk image is malformed"
CLI_COMMANDS = {
    "stats": (["stats"], MALFORMED),
    # The default text engine (tantivy) first reads the index log table; FTS5 alone
    # (TRIALFINDER_TEXT_INDEX=fts5) would first fail on its virtual table instead.
    "search": (["search", "asthma"], MALFORMED),
    "show": (["show", "NCT90000001"], MALFORMED),
    "export": (["export", "-"], MALFORMED),
}


@pytest.mark.parametrize("command, reason", CLI_COMMANDS.values(), ids=CLI_COMMANDS.keys())
def test_damaged_table_is_one_error_line_naming_the_file(
    tmp_path: Path, command: list[str], reason: str
) -> None:
    db = tmp_path / "trials.db"
    _small_store(db)
    _damage_tables(db)
    result = subprocess.run(
        [sys.executable, "-m", "trialfinder", *command, "--database", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: sqlite:///{db}: cannot be read ({reason}); the file "
        "is damaged. Restore it from a backup or export, or point TRIALFINDER_DATABASE at a "
        "new file.\n"
    )


NOT_A_DATABASE = {
    "text": b"patient list, do not share\n" * 200,
    "random-bytes": bytes(range(256)) * 64,
    "truncated-header": b"SQLite format 3\x00\x10\x00",
}


@pytest.mark.parametrize("content", NOT_A_DATABASE.values(), ids=NOT_A_DATABASE.keys())
def test_file_that_is_no_database_is_one_error_line(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "other.db"
    db.write_bytes(content)
    result = CliRunner().invoke(app, ["stats", "--database", f"sqlite:///{db}"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {db}: cannot open as a trialfinder SQLite store (")
    assert "Traceback" not in result.output
    assert db.read_bytes() == content


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    with sqlite3.connect(db) as other:
        other.execute("create table accounts (id integer primary key, name text)")
    result = CliRunner().invoke(app, ["stats", "--database", f"sqlite:///{db}"])
    with sqlite3.connect(db) as other:
        tables = [row[0] for row in other.execute("select name from sqlite_master")]
    assert (result.exit_code, tables) == (1, ["accounts"])
