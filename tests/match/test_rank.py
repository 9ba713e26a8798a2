"""Ranking: the documented score, and match_patient / the CLI over a real store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from trialfinder.cli.app import app
from trialfinder.criteria import ParsedCriteria
from trialfinder.criteria.reading import ENGINE_VERSION
from trialfinder.ingest import ingest
from trialfinder.match import (
    Condition,
    Observation,
    PatientProfile,
    Score,
    match_patient,
    parsed_criteria_of,
    relevance,
)
from trialfinder.match.rank import rules_out
from trialfinder.store import Store
from trialfinder.store.base import StoredCriteria

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


def _reading(
    nct_id: str = "NCT00000001", version: str = ENGINE_VERSION, **numbers: float
) -> StoredCriteria:
    values: dict[str, float | None] = dict.fromkeys(
        ("min_age_years", "max_age_years", "ecog_max", "egfr_min")
    )
    values.update(numbers)
    empty = msgspec.json.encode(ParsedCriteria(inclusion=[], exclusion=[]))
    return StoredCriteria(nct_id=nct_id, engine_version=version, **values, data=empty)


@pytest.mark.parametrize(
    ("numbers", "patient", "expected"),
    [
        ({"min_age_years": 18.0}, PatientProfile(age_years=9), True),
        ({"max_age_years": 16.0}, PatientProfile(age_years=9), False),
        ({"max_age_years": 16.0}, PatientProfile(age_years=40), True),
        ({"min_age_years": 18.0}, PatientProfile(), False),
        ({"min_age_years": 18.0, "max_age_years": 12.0}, PatientProfile(age_years=9), False),
        ({"ecog_max": 1.0}, PatientProfile(scores=[Score(name="ECOG", value=2)]), True),
        ({"ecog_max": 2.0}, PatientProfile(scores=[Score(name="ECOG", value=2)]), False),
        (
            {"egfr_min": 60.0},
            PatientProfile(observations=[Observation(name="eGFR", value=45)]),
            True,
        ),
        ({"egfr_min": 60.0}, PatientProfile(age_years=50), False),
    ],
    ids=[
        "under-min-age",
        "within-max-age",
        "over-max-age",
        "age-unknown",
        "cohort-ages-not-trusted",
        "ecog-over",
        "ecog-at-limit",
        "egfr-under",
        "egfr-unknown",
    ],
)
def test_rules_out_by_stored_numbers(
    numbers: dict[str, float], patient: PatientProfile, expected: bool
) -> None:
    assert rules_out(_reading(**numbers), patient) is expected


def test_stale_reading_rules_out_nothing() -> None:
    stale = _reading(version="0", min_age_years=18.0)
    assert rules_out(stale, PatientProfile(age_years=9)) is False


def test_current_stored_reading_is_used_and_a_stale_one_reparsed(store: Store) -> None:
    ingest(store, [FIXTURES])
    stored = store.get_trial("NCT05397184")
    assert stored is not None
    # A last-update date of its own keeps this test clear of the process-wide cache.
    for day, version, expected in ((1, ENGINE_VERSION, 0), (2, "0", 1)):
        trial = msgspec.structs.replace(stored, last_update_posted=f"1999-01-0{day}")
        store.save_criteria([_reading("NCT05397184", version)])
        parsed = parsed_criteria_of(trial, store)
        assert (len(parsed.inclusion) > 0) == bool(expected), version


def test_match_patient_drops_hits_the_stored_reading_rules_out(store: Store) -> None:
    ingest(store, [FIXTURES])
    # A stored reading that says "adults only" rules the boy out before his record is read.
    store.save_criteria([_reading("NCT05397184", min_age_years=18.0)])
    result = match_patient(store, BOY, on_date=dt.date(2024, 1, 1))
    assert result.results == []
    assert result.ruled_out_early == 1
