"""Stored criteria readings: the summary columns, the SQLite table, `reparse`, `criteria`, API."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from support import FIXTURES
from trialfinder.api import create_app
from trialfinder.cli import app
from trialfinder.criteria.parser import parse_criteria
from trialfinder.criteria.reading import ENGINE_VERSION, read_trial_criteria, summarise
from trialfinder.store import open_store
from trialfinder.store.base import StoredCriteria
from trialfinder.store.sqlite import SQLiteStore

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

runner = CliRunner()
NCT = "NCT05397184"


def test_summary_reads_inclusion_only() -> None:
    parsed = parse_criteria(
        "Inclusion Criteria:\n* Age 18-75 years\n* ECOG performance status 0-2\n"
        "* eGFR ≥ 30 mL/min/1.73m2\nExclusion Criteria:\n* Age > 70 years\n* ECOG 3"
    )
    assert summarise(parsed) == (18.0, 75.0, 2.0, 30.0)


def test_summary_takes_ages_in_one_criterion_as_alternatives() -> None:
    parsed = parse_criteria(
        "Inclusion Criteria:\n* Age < 18 or > 65 years\n* Adults ≥ 18 years and ≤ 80 years"
    )
    assert summarise(parsed) == (18.0, 80.0, None, None)


def test_summary_without_numbers_is_none() -> None:
    assert summarise(parse_criteria("Inclusion Criteria:\n* Signed informed consent")) == (
        None,
        None,
        None,
        None,
    )


@pytest.fixture
def database(tmp_path: Path) -> str:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(FIXTURES / f"{NCT}.json", source)
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    # --no-criteria: ingest would store the reading, and these tests read an unstored one.
    result = runner.invoke(app, ["ingest", str(source), "--no-criteria", "--database", url])
    assert result.exit_code == 0, result.output
    return url


def test_sqlite_store_saves_and_replaces_a_reading(tmp_path: Path, database: str) -> None:
    store = SQLiteStore(tmp_path / "trials.db")
    try:
        first = StoredCriteria(NCT, "1", 1.0, None, None, None, b'{"inclusion":[]}')
        second = StoredCriteria(NCT, "2", 0.5, 16.0, 2.0, 30.0, b'{"exclusion":[]}')
        store.save_criteria([first])
        store.save_criteria([second])
        assert (store.get_criteria(NCT), store.get_criteria("NCT00000000")) == (second, None)
    finally:
        store.close()


def test_criteria_command_reads_unstored_trial(database: str) -> None:
    result = runner.invoke(app, ["criteria", NCT, "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["stored"], body["engineVersion"], [c["text"] for c in body["exclusion"]]) == (
        False,
        ENGINE_VERSION,
        ["Weight \\<6 kg", "GvHD requiring systemic therapy"],
    )


def test_reparse_stores_what_criteria_shows(database: str) -> None:
    result = runner.invoke(app, ["reparse", "--database", database, "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["trials"] == 1
    store = open_store(database)
    try:
        stored = store.get_criteria(NCT)
    finally:
        store.close()
    assert stored is not None
    assert (stored.min_age_years, stored.max_age_years, stored.ecog_max, stored.egfr_min) == (
        0.5,
        16.0,
        None,
        None,
    )
    shown = runner.invoke(app, ["criteria", NCT.lower(), "--database", database, "--json"])
    assert json.loads(shown.output)["stored"] is True


def test_criteria_command_text_names_rules_and_spans(database: str) -> None:
    result = runner.invoke(app, ["criteria", NCT, "--database", database])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:5] == [
        "Inclusion:",
        "1. Male or female patients",
        "   -> sex sex=all [sex_both @0-14]",
        "2. Age ranging between 6 months and \\<16 years",
        "   -> age bounds=[6, 16) unit=years years=[0.5, 16) [age_range_keyword @0-43]",
    ]


def test_criteria_command_rejects_a_bad_id(database: str) -> None:
    result = runner.invoke(app, ["criteria", "NCT123", "--database", database])
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "Error: 'NCT123' is not an NCT id ('NCT' followed by 8 digits)",
    )


@pytest.fixture
def client(database: str) -> Iterator[Any]:
    with TestClient(create_app(database)) as test_client:
        yield test_client


def test_api_criteria_route(client: Any) -> None:
    response = client.get(f"/api/v2/studies/{NCT}/criteria")
    assert response.status_code == 200
    body = response.json()
    expected = read_trial_criteria(NCT, body["inclusion"][0]["text"])
    assert (body["nctId"], body["stored"], body["engineVersion"]) == (
        NCT,
        False,
        expected.engine_version,
    )
    assert [[c["rule"] for c in item["constraints"]] for item in body["inclusion"]] == [
        ["sex_both"],
        ["age_range_keyword"],
    ]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v2/studies/NCT00000000/criteria", 404, "study NCT00000000 is not in this mirror"),
        (
            "/api/v2/studies/NCT1/criteria",
            400,
            "nctId 'NCT1' is not an NCT id ('NCT' followed by 8 digits)",
        ),
    ],
    ids=["missing", "bad-id"],
)
def test_api_criteria_errors(client: Any, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()["error"]) == (status, message)


def test_api_criteria_response_model_in_openapi(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    route = spec["paths"]["/api/v2/studies/{nctId}/criteria"]["get"]
    schema = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CriteriaReadingModel"}
    assert sorted(spec["components"]["schemas"]["CriteriaReadingModel"]["properties"]) == [
        "engineVersion",
        "exclusion",
        "inclusion",
        "nctId",
        "stored",
    ]
