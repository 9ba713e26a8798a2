"""Highlights of the trial page: each criterion's text cut into plain and recognised pieces.

``split_segments`` is pure: it cuts a text by labelled spans. ``criterion_segments`` feeds it a
criterion's constraints and gives pieces of the criterion's display text (markdown escapes
blanked, whitespace collapsed), so the page shows the same words as before with the constraints
marked. The template escapes every piece; nothing here is markup.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from trialfinder.criteria.constraints import (
    ConditionConstraint,
    ParsedCriterion,
    TreatmentConstraint,
    Unparsed,
)
from trialfinder.criteria.splitter import unescape
from trialfinder.present import constraint_text, window_text

__all__ = ["LEGEND", "Segment", "Span", "criterion_segments", "legend_of", "split_segments"]

LEGEND = (
    ("age", "Age"),
    ("sex", "Sex"),
    ("pregnancy", "Pregnancy"),
    ("measurement", "Lab or vital sign"),
    ("score", "Score"),
    ("condition", "Condition"),
    ("treatment", "Treatment"),
    ("window", "Time window"),
    ("not-checkable", "Not checkable from a record"),
)
"""The kinds of highlight, as CSS class suffixes (``c-age``), with the legend's wording."""
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled part of a text: ``text[start:end]`` was read as ``label`` of ``kind``."""

    start: int
    end: int
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a criterion: plain text (``kind`` empty) or a recognised constraint.

    ``label`` says what was read; where spans overlap it lists each covering span's label,
    outermost first, and ``kind`` is the innermost span's.
    """

    text: str
    kind: str = ""
    label: str = ""


def _covering(spans: Sequence[Span], start: int, end: int) -> tuple[int, ...]:
    """Indices of the spans covering ``[start, end)``, outermost (then earliest) first."""
    found = [i for i, s in enumerate(spans) if s.start <= start and s.end >= end]
    return tuple(sorted(found, key=lambda i: (spans[i].start, -spans[i].end, i)))


def split_segments(text: str, spans: Sequence[Span]) -> list[Segment]:
    """Return ``text`` cut into segments at every span boundary; their texts join to ``text``.

    Spans that are empty or reach outside the text are ignored. Overlapping and nested spans
    give one segment per stretch covered by the same spans: its ``kind`` is the shortest
    covering span's (the earliest given on a tie), its ``label`` joins the covering labels.
    """
    kept = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    cuts = sorted({0, len(text)} | {s.start for s in kept} | {s.end for s in kept})
    pieces: list[tuple[tuple[int, ...], int, int]] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        cover = _covering(kept, start, end)
        if pieces and pieces[-1][0] == cover:
            pieces[-1] = (cover, pieces[-1][1], end)  # same spans: one segment
        else:
            pieces.append((cover, start, end))
    segments = []
    for cover, start, end in pieces:
        if not cover:
            segments.append(Segment(text[start:end]))
            continue
        inner = min(cover, key=lambda i: (kept[i].end - kept[i].start, i))
        label = "; ".join(dict.fromkeys(kept[i].label for i in cover))
        segments.append(Segment(text[start:end], kept[inner].kind, label))
    return segments


class _Display:
    """A text with runs of whitespace made single spaces and its ends stripped, as
    ``CriterionText.display`` does, and where each of its offsets lands in the result."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[int, int, int]] = []  # raw start, raw end, display start
        at = 0
        for match in _WORD.finditer(text):
            self.tokens.append((match.start(), match.end(), at))
            at += match.end() - match.start() + 1
        self.text = " ".join(text.split())
        self.starts = [raw_start for raw_start, _, _ in self.tokens]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The display span of the raw ``[start, end)``, blanks at its ends left out."""
        i = bisect_right(self.starts, start) - 1
        if i < 0 or start >= self.tokens[i][1]:
            i += 1  # the start is in blanks: from the next word on
        first = (
            len(self.text)
            if i >= len(self.tokens)
            else self.tokens[i][2] + max(0, start - self.tokens[i][0])
        )
        j = bisect_left(self.starts, end) - 1
        last = 0 if j < 0 else self.tokens[j][2] + min(end, self.tokens[j][1]) - self.tokens[j][0]
        return first, last


def _spans(criterion: ParsedCriterion, section: str) -> list[Span]:
    spans = []
    for constraint in criterion.constraints:
        if isinstance(constraint, Unparsed):
            continue
        kind = type(constraint).__struct_config__.tag
        assert isinstance(kind, str)
        start, end = constraint.span
        label = constraint_text(constraint, section)
        spans.append(Span(start, end, kind.replace("_", "-"), label))
        if isinstance(constraint, ConditionConstraint | TreatmentConstraint) and constraint.window:
            window = constraint.window
            spans.append(Span(*window.span, "window", f"time: {window_text(window)}"))
    return spans


def criterion_segments(criterion: ParsedCriterion, section: str) -> list[Segment]:
    """Return the criterion's display text in segments, its constraints highlighted."""
    text = unescape(criterion.text)  # same length, so the spans still fit
    display = _Display(text)
    spans = [
        Span(*display.span(s.start, s.end), s.kind, s.label)
        for s in _spans(criterion, section)
        if 0 <= s.start < s.end <= len(text)
    ]
    return split_segments(display.text, spans)


def legend_of(kinds: set[str]) -> list[tuple[str, str]]:
    """Return the legend rows (kind, wording) of the kinds shown, in legend order."""
    return [(kind, words) for kind, words in LEGEND if kind in kinds]
