"""Precision and recall of the parser against hand-labelled criteria, per constraint kind.

Run ``python -m trialfinder.criteria.evaluate [labels.json]``; the default is the labelled set in
``tests/criteria/labelled/``. A prediction matches a label of the same kind when:

- age: the bounds in years are equal (inclusivity not compared);
- sex: the sex is equal;
- measurement: the analyte and the bounds as written are equal;
- score: the score name (lower case, no blanks or hyphens) and the bounds are equal;
- condition, treatment: the predicted span overlaps an occurrence of the labelled text in the
  criterion: any occurrence, case folded, any run of blanks (spaces, tabs, line breaks) matching
  any other run.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import msgspec

from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Constraint,
    Measurement,
    ScoreConstraint,
    SexConstraint,
    TreatmentConstraint,
)
from trialfinder.criteria.parser import parse_criterion
from trialfinder.criteria.tables import normal_key

__all__ = [
    "KINDS",
    "Item",
    "Label",
    "Score",
    "evaluate",
    "load_labels",
    "main",
    "occurrences",
    "same_bound",
]

KINDS = ("age", "sex", "measurement", "score", "condition", "treatment")


class Label(msgspec.Struct, kw_only=True):
    """One expected constraint."""

    kind: str
    low: float | None = None
    high: float | None = None
    sex: str | None = None
    analyte: str | None = None
    score: str | None = None
    text: str | None = None


class Item(msgspec.Struct, kw_only=True):
    """One labelled criterion."""

    nct_id: str
    split: str
    section: str
    text: str
    expected: list[Label]


class LabelFile(msgspec.Struct, kw_only=True):
    """A labelled set and how it was made."""

    description: str
    items: list[Item]


class Score(msgspec.Struct, kw_only=True):
    """Counts for one constraint kind."""

    true_positive: int = 0
    predicted: int = 0
    expected: int = 0
    found: int = 0

    @property
    def precision(self) -> float | None:
        """Matched predictions over predictions, or None with no prediction."""
        return self.true_positive / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        """Matched labels over labels, or None with no label."""
        return self.found / self.expected if self.expected else None


DEFAULT = Path(__file__).resolve().parents[3] / "tests" / "criteria" / "labelled" / "ctgov_dev.json"


def load_labels(path: Path = DEFAULT) -> list[Item]:
    """Return the labelled items in ``path``."""
    return msgspec.json.decode(path.read_bytes(), type=LabelFile).items


def same_bound(a: float | None, b: float | None) -> bool:
    """Whether two bounds are equal: both open, or both numbers within 0.01."""
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 0.01)


@cache
def _surface(label_text: str) -> re.Pattern[str]:
    """Return a regex for a labelled surface text: case folded, blanks as any run of blanks."""
    return re.compile(r"\s+".join(re.escape(word) for word in label_text.split()), re.IGNORECASE)


def occurrences(label_text: str, text: str) -> list[tuple[int, int]]:
    """Return the spans of every occurrence of ``label_text`` in ``text``, blanks normalised."""
    if not label_text.split():
        return []
    return [m.span() for m in _surface(label_text).finditer(text)]


def _matches(prediction: Constraint, label: Label, text: str) -> bool:
    if isinstance(prediction, AgeConstraint) and label.kind == "age":
        return same_bound(prediction.years.low, label.low) and same_bound(
            prediction.years.high, label.high
        )
    if isinstance(prediction, SexConstraint) and label.kind == "sex":
        return prediction.sex == label.sex
    if isinstance(prediction, Measurement) and label.kind == "measurement":
        return prediction.analyte == label.analyte and (
            (label.low is None and label.high is None)
            or (
                same_bound(prediction.bounds.low, label.low)
                and same_bound(prediction.bounds.high, label.high)
            )
        )
    if isinstance(prediction, ScoreConstraint) and label.kind == "score":
        return (
            normal_key(prediction.score) == normal_key(label.score or "")
            and same_bound(prediction.bounds.low, label.low)
            and same_bound(prediction.bounds.high, label.high)
        )
    if (
        isinstance(prediction, ConditionConstraint)
        and label.kind == "condition"
        or isinstance(prediction, TreatmentConstraint)
        and label.kind == "treatment"
    ):
        return any(
            prediction.span[0] < end and start < prediction.span[1]
            for start, end in occurrences(label.text or "", text)
        )
    return False


def _kind(constraint: Constraint) -> str:
    return msgspec.to_builtins(constraint)["kind"]  # type: ignore[no-any-return]


def evaluate(items: Iterable[Item]) -> dict[str, Score]:
    """Return the counts per constraint kind over ``items``."""
    scores = {kind: Score() for kind in KINDS}
    for item in items:
        predictions = [p for p in parse_criterion(item.text) if _kind(p) in scores]
        for prediction in predictions:
            kind = _kind(prediction)
            scores[kind].predicted += 1
            if any(_matches(prediction, label, item.text) for label in item.expected):
                scores[kind].true_positive += 1
        for label in item.expected:
            scores[label.kind].expected += 1
            if any(_matches(p, label, item.text) for p in predictions):
                scores[label.kind].found += 1
    return scores


def _percent(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def main(argv: list[str] | None = None) -> int:
    """Print precision and recall per kind for the tuning and held-out halves."""
    parser = argparse.ArgumentParser(
        prog="python -m trialfinder.criteria.evaluate",
        description="Precision and recall of the criteria reader on a labelled file.",
    )
    parser.add_argument("labels", nargs="?", type=Path, default=DEFAULT, help="labelled JSON file")
    labels: Path = parser.parse_args(argv).labels
    if not labels.is_file():
        parser.error(f"no labelled file at {labels}")
    items = load_labels(labels)
    for split in ("tuning", "held_out"):
        chosen = [i for i in items if i.split == split]
        trials = len({i.nct_id for i in chosen})
        print(f"{split}: {len(chosen)} criteria from {trials} trials")
        for kind, score in evaluate(chosen).items():
            print(
                f"  {kind:<12} precision {_percent(score.precision)} "
                f"({score.true_positive}/{score.predicted})  recall {_percent(score.recall)} "
                f"({score.found}/{score.expected})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
