"""The quality scorer: how predictions are matched to hand-made labels."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from trialfinder.criteria.evaluate import Item, Label, Score, evaluate, main, occurrences


def _item(text: str, *expected: Label) -> Item:
    return Item(
        nct_id="NCT00000000", split="tuning", section="exclusion", text=text, expected=[*expected]
    )


def _counts(score: Score) -> tuple[int, int, int, int]:
    return (score.true_positive, score.predicted, score.found, score.expected)


@pytest.mark.parametrize(
    ("label_text", "text", "spans"),
    [
        ("surgery", "Surgery within 4 weeks or prior surgery", [(0, 7), (32, 39)]),
        ("congestive heart failure", "congestive\r\n heart failure", [(0, 26)]),
        ("heart  failure", "Heart failure", [(0, 13)]),
        ("asthma", "Patients with COPD", []),
        ("  ", "anything", []),
    ],
    ids=["every-occurrence", "line-break", "blanks-in-label", "absent", "blank-label"],
)
def test_occurrences(label_text: str, text: str, spans: list[tuple[int, int]]) -> None:
    assert occurrences(label_text, text) == spans


def test_second_occurrence_is_a_true_positive() -> None:
    # The parser reads both "surgery" mentions; one label covers both.
    scores = evaluate(
        [_item("Surgery within 4 weeks or prior surgery", Label(kind="treatment", text="surgery"))]
    )
    assert _counts(scores["treatment"]) == (2, 2, 1, 1)


def test_label_across_a_line_break() -> None:
    text = "History of congestive\r\n heart failure"
    scores = evaluate([_item(text, Label(kind="condition", text="congestive heart failure"))])
    assert _counts(scores["condition"]) == (1, 1, 1, 1)


def test_overlap_is_still_required() -> None:
    # "Diabetes mellitus" is in the text but not labelled: a false positive.
    text = "Diabetes mellitus, hypertension"
    scores = evaluate([_item(text, Label(kind="condition", text="hypertension"))])
    assert _counts(scores["condition"]) == (1, 2, 1, 1)


def test_kind_must_agree() -> None:
    # A treatment label does not make a condition prediction right, nor the other way round.
    text = "Prior surgery for the tumour"
    scores = evaluate([_item(text, Label(kind="treatment", text="tumour"))])
    assert _counts(scores["condition"]) == (0, 1, 0, 0)
    assert _counts(scores["treatment"]) == (0, 1, 0, 1)


def test_label_text_absent_is_a_miss() -> None:
    scores = evaluate([_item("Patients with asthma", Label(kind="condition", text="asthmatic"))])
    assert _counts(scores["condition"]) == (0, 1, 0, 1)


def test_age_bounds_must_be_equal() -> None:
    text = "Age 6-18 years old (including critical value)"
    right = evaluate([_item(text, Label(kind="age", low=6.0, high=18.0))])
    wrong = evaluate([_item(text, Label(kind="age", low=6.0, high=17.0))])
    assert (_counts(right["age"]), _counts(wrong["age"])) == ((1, 1, 1, 1), (0, 1, 0, 1))


def test_main_prints_each_half(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = {
        "description": "two hand-made criteria",
        "items": [
            msgspec.to_builtins(
                _item(
                    "Surgery within 4 weeks or prior surgery",
                    Label(kind="treatment", text="surgery"),
                )
            ),
            {**msgspec.to_builtins(_item("Patients with asthma")), "split": "held_out"},
        ],
    }
    path = tmp_path / "labels.json"
    path.write_bytes(msgspec.json.encode(labels))
    assert main([str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "tuning: 1 criteria from 1 trials"
    assert lines[6] == "  treatment    precision 100.0% (2/2)  recall 100.0% (1/1)"
    assert lines[7] == "held_out: 1 criteria from 1 trials"
    assert lines[12] == "  condition    precision   0.0% (0/1)  recall    -   (0/0)"


def test_main_names_a_missing_labelled_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / "absent.json")])
    assert stop.value.code == 2
    assert "no labelled file at" in capsys.readouterr().err
