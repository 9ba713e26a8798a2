"""Agreement of two annotators: the same matching rules as the evaluator, counted both ways."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from trialfinder.criteria.agreement import agreement, labels_agree, main
from trialfinder.criteria.evaluate import Item, Label

TEXT = "Prior CAR-T therapy or kidney transplantation; eGFR >= 30 mL/min; ECOG 0-2"


def _item(*expected: Label, text: str = TEXT) -> Item:
    return Item(
        nct_id="NCT00000001", split="held_out", section="exclusion", text=text, expected=[*expected]
    )


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        (
            Label(kind="treatment", text="CAR-T therapy"),
            Label(kind="treatment", text="CAR-T"),
            True,
        ),
        (
            Label(kind="treatment", text="CAR-T"),
            Label(kind="treatment", text="kidney transplantation"),
            False,
        ),
        (Label(kind="treatment", text="CAR-T"), Label(kind="condition", text="CAR-T"), False),
        (
            Label(kind="measurement", analyte="egfr", low=30),
            Label(kind="measurement", analyte="egfr", low=30.001),
            True,
        ),
        (
            Label(kind="measurement", analyte="egfr", low=30),
            Label(kind="measurement", analyte="egfr", high=30),
            False,
        ),
        (
            Label(kind="score", score="ECOG", low=0, high=2),
            Label(kind="score", score="ecog", low=0, high=2),
            True,
        ),
        (Label(kind="sex", sex="female"), Label(kind="sex", sex="male"), False),
        (Label(kind="age", low=18), Label(kind="age", low=18, high=None), True),
    ],
    ids=[
        "overlapping-spans",
        "other-span",
        "other-kind",
        "bounds-within-0.01",
        "other-side",
        "score-name-case",
        "other-sex",
        "open-bound",
    ],
)
def test_labels_agree(first: Label, second: Label, agree: bool) -> None:
    assert labels_agree(first, second, TEXT) is agree
    assert labels_agree(second, first, TEXT) is agree


def test_agreement_counts_each_side() -> None:
    first = _item(
        Label(kind="treatment", text="CAR-T therapy"),
        Label(kind="score", score="ECOG", low=0, high=2),
    )
    second = _item(
        Label(kind="treatment", text="CAR-T"),
        Label(kind="treatment", text="kidney transplantation"),
        Label(kind="score", score="ECOG", low=0, high=2),
    )
    counts = agreement([(first, second)])
    treatment = counts["treatment"]
    assert (treatment.first, treatment.first_found, treatment.second, treatment.second_found) == (
        1,
        1,
        2,
        1,
    )
    assert treatment.f1 == pytest.approx(2 / 3)
    assert counts["score"].f1 == 1.0
    assert counts["age"].f1 is None


def _write(path: Path, *items: Item) -> Path:
    labelled = {"description": "test", "items": list(items)}
    path.write_bytes(msgspec.json.encode(labelled))
    return path


def test_main_pairs_items_by_trial_and_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = _item(Label(kind="treatment", text="CAR-T"))
    only_first = _item(Label(kind="condition", text="lupus"), text="Lupus nephritis")
    first = _write(tmp_path / "a.json", shared, only_first)
    second = _write(tmp_path / "b.json", _item(Label(kind="treatment", text="CAR-T therapy")))
    assert main([str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 criteria labelled by both")
    assert "treatment    first    1, found by second 100.0%" in out
    assert "condition    first    0" in out


def test_main_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "none.json"), str(tmp_path / "none.json")])
    assert exit_.value.code == 2
    assert "no labelled file at" in capsys.readouterr().err


def test_main_names_a_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"description": "no split", "items": [{"nct_id": "NCT1", "text": "x"}]}')
    with pytest.raises(SystemExit) as exit_:
        main([str(broken), str(broken)])
    assert exit_.value.code == 2
    assert "not a labelled file: Object missing required field `split`" in capsys.readouterr().err
