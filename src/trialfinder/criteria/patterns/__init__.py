"""Rule tables, one module per family; ``all_patterns()`` checks and returns every row."""

from __future__ import annotations

from functools import cache

from trialfinder.criteria.patterns import (
    age,
    demographics,
    labs,
    negation,
    not_checkable,
    scores,
    stenosis,
    therapies,
    time_windows,
)
from trialfinder.criteria.tables import Pattern, check_tables

__all__ = ["TABLES", "all_patterns"]

TABLES: dict[str, tuple[Pattern, ...]] = {
    "age": age.PATTERNS,
    "demographics": demographics.PATTERNS,
    "labs": labs.PATTERNS,
    "scores": scores.PATTERNS,
    "stenosis": stenosis.PATTERNS,
    "time_windows": time_windows.PATTERNS,
    "negation": negation.PATTERNS,
    "therapies": therapies.PATTERNS,
    "not_checkable": not_checkable.PATTERNS,
}


@cache
def all_patterns() -> tuple[Pattern, ...]:
    """Return every row of every table, after the loader's checks."""
    return check_tables(list(TABLES.values()))
