"""Ranking: the documented score, and match_patient / the CLI over a real store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialfinder.cli.app import app
from trialfinder.ingest import ingest
from trialfinder.match import Condition, PatientProfile, match_patient, relevance
from trialfinder.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BOY = PatientProfile(age_years=9, sex="male", conditions=[Condition(text="T-cell leukemia")])


@pytest.mark.parametrize(
    ("text", "has_condition", "expected"),
    [(1.0, True, 1.0), (0.5, False, 0.25), (0.0, True, 0.5)],
    ids=["best-with-condition", "half-text-only", "condition-only"],
)
def test_relevance_formula(text: float, has_condition: bool, expected: float) -> None:
    assert relevance(text, has_condition) == expected


def test_match_patient_ranks_the_leukaemia_trial(store: Store) -> None:
    ingest(store, [FIXTURES])
    result = match_patient(store, BOY, on_date=dt.date(2024, 1, 1))
    assert [(r.nct_id, r.outcome) for r in result.results] == [("NCT05397184", "possibly_eligible")]
    assert result.results[0].verdict.criteria[1].reason == ("age 9 is within 6 Months to 16 Years")


def test_cli_match_json_and_explain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "-d", url, str(FIXTURES)]).exit_code == 0
    patient = tmp_path / "patient.json"
    patient.write_text(
        '{"age_years": 9, "sex": "male", "conditions": [{"text": "T-cell leukemia"}]}'
    )
    listed = runner.invoke(
        app, ["match", str(patient), "-d", url, "--json", "--date", "2024-01-01"]
    )
    assert listed.exit_code == 0, listed.output
    assert [r["nct_id"] for r in json.loads(listed.output)["results"]] == ["NCT05397184"]
    explained = runner.invoke(
        app, ["match", str(patient), "-d", url, "--explain", "NCT05397184", "--json"]
    )
    assert explained.exit_code == 0, explained.output
    assert json.loads(explained.output)["outcome"] == "possibly_eligible"


def test_cli_match_bad_json_is_one_line(tmp_path: Path) -> None:
    patient = tmp_path / "patient.json"
    patient.write_text('{"age_years": "old"}')
    result = CliRunner().invoke(app, ["match", str(patient), "-d", f"sqlite:///{tmp_path}/t.db"])
    assert result.exit_code == 2
    assert "Patient profile field $.age_years" in result.output
