"""A trial's criteria read once, for storing: the JSON reading and the numbers a search filters on.

``read_trial_criteria`` is what ``trialfinder reparse`` runs in each worker process; it takes and
returns plain values, so nothing costly is pickled between processes. This module knows nothing
of the store: the CLI turns a ``Reading`` into the store's row.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from trialfinder.criteria.constraints import (
    AgeConstraint,
    Measurement,
    ParsedCriteria,
    ScoreConstraint,
)
from trialfinder.criteria.parser import parse_criteria

__all__ = [
    "ENGINE_VERSION",
    "Reading",
    "decode_reading",
    "read_item",
    "read_trial_criteria",
    "summarise",
]

ENGINE_VERSION = "30"
"""Bumped whenever the rules change what is read, so stale stored readings can be found."""


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    """A trial's parsed criteria as JSON, with the numbers its inclusion criteria state.

    Only inclusion criteria feed the numbers: "Age < 18" under exclusion is not a maximum age.
    A number is None when the criteria do not state it.
    """

    nct_id: str
    engine_version: str
    min_age_years: float | None
    max_age_years: float | None
    ecog_max: float | None
    egfr_min: float | None
    data: bytes


def summarise(
    parsed: ParsedCriteria,
) -> tuple[float | None, float | None, float | None, float | None]:
    """Return (min age, max age in years, ECOG maximum, eGFR minimum) from inclusion criteria.

    Several statements of one number combine as the strictest: the highest minimum age, the
    lowest maximum. Ages within one criterion are alternatives, as the matcher reads them ("Age
    < 18 or > 70 years"), so a criterion gives the loosest of its own.
    """
    lows: list[float] = []
    highs: list[float] = []
    ecog: list[float] = []
    egfr: list[float] = []
    for criterion in parsed.inclusion:
        ages = [c.years for c in criterion.constraints if isinstance(c, AgeConstraint)]
        if ages and all(a.low is not None for a in ages):
            lows.append(min(a.low for a in ages if a.low is not None))
        if ages and all(a.high is not None for a in ages):
            highs.append(max(a.high for a in ages if a.high is not None))
        for constraint in criterion.constraints:
            if isinstance(constraint, ScoreConstraint) and constraint.score == "ECOG":
                if constraint.bounds.high is not None:
                    ecog.append(constraint.bounds.high)
            elif (
                isinstance(constraint, Measurement)
                and constraint.analyte == "egfr"
                and constraint.canonical is not None
                and constraint.canonical.low is not None
            ):
                egfr.append(constraint.canonical.low)
    return (
        max(lows) if lows else None,
        min(highs) if highs else None,
        min(ecog) if ecog else None,
        max(egfr) if egfr else None,
    )


def read_trial_criteria(nct_id: str, text: str, mesh_terms: Sequence[str] = ()) -> Reading:
    """Return the reading of one trial's eligibility criteria text."""
    parsed = parse_criteria(text, mesh_terms=mesh_terms)
    min_age, max_age, ecog_max, egfr_min = summarise(parsed)
    return Reading(
        nct_id=nct_id,
        engine_version=ENGINE_VERSION,
        min_age_years=min_age,
        max_age_years=max_age,
        ecog_max=ecog_max,
        egfr_min=egfr_min,
        data=msgspec.json.encode(parsed),
    )


def decode_reading(data: bytes) -> ParsedCriteria:
    """Return the parsed criteria stored as ``Reading.data``."""
    return msgspec.json.decode(data, type=ParsedCriteria)


def read_item(item: tuple[str, str, tuple[str, ...]]) -> Reading:
    """Return the reading of (nct_id, criteria text, MeSH terms): one task of a worker pool."""
    return read_trial_criteria(*item)
