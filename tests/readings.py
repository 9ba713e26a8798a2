"""What the criteria reader finds in one criterion, kind by kind, in the small shapes the
labelled-round tests compare against."""

from __future__ import annotations

from trialfinder.criteria.constraints import (
    AgeConstraint,
    ConditionConstraint,
    Measurement,
    ScoreConstraint,
    TreatmentConstraint,
)
from trialfinder.criteria.parser import parse_criterion


def treatments(text: str) -> list[str]:
    """The text of each treatment constraint."""
    return [c.text for c in parse_criterion(text) if isinstance(c, TreatmentConstraint)]


def conditions(text: str) -> list[str]:
    """The text of each condition constraint."""
    return [c.text for c in parse_criterion(text) if isinstance(c, ConditionConstraint)]


def labs(text: str) -> list[tuple[str, float | None, float | None]]:
    """Each measurement's analyte and bounds."""
    return [
        (c.analyte, c.bounds.low, c.bounds.high)
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]


def scores(text: str) -> list[tuple[str, float | None, float | None]]:
    """Each score's scale and bounds."""
    return [
        (c.score, c.bounds.low, c.bounds.high)
        for c in parse_criterion(text)
        if isinstance(c, ScoreConstraint)
    ]


def ages(text: str) -> list[tuple[float | None, float | None]]:
    """Each age constraint's bounds in years."""
    return [
        (c.years.low, c.years.high) for c in parse_criterion(text) if isinstance(c, AgeConstraint)
    ]
