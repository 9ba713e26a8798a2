"""The CLI: exit codes, readable output, --json, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import FIXTURES
from trialfinder.api._serve import spreads_connections
from trialfinder.cli import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(FIXTURES / "NCT05397184.json", source)
    (source / "broken.json").write_text('{"protocolSection": ')
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    result = runner.invoke(app, ["ingest", str(source), "--database", url])
    assert result.exit_code == 0, result.output
    return url


def test_ingest_prints_counts(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(FIXTURES / "NCT05397184.json", source)
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    result = runner.invoke(app, ["ingest", str(source), "--database", url, "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert {k: report[k] for k in ("read", "new", "updated", "unchanged", "quarantined")} == {
        "read": 1,
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
    }


@pytest.mark.parametrize(
    ("flags", "stored"), [((), True), (("--no-criteria",), False)], ids=["default", "no-criteria"]
)
def test_ingest_stores_criteria_readings_unless_told_not_to(
    tmp_path: Path, flags: tuple[str, ...], stored: bool
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(FIXTURES / "NCT05397184.json", source)
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    result = runner.invoke(app, ["ingest", str(source), *flags, "--database", url, "--json"])
    assert (result.exit_code, json.loads(result.output)["criteria_unread"]) == (0, 0)
    shown = runner.invoke(app, ["criteria", "NCT05397184", "--database", url, "--json"])
    assert json.loads(shown.output)["stored"] is stored
    reparsed = runner.invoke(app, ["reparse", "--workers", "1", "--database", url, "--json"])
    assert (reparsed.exit_code, json.loads(reparsed.output)["trials"]) == (0, 1)
    shown = runner.invoke(app, ["criteria", "NCT05397184", "--database", url, "--json"])
    assert json.loads(shown.output)["stored"] is True


def test_ingest_of_missing_source_fails_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "-d", "sqlite:///x.db"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: Source '{tmp_path / 'nope'}' does not exist"


def test_stats_json(database: str) -> None:
    result = runner.invoke(app, ["stats", "--json", "--database", database])
    assert result.exit_code == 0
    stats = json.loads(result.output)
    assert (stats["trials"], stats["quarantined"], stats["by_status"]) == (
        1,
        1,
        {"RECRUITING": 1},
    )


def test_show_prints_page_sections(database: str) -> None:
    result = runner.invoke(app, ["show", "NCT05397184", "--database", database])
    assert result.exit_code == 0
    text = result.output
    sections = [
        "Status and phase",
        "Conditions",
        "Treatments",
        "About",
        "Eligibility",
        "Inclusion criteria",
        "Exclusion criteria",
        "Trial design",
        "Patient groups",
        "Central trial contact",
        "Research sites",
    ]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "Ages: 6 months to 16 years old" in text
    assert "Enrollment: 10 estimated patients" in text
    assert "10 participants in 1 patient group" in text
    assert (
        "Data sourced from ClinicalTrials.gov: https://clinicaltrials.gov/study/NCT05397184" in text
    )


def test_show_json_is_the_record(database: str) -> None:
    result = runner.invoke(app, ["show", "nct05397184", "--json", "--database", database])
    assert result.exit_code == 0
    assert json.loads(result.output)["nct_id"] == "NCT05397184"


@pytest.mark.parametrize(
    ("argument", "code", "message"),
    [
        ("NCT1", 2, "Error: 'NCT1' is not an NCT id ('NCT' followed by 8 digits)"),
        (
            "NCT99999999",
            1,
            "Error: not in the store: NCT99999999 (try `trialfinder ingest` or `trialfinder sync`)",
        ),
    ],
    ids=["malformed", "absent"],
)
def test_show_errors(database: str, argument: str, code: int, message: str) -> None:
    result = runner.invoke(app, ["show", argument, "--database", database])
    assert result.exit_code == code
    assert result.output.strip() == message


def test_quarantine_lists_reason(database: str) -> None:
    result = runner.invoke(app, ["quarantine", "--json", "--database", database])
    assert result.exit_code == 0
    (entry,) = json.loads(result.output)
    assert entry["code"] == "invalid_json"
    assert entry["position"] == "file"
    assert entry["origin"].endswith("broken.json")


def test_foreign_database_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_text("hello" * 1000)
    result = runner.invoke(app, ["stats", "--database", f"sqlite:///{path}"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: cannot open as a trialfinder SQLite store")
    assert "Traceback" not in result.output


@pytest.mark.skipif(not spreads_connections(), reason="one socket per process needs SO_REUSEPORT")
def test_serve_with_workers_names_a_taken_port(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    with socket.socket() as taken:  # an ordinary listener, without SO_REUSEPORT
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["serve", "--workers", "2", "--port", str(port), "--database", url]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
