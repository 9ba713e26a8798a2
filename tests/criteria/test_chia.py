"""The Chia scorer on a hand-made brat pair, and the blind labelled set's make-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialfinder.criteria.chia import evaluate_folder
from trialfinder.criteria.chia import main as chia_main
from trialfinder.criteria.evaluate import DEFAULT, load_labels

TEXT = "No history of stroke\nAge 18 years or older\n"
ANN = (
    "T1\tCondition 14 20\tstroke\n"
    "T2\tNegation 0 2\tNo\n"
    "R1\tHas_negation Arg1:T1 Arg2:T2\t\n"
    "T3\tPerson 21 24\tAge\n"
    "T4\tValue 25 42\t18 years or older\n"
    "R2\tHas_value Arg1:T3 Arg2:T4\t\n"
)


def test_chia_scores_strict_and_lenient(tmp_path: Path) -> None:
    (tmp_path / "NCT00000001_inc.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "NCT00000001_inc.ann").write_text(ANN, encoding="utf-8")
    scores = evaluate_folder(tmp_path)
    condition, person = scores["Condition"], scores["Person"]
    assert (condition.gold, condition.rates(), condition.negation) == (
        1,
        {
            "strict_precision": 1.0,
            "strict_recall": 1.0,
            "lenient_precision": 1.0,
            "lenient_recall": 1.0,
        },
        [True],
    )
    assert (person.gold, person.predicted, person.strict_found, person.lenient_found) == (
        1,
        1,
        0,
        1,
    )


def test_chia_offsets_count_crlf_as_two_characters(tmp_path: Path) -> None:
    # Most Chia files end lines with "\r\n"; "stroke" starts at 23 + 14, not 22 + 14.
    text = "Age 18 years or older\r\nNo history of stroke\r\n"
    (tmp_path / "NCT00000001_exc.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "NCT00000001_exc.ann").write_text("T1\tCondition 37 43\tstroke\n", encoding="utf-8")
    condition = evaluate_folder(tmp_path)["Condition"]
    assert (condition.gold, condition.predicted, condition.strict_found) == (1, 1, 1)


def test_blind_set_is_new_trials() -> None:
    blind = load_labels(DEFAULT.with_name("ctgov_blind.json"))
    dev_trials = {i.nct_id for i in load_labels()}
    blind_trials = {i.nct_id for i in blind}
    assert (len(blind) >= 150, len(blind_trials) >= 25, blind_trials & dev_trials) == (
        True,
        True,
        set(),
    )


def test_main_names_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        chia_main([str(tmp_path / "absent")])
    assert stop.value.code == 2
    assert "no Chia folder at" in capsys.readouterr().err
