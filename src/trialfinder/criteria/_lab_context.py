"""Readings whose analyte the words before the value change: a glucose value two hours into a
glucose tolerance test is the 2-hour OGTT glucose ("2-hour plasma glucose ≥ 200 mg/dL", "blood
glucose level at 2 hours after an oral glucose tolerance test ≥ 200 mg/dl"), not a fasting one.

The cue rows are ``lab_context`` rows of ``patterns/labs.py``; a row's ``label`` is the analyte a
reading becomes, ``_RENAMED_FROM`` the analytes it may replace. The cue must stand between the
end of the reading before (if any) and the value, and within ``_REACH`` characters before the
analyte's name, with no "fasting" after it.
"""

from __future__ import annotations

import re

from msgspec.structs import replace

from trialfinder.criteria import lexicon
from trialfinder.criteria._extract import applicable
from trialfinder.criteria._labs import _canonical
from trialfinder.criteria.constraints import Measurement

_RENAMED_FROM = {"ogtt_2h_glucose": frozenset({"glucose"})}
_RENAMABLE = frozenset().union(*_RENAMED_FROM.values())
_REACH = 40  # characters a cue may stand before the analyte's name, at most
_FASTING = re.compile(r"\bfasting\b", re.IGNORECASE)


def renamed_by_context(
    text: str, present: frozenset[str], found: list[Measurement]
) -> list[Measurement]:
    """Return ``found`` with each reading a cue renames given its new analyte."""
    if not found or not any(m.analyte in _RENAMABLE for m in found):
        return found
    rows = applicable("lab_context", present)
    if not rows:
        return found
    out = list(found)
    for index, reading in enumerate(found):
        start, end = reading.span
        before = [m.span[1] for m in found if m.span[1] <= start]
        window_start = max([start - _REACH, *before, 0])
        for pattern, regex in rows:
            if reading.analyte not in _RENAMED_FROM.get(pattern.label, frozenset()):
                continue
            cue = regex.search(text, window_start, end)
            if cue is None or _FASTING.search(text, cue.end(), end):
                continue
            lab = lexicon.labs()[pattern.label]
            canonical = _canonical(lab, reading.bounds, reading.unit) if reading.unit else None
            out[index] = replace(reading, analyte=lab.name, loinc=lab.loinc, canonical=canonical)
            break
    return out
