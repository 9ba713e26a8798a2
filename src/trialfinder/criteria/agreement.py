"""Agreement between two annotators' labels of the same criteria, per constraint kind.

Run ``python -m trialfinder.criteria.agreement first.json second.json [--split held_out]``.
Items are paired by NCT id and criterion text. Two labels agree under the evaluator's own rules
(``evaluate``'s module docstring): equal kind, equal bounds, analyte, score name or sex, or
overlapping occurrences of the two surface texts for conditions and treatments. For each kind it
prints how many of the first annotator's labels the second found, the reverse, and their F1
(matched labels of both over all labels of both), so a label set can be checked before a
precision figure on it is trusted.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import msgspec

from trialfinder.criteria.evaluate import (
    KINDS,
    Item,
    Label,
    load_labels,
    occurrences,
    same_bound,
)
from trialfinder.criteria.tables import normal_key

__all__ = ["Agreement", "agreement", "labels_agree", "main"]


class Agreement(msgspec.Struct, kw_only=True):
    """Counts for one constraint kind."""

    first: int = 0
    first_found: int = 0
    second: int = 0
    second_found: int = 0

    @property
    def f1(self) -> float | None:
        """Labels of either annotator that the other also gave, over all labels; None if none."""
        total = self.first + self.second
        return (self.first_found + self.second_found) / total if total else None


def _same_bounds(a: Label, b: Label) -> bool:
    return same_bound(a.low, b.low) and same_bound(a.high, b.high)


def labels_agree(a: Label, b: Label, text: str) -> bool:
    """Whether two labels of the criterion ``text`` name the same constraint."""
    if a.kind != b.kind:
        return False
    if a.kind == "age":
        return _same_bounds(a, b)
    if a.kind == "sex":
        return a.sex == b.sex
    if a.kind == "measurement":
        return a.analyte == b.analyte and _same_bounds(a, b)
    if a.kind == "score":
        return normal_key(a.score or "") == normal_key(b.score or "") and _same_bounds(a, b)
    return any(
        start_a < end_b and start_b < end_a
        for start_a, end_a in occurrences(a.text or "", text)
        for start_b, end_b in occurrences(b.text or "", text)
    )


def _found(labels: list[Label], others: list[Label], text: str) -> int:
    return sum(any(labels_agree(label, other, text) for other in others) for label in labels)


def agreement(pairs: Iterable[tuple[Item, Item]]) -> dict[str, Agreement]:
    """Return the agreement counts per kind over pairs of the same criterion."""
    counts = {kind: Agreement() for kind in KINDS}
    for first, second in pairs:
        for kind, count in counts.items():
            mine = [label for label in first.expected if label.kind == kind]
            theirs = [label for label in second.expected if label.kind == kind]
            count.first += len(mine)
            count.second += len(theirs)
            count.first_found += _found(mine, theirs, first.text)
            count.second_found += _found(theirs, mine, first.text)
    return counts


def _percent(part: int, whole: int) -> str:
    return "   -  " if not whole else f"{100 * part / whole:5.1f}%"


def main(argv: list[str] | None = None) -> int:
    """Print per-kind agreement of two labelled files over the criteria they share."""
    parser = argparse.ArgumentParser(
        prog="python -m trialfinder.criteria.agreement",
        description="Agreement of two annotators' labels of the same criteria.",
    )
    parser.add_argument("first", type=Path, help="labelled JSON file of the first annotator")
    parser.add_argument("second", type=Path, help="labelled JSON file of the second annotator")
    parser.add_argument("--split", help="only the first file's items of this split")
    options = parser.parse_args(argv)
    for path in (options.first, options.second):
        if not path.is_file():
            parser.error(f"no labelled file at {path}")
    try:
        first_items, second_items = load_labels(options.first), load_labels(options.second)
    except msgspec.MsgspecError as error:
        parser.error(f"not a labelled file: {error}")
    second = {(item.nct_id, item.text): item for item in second_items}
    pairs = [
        (item, second[item.nct_id, item.text])
        for item in first_items
        if (options.split is None or item.split == options.split)
        and (item.nct_id, item.text) in second
    ]
    print(f"{len(pairs)} criteria labelled by both")
    for kind, count in agreement(pairs).items():
        f1 = "   -  " if count.f1 is None else f"{100 * count.f1:5.1f}%"
        print(
            f"  {kind:<12} first {count.first:4}, found by second "
            f"{_percent(count.first_found, count.first)}; second {count.second:4}, found by "
            f"first {_percent(count.second_found, count.second)}; F1 {f1}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
