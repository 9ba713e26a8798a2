"""Lab values written before their analyte: "30% or more blasts", "3.1 pmol/L ≤ FT3".

Run after the analyte-first rows (``_labs.measurements``), on values those left alone. The
rows are ``lab_value_first`` in ``patterns/labs.py``; this module adds what a regex row cannot
say: that an analyte named before the value in the same clause owns it, and that a change
("10% weight loss", "50% increase in IgM") is not a level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace as replace_row
from functools import cache

from msgspec.structs import replace

from trialfinder.criteria import lexicon
from trialfinder.criteria._extract import (
    Rule,
    _merge,
    _overlaps,
    _post_op,
    applicable,
    bounds_of,
    rule,
    rules,
)
from trialfinder.criteria._labs import (
    _ONLY_ROW,
    _RENAL,
    _TURNED,
    _canonical,
    _names_an_owner,
    plain_measurement,
)
from trialfinder.criteria.constraints import Bounds, Measurement
from trialfinder.criteria.tables import TableError, compile_pattern, has_number

# What makes the analyte's name a modifier, not the thing measured: a change, a count of
# events, or its own value after it ("≥ 50% ANC ≥ 1.5" gives 50% to something else).
_NOT_A_LEVEL = re.compile(
    r"""\s*(?:
        (?:loss|gain|increase|decrease|reduction|decline|drop|rise|change|improvement
          |elevation|transfusions?|infusions?|units?|doses?)\b
        |(?:\([^()]{0,40}\)\s*)?[<>≤≥=]
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Analytes a urine dipstick grades ("2+"); glucose and blood in labs.tsv are blood levels.
_DIPSTICK = frozenset({"proteinuria"})
# The clause the value sits in starts after the last of these.
_CLAUSE_START = re.compile(r"[;,.:(\n]|\b(?:and|or)\b", re.IGNORECASE)


def _clause_before(text: str, start: int) -> str:
    """Return the text between the clause's start and ``start``."""
    head = text[max(0, start - 80) : start]
    cut = max((m.end() for m in _CLAUSE_START.finditer(head)), default=0)
    return head[cut:]


def _owner_before(clause: str) -> bool:
    """Return True when ``clause`` names an analyte that owns a value after it."""
    return _names_an_owner(clause[start:end] for start, end in lexicon.lab_index().find(clause))


_ANALYTE = "(?P<analyte>{LAB})"


@cache
def _before_analyte() -> tuple[Rule, ...]:
    """Return the value-first rows compiled to end where an analyte's name starts.

    The name is the one ``lexicon.lab_index`` finds, the longest at its start, as for the
    analyte-first rows; each row is searched only in the few characters before a name.
    """
    out = []
    for pattern, _ in rules("lab_value_first"):
        if not pattern.regex.endswith(_ANALYTE):
            raise TableError(
                f"Pattern {pattern.name!r}: a value-first row must end with {_ANALYTE}"
            )
        head = replace_row(pattern, regex=pattern.regex[: -len(_ANALYTE)] + r"\Z")
        out.append((pattern, compile_pattern(head)))
    return tuple(out)


@cache
def _unit_after() -> re.Pattern[str]:
    """Return a regex for the unit written after a count's name: "cells/mm(3)", "/mm3"."""
    return re.compile(r"\s*(?:T[\s-])?(?:cells?\s*)?(?P<unit>" + lexicon.unit_regex() + ")")


def _has_unit_after(text: str, end: int) -> bool:
    """Return True when a unit follows the name ending at ``end``: "cells/mm(3)", "per µL"."""
    after = text[end : end + 30]
    return ("/" in after or "per " in after) and _unit_after().match(text, end) is not None


_REACH = 80  # characters a value, its unit and its comparator take before the name, at most


def _matches(
    regex: re.Pattern[str], text: str, mentions: list[tuple[int, int]]
) -> Iterator[tuple[re.Match[str], tuple[int, int]]]:
    """Yield each match that ends where a name starts, with that name's span."""
    for start, end in mentions:
        window = max(0, start - _REACH)
        if not has_number(text[window:start].lower()):
            continue  # no value can end here
        match = regex.search(text, window, start)
        if match is not None:
            yield match, (start, end)


def values_first(
    text: str, present: frozenset[str], found: list[Measurement], formula: str | None
) -> list[Measurement]:
    """Return ``found`` with the measurements whose value comes before the analyte's name
    added; "3.1 pmol/L ≤ FT3 ≤ 6.8 pmol/L" joins the "FT3 ≤ 6.8 pmol/L" already read."""
    out = list(found)
    taken = [m.span for m in found]
    mentions = lexicon.lab_index().find(text)
    if not mentions:
        return out
    rows = {p.name for p, _ in applicable("lab_value_first", present)}
    for pattern, regex in _before_analyte():
        if pattern.name not in rows:
            continue
        candidates = mentions
        if pattern.label == "unit_after":  # cheaper to look for the unit first
            candidates = [m for m in mentions if _has_unit_after(text, m[1])]
        for match, (analyte_start, analyte_end) in _matches(regex, text, candidates):
            analyte = text[analyte_start:analyte_end]
            if _overlaps((match.start(), analyte_end), taken):
                after = _read_after(out, analyte_start)
                if pattern.label == "reversed" and after is not None:
                    _join(out, after, match, analyte, pattern.confidence)
                continue
            lab = lexicon.lab_of(analyte)
            if lab is None or lab.name in _ONLY_ROW or _NOT_A_LEVEL.match(text, analyte_end):
                continue
            if _owner_before(_clause_before(text, match.start())):
                continue  # "creatinine 1.5 mg/dL or more platelets": the earlier name owns it
            value = lexicon.parse_number(match.group("value"))
            if value is None:
                continue
            op_text = match.groupdict().get("op")
            op = lexicon.comparator_op(op_text) if op_text else None
            if pattern.label == "range":
                op = "le"  # "15-29% blasts": the top, and the bottom below
            if op is None:
                post = match.groupdict().get("post")
                if post is None:
                    continue
                op = _post_op(post)
            if pattern.label == "reversed":
                op = _TURNED[op]
            bounds, end = bounds_of(op, value), analyte_end
            if pattern.label == "range":
                ranged = _range_bounds(match, value)
                if ranged is None:
                    continue
                bounds = ranged
            if pattern.label == "dipstick":
                if lab.name not in _DIPSTICK:
                    continue  # "≥ 2+ glucose" is urine glucose, not the blood glucose of labs.tsv
                # A dipstick grade ("≤ 2+ proteinuria"): bounds as written, no canonical value.
                out.append(plain_measurement(match, lab, pattern, bounds, analyte_end, "+", None))
                taken.append((match.start(), analyte_end))
                continue
            if pattern.label == "unit_after":
                unit_match = _unit_after().match(text, analyte_end)
                if unit_match is None:
                    continue  # "≥ 2 platelet transfusions": a count of events, not cells
                unit, end = unit_match.group("unit"), unit_match.end()
            else:
                unit = match.group("unit")
            chain = rule("lab_chain")[1].match(text, end)
            if chain is not None and (chain.group("unit") or unit).strip() == unit.strip():
                second_op = lexicon.comparator_op(chain.group("op"))
                second = lexicon.parse_number(chain.group("value"))
                if second_op is not None and second is not None:
                    merged = _merge(bounds, bounds_of(second_op, second))
                    if merged is not None and (merged.low or 0) < (merged.high or 0):
                        bounds, end = merged, chain.end()
            canonical: Bounds | None = _canonical(lab, bounds, unit)
            if canonical is None:
                continue  # "≥ 10 mg/kg body weight": the unit is not the analyte's
            taken.append((match.start(), end))
            named = formula if lab.name in _RENAL else None
            out.append(
                plain_measurement(match, lab, pattern, bounds, end, unit.strip(), canonical, named)
            )
    return out


def _range_bounds(match: re.Match[str], high: float) -> Bounds | None:
    """Return the bounds of a range row's match ("15-29% blasts"), or None when its bottom is
    not below its top or carries another unit than the top ("10 mg/dL - 20% blasts")."""
    low = lexicon.parse_number(match.group("low"))
    low_unit = match.group("lunit")
    if low is None or low >= high:
        return None
    if low_unit and low_unit.strip() != match.group("unit").strip():
        return None
    return Bounds(low=low, high=high)


def _read_after(found: list[Measurement], start: int) -> int | None:
    """Return the index of the measurement read from the analyte at ``start``, if any."""
    for index, measurement in enumerate(found):
        if measurement.span[0] == start and not measurement.uln_multiple:
            return index
    return None


def _join(
    found: list[Measurement], index: int, match: re.Match[str], analyte: str, confidence: float
) -> None:
    """Widen ``found[index]`` ("FT3 ≤ 6.8") by the turned bound before it ("3.1 ≤ FT3")."""
    after = found[index]
    value = lexicon.parse_number(match.group("value"))
    op = lexicon.comparator_op(match.group("op"))
    lab = lexicon.labs()[after.analyte]
    if value is None or op is None or lexicon.lab_of(analyte) != lab:
        return
    merged = _merge(bounds_of(_TURNED[op], value), after.bounds)
    if merged is None or (merged.low or 0) >= (merged.high or 0):
        return
    unit = match.group("unit").strip()
    if after.unit is not None and after.unit != unit:
        return
    canonical = _canonical(lab, merged, unit)
    if canonical is None:
        return
    found[index] = replace(
        after,
        span=(match.start(), after.span[1]),
        confidence=min(confidence, after.confidence),
        bounds=merged,
        unit=unit,
        canonical=canonical,
    )
