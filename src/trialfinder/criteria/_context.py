"""ConText-style scoping: negation, history, hypothetical and family cues around a mention."""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialfinder.criteria import lexicon
from trialfinder.criteria.tables import normal_key

# Punctuation that closes a cue's scope, as ConText ends scope at the sentence.
_BOUNDARY = re.compile(r"[;:.](?:\s|$)|\n\s*\n")
FORWARD_REACH = 80
BACKWARD_REACH = 40


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue found in a text."""

    start: int
    end: int
    category: str
    direction: str


@dataclass(frozen=True, slots=True)
class Context:
    """What the cues say about one mention."""

    negated: bool = False
    historical: bool = False
    current: bool = False
    hypothetical: bool = False
    family: bool = False


def find_cues(text: str, extra: list[Cue]) -> list[Cue]:
    """Return every cue in ``text`` plus ``extra``, without cues inside a PSEUDO cue."""
    index, by_key = lexicon.cue_index()
    cues = list(extra)
    for start, end in index.find(text):
        cue = by_key.get(normal_key(text[start:end]))
        if cue is not None:
            cues.append(Cue(start, end, cue.category, cue.direction))
    pseudo = [c for c in cues if c.category == "PSEUDO"]
    if pseudo:
        cues = [
            c
            for c in cues
            if c.category == "PSEUDO" or not any(p.start <= c.start < p.end for p in pseudo)
        ]
    return cues


# Terminators of a negation's scope only: "no response following chemotherapy" negates the
# response, not the chemotherapy, while "planned ... following randomisation" stays planned.
_NEGATION_TERMINATE = "TERMINATE_NEGATION"
_ENDS_NEGATION = frozenset({"TERMINATE", _NEGATION_TERMINATE})
_ENDS = frozenset({"TERMINATE"})


def _closed(text: str, cues: list[Cue], start: int, end: int, category: str = "") -> bool:
    """Return True when a terminator of ``category``'s scope or a sentence boundary lies
    between start and end."""
    if start >= end:
        return False
    if _BOUNDARY.search(text, start, end):
        return True
    ends = _ENDS_NEGATION if category == "NEGATED_EXISTENCE" else _ENDS
    return any(c.category in ends and start <= c.start and c.end <= end for c in cues)


# A "non-" written onto the mention itself negates it: "non-smokers", "non-obese", "non-diabetic".
# Compounds that are themselves a condition ("non-small cell lung cancer") start at "non".
_NON_PREFIX = re.compile(r"(?<![\w-])non[-\s]?$", re.IGNORECASE)


def context_of(text: str, cues: list[Cue], start: int, end: int) -> Context:
    """Return the context of the mention at ``text[start:end]``."""
    found: set[str] = set()
    if _NON_PREFIX.search(text, max(0, start - 5), start):
        found.add("NEGATED_EXISTENCE")
    for cue in cues:
        if cue.category in {"TERMINATE", "PSEUDO", _NEGATION_TERMINATE}:
            continue
        if cue.end <= start and cue.direction in {"FORWARD", "BIDIRECTIONAL"}:
            if start - cue.end <= FORWARD_REACH and not _closed(
                text, cues, cue.end, start, cue.category
            ):
                found.add(cue.category)
        elif (
            cue.start >= end
            and cue.direction in {"BACKWARD", "BIDIRECTIONAL"}
            and cue.start - end <= BACKWARD_REACH
            and not _closed(text, cues, end, cue.start)
        ):
            found.add(cue.category)
    return Context(
        negated="NEGATED_EXISTENCE" in found,
        historical="HISTORICAL" in found,
        current="CURRENT" in found,
        hypothetical="HYPOTHETICAL" in found,
        family="FAMILY" in found,
    )
