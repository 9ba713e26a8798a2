"""Entity- and relation-level precision and recall against the Chia corpus (Kury et al. 2020).

Run ``python -m trialfinder.criteria.chia [folder]``; the default is
``../shared/data/chia/without_scope``. Each ``.txt`` line is one criterion, parsed on its own.
Offsets are counted on the raw text: most Chia files end lines with ``\\r\\n`` and the brat
offsets count both characters. Spans on both sides are compared after trimming surrounding
whitespace. Strict means the spans are equal; lenient means they overlap.

Entities: Chia types are compared with the constraints that line up with them:

- Measurement: a ``Measurement`` constraint (Chia marks the analyte; we mark analyte to value);
- Person (age): a Chia Person entity with a digit in it or a ``Has_value`` link (its span
  joined with the Value's), vs ``age``;
- Condition: a ``condition`` constraint; negation is scored on matched conditions whose Chia
  entity has a ``Has_negation`` link;
- Drug, Procedure: a ``treatment`` constraint (class ``procedure`` for Procedure);
- Temporal: the time window attached to a condition or treatment.

Relations: each ``RelationKind`` pairs a Chia relation (``Has_value``, ``Has_negation``,
``Has_temporal`` with its argument types) with the constraints that carry the same link; see
``RelationKind.compare`` for how a pair of ours is matched with a gold pair. Recall is over
every gold pair of the kind. Precision is over our pairs of the kind on the lines where Chia
annotates (at least one Chia entity starts on the line), so lines the annotators skipped do not
count against us.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Constraint,
    Measurement,
    ScoreConstraint,
    TreatmentConstraint,
)
from trialfinder.criteria.parser import parse_criterion
from trialfinder.criteria.tables import has_number

__all__ = [
    "RELATION_KINDS",
    "TYPES",
    "BratEntity",
    "BratRelation",
    "ChiaFile",
    "ChiaScore",
    "ParsedLine",
    "RelationKind",
    "evaluate_folder",
    "evaluate_relations",
    "main",
    "read_folder",
]

TYPES = ("Measurement", "Person", "Condition", "Drug", "Procedure", "Temporal")
DEFAULT = Path(__file__).resolve().parents[4] / "shared" / "data" / "chia" / "without_scope"
_ENTITY = re.compile(r"^(T\d+)\t([\w-]+) (\d+ \d+(?:;\d+ \d+)*)\t")
_RELATION = re.compile(r"^R\d+\t([\w-]+) Arg1:(T\d+) Arg2:(T\d+)")

Span = tuple[int, int]


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BratEntity:
    """One brat ``T`` line: its type and span (first start to last end of its pieces)."""

    type: str
    span: Span
    text: str


@dataclass(frozen=True)
class BratRelation:
    """One brat ``R`` line: ``type`` links entity ``arg1`` to entity ``arg2`` (``T`` ids)."""

    type: str
    arg1: str
    arg2: str


@dataclass(frozen=True)
class ParsedLine:
    """One non-empty criterion line: where it lies in the file and what we read from it."""

    start: int
    end: int
    constraints: tuple[Constraint, ...]


@dataclass(frozen=True)
class ChiaFile:
    """One Chia criteria file: its raw text, the gold annotations and our parsed lines."""

    text: str
    entities: dict[str, BratEntity]
    relations: tuple[BratRelation, ...]
    lines: tuple[ParsedLine, ...]

    def shift(self, line: ParsedLine, span: Span) -> Span:
        """Return a span of ``line``'s text as trimmed file offsets."""
        return _trim(self.text, (line.start + span[0], line.start + span[1]))


def _trim(text: str, span: Span) -> Span:
    """Return ``span`` without the whitespace (and ``\\r``) around it in ``text``."""
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else span


def _read_brat(ann: str) -> tuple[dict[str, BratEntity], tuple[BratRelation, ...]]:
    """Return the entities by id and the relations of one ``.ann`` file."""
    entities: dict[str, BratEntity] = {}
    relations: list[BratRelation] = []
    for line in ann.splitlines():
        entity = _ENTITY.match(line)
        if entity:
            pieces = [tuple(map(int, p.split())) for p in entity.group(3).split(";")]
            span = (pieces[0][0], pieces[-1][1])
            entities[entity.group(1)] = BratEntity(entity.group(2), span, line.split("\t")[-1])
        relation = _RELATION.match(line)
        if relation:
            relations.append(BratRelation(*relation.groups()))
    return entities, tuple(relations)


def _parse_lines(text: str) -> tuple[ParsedLine, ...]:
    """Return our constraints for each non-empty line of ``text``."""
    lines: list[ParsedLine] = []
    offset = 0
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")  # "\r\n" counts two characters in brat offsets
        if line.strip():
            lines.append(ParsedLine(offset, offset + len(line), tuple(parse_criterion(line))))
        offset += len(raw) + 1
    return tuple(lines)


def read_folder(folder: Path = DEFAULT) -> list[ChiaFile]:
    """Return every ``.txt``/``.ann`` pair in ``folder``, read and parsed, gold spans trimmed."""
    files: list[ChiaFile] = []
    for txt in sorted(folder.glob("*.txt")):
        ann = txt.with_suffix(".ann")
        if not ann.is_file():
            continue
        # Bytes, not read_text(): universal newlines would turn "\r\n" into "\n" and shift offsets.
        text = txt.read_bytes().decode("utf-8")
        entities, relations = _read_brat(ann.read_text(encoding="utf-8"))
        trimmed = {k: BratEntity(e.type, _trim(text, e.span), e.text) for k, e in entities.items()}
        files.append(ChiaFile(text, trimmed, relations, _parse_lines(text)))
    return files


# --- scores -----------------------------------------------------------------------------------


@dataclass
class ChiaScore:
    """Counts for one Chia entity type or relation kind."""

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


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# --- entities ---------------------------------------------------------------------------------


def _gold(chia: ChiaFile) -> tuple[dict[str, list[Span]], set[Span]]:
    """Return the gold spans per type, and the spans of negated Conditions."""
    linked: dict[str, set[str]] = defaultdict(set)
    values: dict[str, list[Span]] = defaultdict(list)
    for relation in chia.relations:
        linked[relation.arg1].add(relation.type)
        if relation.type == "Has_value" and relation.arg2 in chia.entities:
            values[relation.arg1].append(chia.entities[relation.arg2].span)
    gold: dict[str, list[Span]] = {t: [] for t in TYPES}
    negated: set[Span] = set()
    for key, entity in chia.entities.items():
        span = entity.span
        if entity.type == "Person":
            if not (re.search(r"\d", entity.text) or values[key]):
                continue
            # "Age" + its Value "18 years or older" is one age, as we read it.
            spans = [span, *values[key]]
            span = (min(a for a, _ in spans), max(b for _, b in spans))
        if entity.type in gold:
            gold[entity.type].append(span)
        if entity.type == "Condition" and "Has_negation" in linked[key]:
            negated.add(span)
    return gold, negated


def _predicted(chia: ChiaFile) -> dict[str, list[tuple[Span, bool]]]:
    """Return the predicted spans per Chia type (file offsets), with their negation."""
    out: dict[str, list[tuple[Span, bool]]] = {t: [] for t in TYPES}
    for line in chia.lines:
        for c in line.constraints:
            span = chia.shift(line, c.span)
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
                    window = chia.shift(line, c.window.span)
                    if (window, False) not in out["Temporal"]:
                        out["Temporal"].append((window, False))
    return out


def _score_entities(files: Iterable[ChiaFile]) -> dict[str, ChiaScore]:
    """Return the entity counts per Chia type over ``files``."""
    scores = {t: ChiaScore() for t in TYPES}
    for chia in files:
        gold, negated = _gold(chia)
        predicted = _predicted(chia)
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


def evaluate_folder(folder: Path = DEFAULT) -> dict[str, ChiaScore]:
    """Return the entity counts per Chia type over every ``.txt``/``.ann`` pair in ``folder``."""
    return _score_entities(read_folder(folder))


# --- relations --------------------------------------------------------------------------------

# Our side of a pair, in the criterion line's offsets: the first argument's span and, when the
# constraint keeps one, the second's (a time window's span).
OurPair = tuple[Span, Span | None]


@dataclass(frozen=True)
class RelationKind:
    """A Chia relation between two entity types, and the constraints that carry the same link.

    ``compare`` says which spans we keep for the pair, hence what strict and lenient mean:

    - ``hull``: one span for both arguments (a Measurement or age runs from analyte to value).
      Strict: our span equals the smallest span holding both gold arguments. Lenient: our span
      overlaps both.
    - ``first``: only the first argument has a span; the second is a flag (``negated``), so it
      is checked by the constraint having the flag, not by span. Strict: our span equals the
      gold first argument. Lenient: it overlaps it.
    - ``both``: a span per argument (a therapy and its window). Strict: both spans equal
      theirs. Lenient: each overlaps its own.

    ``numeric`` keeps only the gold pairs whose second argument holds a number ("within 6
    months", not "prior"): the time windows we read always carry an amount.
    """

    name: str
    relation: str
    first_types: frozenset[str]
    second_type: str
    compare: Literal["hull", "first", "both"]
    ours: Callable[[Constraint], OurPair | None]
    numeric: bool = False


def _measurement(c: Constraint) -> OurPair | None:
    return (c.span, None) if isinstance(c, Measurement) else None


def _measurement_or_score(c: Constraint) -> OurPair | None:
    return (c.span, None) if isinstance(c, Measurement | ScoreConstraint) else None


def _age(c: Constraint) -> OurPair | None:
    return (c.span, None) if isinstance(c, AgeConstraint) else None


def _negated_condition(c: Constraint) -> OurPair | None:
    return (c.span, None) if isinstance(c, ConditionConstraint) and c.negated else None


def _negated_treatment(c: Constraint) -> OurPair | None:
    return (c.span, None) if isinstance(c, TreatmentConstraint) and c.negated else None


def _treatment_window(c: Constraint) -> OurPair | None:
    if isinstance(c, TreatmentConstraint) and c.window is not None:
        return (c.span, c.window.span)
    return None


def _condition_window(c: Constraint) -> OurPair | None:
    if isinstance(c, ConditionConstraint) and c.window is not None:
        return (c.span, c.window.span)
    return None


_THERAPY = frozenset({"Drug", "Procedure"})
RELATION_KINDS = (
    RelationKind(
        "Measurement-value", "Has_value", frozenset({"Measurement"}), "Value", "hull", _measurement
    ),
    RelationKind(
        "Measurement-value (lab or score)",
        "Has_value",
        frozenset({"Measurement"}),
        "Value",
        "hull",
        _measurement_or_score,
    ),
    RelationKind("Person-value (age)", "Has_value", frozenset({"Person"}), "Value", "hull", _age),
    RelationKind(
        "Condition-negation",
        "Has_negation",
        frozenset({"Condition"}),
        "Negation",
        "first",
        _negated_condition,
    ),
    RelationKind(
        "Drug/Procedure-negation", "Has_negation", _THERAPY, "Negation", "first", _negated_treatment
    ),
    RelationKind(
        "Drug/Procedure-temporal", "Has_temporal", _THERAPY, "Temporal", "both", _treatment_window
    ),
    RelationKind(
        "Drug/Procedure-temporal (numeric)",
        "Has_temporal",
        _THERAPY,
        "Temporal",
        "both",
        _treatment_window,
        numeric=True,
    ),
    RelationKind(
        "Condition-temporal",
        "Has_temporal",
        frozenset({"Condition"}),
        "Temporal",
        "both",
        _condition_window,
    ),
    RelationKind(
        "Condition-temporal (numeric)",
        "Has_temporal",
        frozenset({"Condition"}),
        "Temporal",
        "both",
        _condition_window,
        numeric=True,
    ),
)


def _gold_pairs(chia: ChiaFile, kind: RelationKind) -> list[tuple[Span, Span]]:
    """Return the (first, second) argument spans of every gold relation of ``kind``."""
    pairs: list[tuple[Span, Span]] = []
    for relation in chia.relations:
        first, second = chia.entities.get(relation.arg1), chia.entities.get(relation.arg2)
        if (
            relation.type == kind.relation
            and first is not None
            and second is not None
            and first.type in kind.first_types
            and second.type == kind.second_type
            and (not kind.numeric or has_number(second.text.lower()))
        ):
            pairs.append((first.span, second.span))
    return pairs


def _our_pairs(chia: ChiaFile, kind: RelationKind) -> list[tuple[Span, Span | None, bool]]:
    """Return our pairs of ``kind`` in file offsets, each with whether Chia annotates its line."""
    starts = [entity.span[0] for entity in chia.entities.values()]
    pairs: list[tuple[Span, Span | None, bool]] = []
    for line in chia.lines:
        is_annotated = any(line.start <= start < line.end for start in starts)
        for constraint in line.constraints:
            ours = kind.ours(constraint)
            if ours is not None:
                second = None if ours[1] is None else chia.shift(line, ours[1])
                pairs.append((chia.shift(line, ours[0]), second, is_annotated))
    return pairs


def _pair_matches(
    kind: RelationKind, first: Span, second: Span | None, gold: tuple[Span, Span], strict: bool
) -> bool:
    """Return True when our pair matches the gold pair under ``kind.compare``."""
    gold_first, gold_second = gold
    if kind.compare == "hull":
        if strict:
            return first == (min(gold_first[0], gold_second[0]), max(gold_first[1], gold_second[1]))
        return _overlap(first, gold_first) and _overlap(first, gold_second)
    same = (lambda a, b: a == b) if strict else _overlap
    if kind.compare == "first":
        return same(first, gold_first)
    return second is not None and same(first, gold_first) and same(second, gold_second)


def _count(
    kind: RelationKind,
    golds: list[tuple[Span, Span]],
    ours: list[tuple[Span, Span | None, bool]],
    strict: bool,
) -> tuple[int, int]:
    """Return (gold pairs found, our pairs on annotated lines that match a gold pair)."""
    found = sum(any(_pair_matches(kind, a, b, gold, strict) for a, b, _ in ours) for gold in golds)
    correct = sum(
        any(_pair_matches(kind, a, b, gold, strict) for gold in golds)
        for a, b, is_annotated in ours
        if is_annotated
    )
    return found, correct


def _score_relations(files: Iterable[ChiaFile]) -> dict[str, ChiaScore]:
    """Return the relation counts per kind over ``files``."""
    scores = {kind.name: ChiaScore() for kind in RELATION_KINDS}
    for chia in files:
        for kind in RELATION_KINDS:
            score, golds, ours = scores[kind.name], _gold_pairs(chia, kind), _our_pairs(chia, kind)
            score.gold += len(golds)
            score.predicted += sum(is_annotated for _, _, is_annotated in ours)
            strict_found, strict_correct = _count(kind, golds, ours, strict=True)
            lenient_found, lenient_correct = _count(kind, golds, ours, strict=False)
            score.strict_found += strict_found
            score.strict_correct += strict_correct
            score.lenient_found += lenient_found
            score.lenient_correct += lenient_correct
    return scores


def evaluate_relations(folder: Path = DEFAULT) -> dict[str, ChiaScore]:
    """Return the relation counts per ``RelationKind`` name over every file in ``folder``."""
    return _score_relations(read_folder(folder))


# --- command line -----------------------------------------------------------------------------


def _row(name: str, score: ChiaScore) -> str:
    """Return one printed table row: counts, then strict and lenient precision and recall."""
    rates = score.rates()
    return (
        f"{name:<34} gold {score.gold:>6} predicted {score.predicted:>6}  "
        f"strict P {rates['strict_precision']} R {rates['strict_recall']}  "
        f"lenient P {rates['lenient_precision']} R {rates['lenient_recall']}"
    )


def main(argv: list[str] | None = None) -> int:
    """Print strict and lenient precision/recall per Chia type, then per relation kind."""
    parser = argparse.ArgumentParser(
        prog="python -m trialfinder.criteria.chia",
        description="Strict and lenient agreement with the Chia corpus's annotations.",
    )
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT, help="Chia brat folder")
    folder: Path = parser.parse_args(argv).folder
    if not folder.is_dir():
        parser.error(f"no Chia folder at {folder}")
    files = read_folder(folder)
    print("entities")
    for kind, score in _score_entities(files).items():
        line = _row(kind, score)
        if score.negation:
            line += f"  negation agreement {sum(score.negation) / len(score.negation):.3f}"
        print(line)
    print("relations")
    for name, score in _score_relations(files).items():
        print(_row(name, score))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
