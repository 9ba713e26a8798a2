"""Stenosis shares as measurements: "≥ 70% stenosis in a major coronary artery" is
``coronary_stenosis ≥ 70`` (per cent of the lumen lost).

The rows are in ``patterns/stenosis.py``: ``stenosis`` rows read the bound, ``stenosis_vessel``
rows name the vessel. The vessel named nearest the bound, in the clause that holds it, gives the
analyte; a clause naming no vessel of ours (a spinal canal, a valve) gives no reading. A
separate pass, since a stenosis is no name in ``vocab/labs.tsv``: the same word measures a
different analyte in each vessel.
"""

from __future__ import annotations

import re

from msgspec.structs import replace

from trialfinder.criteria import lexicon
from trialfinder.criteria._extract import (
    _overlaps,
    _post_op,
    applicable,
    bounds_of,
    comparator_bound_at,
    rule,
    rules,
)
from trialfinder.criteria._labs import _canonical, plain_measurement
from trialfinder.criteria.constraints import Bounds, Measurement

# A clause ends at a semicolon, a full stop before a space, or a blank line.
_CLAUSE_END = re.compile(r";|\.\s|\n\s*\n")
_REACH = 150  # characters a vessel's name may stand from the bound, at most


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span of the clause around ``start``..``end``, at most ``_REACH`` either side."""
    head = max(0, start - _REACH)
    begin = max((m.end() for m in _CLAUSE_END.finditer(text, head, start)), default=head)
    after = _CLAUSE_END.search(text, end, min(len(text), end + _REACH))
    return begin, after.start() if after else min(len(text), end + _REACH)


def _vessel(text: str, span: tuple[int, int]) -> str | None:
    """Return the analyte of the vessel named nearest ``span`` in its clause, or None when the
    nearest names no analyte of ours (its row has no label) or none is named."""
    begin, end = _clause(text, *span)
    named: list[tuple[int, int, str]] = []
    for pattern, regex in rules("stenosis_vessel"):
        for match in regex.finditer(text, begin, end):
            if not _overlaps(match.span(), [(s, e) for s, e, _ in named]):
                named.append((match.start(), match.end(), pattern.label))
    if not named:
        return None

    def distance(found: tuple[int, int, str]) -> int:
        start, stop, _ = found
        return max(0, span[0] - stop, start - span[1])

    label = min(named, key=distance)[2]
    return label or None


def _bounds(match: re.Match[str]) -> Bounds | None:
    """Return the bound a ``stenosis`` row read: a range, a comparator or a comparator after."""
    groups = match.groupdict()
    value = lexicon.parse_number(groups.get("value") or groups.get("value_post") or "")
    if value is None:
        return None
    if groups.get("low") is not None:
        low = lexicon.parse_number(groups["low"])
        low_op = lexicon.comparator_op(groups["low_op"]) if groups.get("low_op") else "ge"
        high_op = lexicon.comparator_op(groups["op"]) if groups.get("op") else "le"
        if low is None or low >= value or low_op not in {"ge", "gt"} or high_op not in {"le", "lt"}:
            return None
        return Bounds(
            low=low, high=value, low_inclusive=low_op == "ge", high_inclusive=high_op == "le"
        )
    post = groups.get("post") or groups.get("post_only")
    op = lexicon.comparator_op(groups["op"]) if groups.get("op") else None
    if op is None and post is not None:
        op = _post_op(post)
    return bounds_of(op, value) if op is not None else None


def stenoses(text: str, present: frozenset[str]) -> list[Measurement]:
    """Return the stenosis shares a criterion bounds, each as its vessel's measurement."""
    if "stenos" not in present and "narrowing" not in present:
        return []  # the rows' triggers: most criteria stop here, before the gate is looked up
    out: list[Measurement] = []
    taken: list[tuple[int, int]] = []
    for pattern, regex in applicable("stenosis", present):
        for match in regex.finditer(text):
            word = match.span("word")
            if _overlaps(match.span(), taken):
                continue
            bounds = _bounds(match)
            analyte = _vessel(text, word) if bounds is not None else None
            if bounds is None or analyte is None:
                continue
            lab = lexicon.labs()[analyte]
            out.append(
                plain_measurement(
                    match, lab, pattern, bounds, match.end(), "%", _canonical(lab, bounds, "%")
                )
            )
            taken.append(match.span())
            second = _second(text, match.end(), bounds)
            if second is not None:
                chain, chained = second
                # The span starts at the comparator: the words before it name the case, not
                # the stenosis ("in patients with stent implantation").
                reading = plain_measurement(
                    chain,
                    lab,
                    rule("stenosis_or_second")[0],
                    chained,
                    chain.end(),
                    "%",
                    _canonical(lab, chained, "%"),
                )
                out.append(replace(reading, span=(chain.start("op"), chain.end())))
                taken.append(chain.span())
    return out


def _second(text: str, end: int, first: Bounds) -> tuple[re.Match[str], Bounds] | None:
    """Return the second bound for the same stenosis after "or" ("< 20% in patients with stent
    implantation or < 50% in those with balloon angioplasty"), on the side of the first."""
    found = comparator_bound_at("stenosis_or_second", text, end)
    if found is None:
        return None
    match, op, value = found
    bounds = bounds_of(op, value)
    if (bounds.low is None) != (first.low is None) or (bounds.high is None) != (first.high is None):
        return None
    return match, bounds
