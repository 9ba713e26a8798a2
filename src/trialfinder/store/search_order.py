"""Pieces of trial search SQL shared by the SQLite and PostgreSQL backends: the ORDER BY, the
filters on stored criteria readings, and the growing circle of nearest-first pages.

Both backends name the same columns (`matched.score`, `nearest.distance_km`, `trials.*`); they
differ only in which way their relevance score runs, which the caller says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from trialfinder.errors import QueryError
from trialfinder.store.base import StudyFilter, StudySort

SORT_COLUMNS = {
    "relevance": "matched.score",
    "distance": "nearest.distance_km",
    "last_update": "trials.last_update_posted",
    "start_date": "trials.start_date",
    "nct_id": "trials.nct_id",
}


def order_by(
    where: StudyFilter,
    sort: StudySort,
    has_text: bool,
    *,
    best_score_first: Literal["asc", "desc"],
) -> list[str]:
    """ORDER BY terms for `sort`; relevance without text falls back to distance or last update.

    `best_score_first` is the direction that puts the most relevant trial first in this backend.
    """
    key = sort.key
    if key == "relevance" and not has_text:
        key = "distance" if where.geo is not None else "last_update"
        direction = "desc" if key == "last_update" else "asc"
    elif key == "relevance":
        worst_first = "desc" if best_score_first == "asc" else "asc"
        direction = worst_first if sort.is_descending else best_score_first
    else:
        direction = "desc" if sort.is_descending else "asc"
    if key == "distance" and where.geo is None:
        raise QueryError("sorting by distance needs a place (filter.geo)", "sort")
    order = [f"{SORT_COLUMNS[key]} {direction}"]
    if key != "nct_id":
        order.append("trials.nct_id asc")
    return order


def growing_radii(radius_km: float, start_fraction: float = 1 / 64) -> Iterator[float]:
    """Radii for a nearest-first page: `radius_km × start_fraction`, doubling, ending at
    `radius_km`. A trial with no site in a smaller circle is farther than every trial with one,
    so the first circle that holds a full page gives the same page as the whole circle.
    """
    near_km = radius_km * start_fraction
    while near_km < radius_km:
        yield near_km
        near_km *= 2
    yield radius_km


def criteria_conditions(
    where: StudyFilter, placeholder: Callable[[str], str]
) -> tuple[dict[str, float], list[str]]:
    """Parameters and WHERE conditions for `filter.ecog` / `filter.egfr`.

    A trial is open to the patient unless its stored criteria reading asks for a lower ECOG
    grade (a higher eGFR); a trial without a reading stays in. `placeholder` writes a named
    parameter in the backend's style (`:name` or `%(name)s`).
    """
    params: dict[str, float] = {}
    conditions: list[str] = []
    for name, column, comparison, value in (
        ("ecog", "ecog_max", "<", where.ecog),
        ("egfr", "egfr_min", ">", where.egfr),
    ):
        if value is not None:
            params[name] = float(value)
            conditions.append(
                f"""not exists (
        select 1
        from trial_criteria
        where trial_criteria.nct_id = trials.nct_id
            and trial_criteria.{column} {comparison} {placeholder(name)}
    )"""
            )
    return params, conditions
