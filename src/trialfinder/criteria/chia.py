"""Entity-level precision and recall against the Chia corpus (Kury et al. 2020, brat standoff).

Run ``python -m trialfinder.criteria.chia [folder]``; the default is
``../shared/data/chia/without_scope``. Each ``.txt`` line is one criterion, parsed on its own.
Chia entity types are compared with the constraints that line up with them:

- Measurement: a ``Measurement`` constraint (Chia marks the analyte; we mark analyte to value);
- Person (age): a Chia Person entity with a digit in it or a ``Has_value`` link (its span
  joined with the Value's), vs ``age``;
- Condition: a ``condition`` constraint; negation is scored on matched conditions whose Chia
  entity has a ``Has_negation`` link;
- Drug, Procedure: a ``treatment`` constraint (class ``procedure`` for Procedure);
- Temporal: the time window attached to a condition or treatment.

Strict means the spans are equal; lenient means they overlap.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Measurement,
    TreatmentConstraint,
)
from trialfinder.criteria.parser import parse_criterion

__all__ = ["TYPES", "ChiaScore", "evaluate_folder", "main"]

TYPES = ("Measurement", "Person", "Condition", "Drug", "Procedure", "Temporal")
DEFAULT = Path(__file__).resolve().parents[4] / "shared" / "data" / "chia" / "without_scope"
_ENTITY = re.compile(r"^(T\d+)\t(\w+) (\d+ \d+(?:;\d+ \d+)*)\t")
_RELATION = re.compile(r"^R\d+\t(\w+) Arg1:(T\d+) Arg2:(T\d+)")

Span = tuple[int, int]


@dataclass
class ChiaScore:
    """Counts for one Chia entity type."""

    gold: int = 0
    predicted: int = 0
    strict_found: int = 0
    lenient_found: int = 0
    strict_correct: int = 0
    lenient_correct: int = 0
    negation: list[bool] = field(default_factory=list)

    def rates(self) -> dict[str, float | None]:
        """Return strict and lenient precision and recall (None when undefined)."""

        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "strict_precision": ratio(self.strict_correct, self.predicted),
            "strict_recall": ratio(self.strict_found, self.gold),
            "lenient_precision": ratio(self.lenient_correct, self.predicted),
            "lenient_recall": ratio(self.lenient_found, self.gold),
        }


def _gold(ann: str) -> tuple[dict[str, list[Span]], set[Span]]:
    """Return the gold spans per type, and the spans of negated Conditions."""
    entities: dict[str, tuple[str, Span, str]] = {}
    for line in ann.splitlines():
        match = _ENTITY.match(line)
        if match:
            pieces = [tuple(map(int, p.split())) for p in match.group(3).split(";")]
            span = (pieces[0][0], pieces[-1][1])
            entities[match.group(1)] = (match.group(2), span, line.split("\t")[-1])
    linked: dict[str, set[str]] = defaultdict(set)
    values: dict[str, list[Span]] = defaultdict(list)
    for line in ann.splitlines():
        match = _RELATION.match(line)
        if match:
            linked[match.group(2)].add(match.group(1))
            if match.group(1) == "Has_value" and match.group(3) in entities:
                values[match.group(2)].append(entities[match.group(3)][1])
    gold: dict[str, list[Span]] = {t: [] for t in TYPES}
    negated: set[Span] = set()
    for key, (kind, span, text) in entities.items():
        if kind == "Person":
            if not (re.search(r"\d", text) or values[key]):
                continue
            # "Age" + its Value "18 years or older" is one age, as we read it.
            spans = [span, *values[key]]
            span = (min(a for a, _ in spans), max(b for _, b in spans))
        if kind in gold:
            gold[kind].append(span)
        if kind == "Condition" and "Has_negation" in linked[key]:
            negated.add(span)
    return gold, negated


def _predicted(text: str) -> dict[str, list[tuple[Span, bool]]]:
    """Return the predicted spans per Chia type (file offsets), with their negation."""
    out: dict[str, list[tuple[Span, bool]]] = {t: [] for t in TYPES}
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for c in parse_criterion(line):
                span = (offset + c.span[0], offset + c.span[1])
                if isinstance(c, Measurement):
                    out["Measurement"].append((span, False))
                elif isinstance(c, AgeConstraint):
                    out["Person"].append((span, False))
                elif isinstance(c, ConditionConstraint | TreatmentConstraint):
                    if isinstance(c, ConditionConstraint):
                        out["Condition"].append((span, c.negated))
                    else:
                        kind = "Procedure" if c.therapy_class == "procedure" else "Drug"
                        out[kind].append((span, c.negated))
                    if c.window is not None:
                        window = (offset + c.window.span[0], offset + c.window.span[1])
                        if (window, False) not in out["Temporal"]:
                            out["Temporal"].append((window, False))
        offset += len(line) + 1
    return out


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate_folder(folder: Path = DEFAULT) -> dict[str, ChiaScore]:
    """Return the counts per Chia type over every ``.txt``/``.ann`` pair in ``folder``."""
    scores = {t: ChiaScore() for t in TYPES}
    for txt in sorted(folder.glob("*.txt")):
        ann = txt.with_suffix(".ann")
        if not ann.is_file():
            continue
        gold, negated = _gold(ann.read_text(encoding="utf-8"))
        predicted = _predicted(txt.read_text(encoding="utf-8"))
        for kind in TYPES:
            score, golds, preds = scores[kind], gold[kind], predicted[kind]
            score.gold += len(golds)
            score.predicted += len(preds)
            score.strict_found += sum(any(p == g for p, _ in preds) for g in golds)
            score.lenient_found += sum(any(_overlap(p, g) for p, _ in preds) for g in golds)
            score.strict_correct += sum(p in golds for p, _ in preds)
            score.lenient_correct += sum(any(_overlap(p, g) for g in golds) for p, _ in preds)
            if kind == "Condition":
                for p, is_negated in preds:
                    hits = [g for g in golds if _overlap(p, g)]
                    if hits:
                        score.negation.append(is_negated == any(g in negated for g in hits))
    return scores


def main(argv: list[str] | None = None) -> int:
    """Print strict and lenient precision/recall per Chia type."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT
    for kind, score in evaluate_folder(folder).items():
        rates = score.rates()
        line = (
            f"{kind:<12} gold {score.gold:>6} predicted {score.predicted:>6}  "
            f"strict P {rates['strict_precision']} R {rates['strict_recall']}  "
            f"lenient P {rates['lenient_precision']} R {rates['lenient_recall']}"
        )
        if score.negation:
            line += f"  negation agreement {sum(score.negation) / len(score.negation):.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
