"""SQLite answers from the maintained totals, for filters on the trial columns alone.

Migration 0006 keeps `facet_totals` (trials per combination of status, type, sex, age groups,
phases, healthy volunteers, results) and `country_facet_totals` (the same per pair of one
trial's site countries) in step with `trials` and `trial_countries`. A filter made only of
those columns and at most one country is then answered by summing a few hundred rows instead
of reading every matching trial: its count, its facets, and whether a page can hold anything.
Any other part (words, a place, ages in years, dates, sponsor, ids, criteria) goes the usual
way, through the matching trials.

The conditions on these columns are written here once, for `trials` and for the totals alike.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from typing import Any

from trialfinder.store.base import StudyFilter
from trialfinder.store.rows import FILTER_COLUMNS

FACET_KEY_COLUMNS = FILTER_COLUMNS
"""The `trials` columns that `facet_totals` and `country_facet_totals` count trials by (and
`facet_keys` names, migration 0007)."""

_TOTALS_FIELDS = {
    "statuses": (),
    "study_types": (),
    "sexes": (),
    "phases": (),
    "age_groups": (),
    "healthy_volunteers": None,
    "has_results": None,
    "countries": (),
}
"""The `StudyFilter` fields the totals can answer, each with its empty value."""


def words(values: tuple[str, ...]) -> str:
    """Lower-cased values as one JSON array (bound and read with `json_each`)."""
    return json.dumps([v.lower() for v in values])


def column_conditions(where: StudyFilter, params: dict[str, Any], table: str) -> list[str]:
    """Conditions of `where` on status, type, sex, age groups, healthy volunteers and results,
    written on `table` (`trials` or a totals table, which hold these columns alike; unknown
    healthy volunteers are null in one and -1 in the other, and match neither flag)."""
    conditions: list[str] = []
    for name, column, values in (
        ("statuses", "overall_status", where.statuses),
        ("study_types", "study_type", where.study_types),
        ("sexes", "sex", where.sexes),
    ):
        if values:
            params[name] = json.dumps(list(values))
            conditions.append(f"{table}.{column} in (select value from json_each(:{name}))")
    if where.age_groups:
        params["age_groups"] = json.dumps(list(where.age_groups))
        conditions.append(
            f"""exists (
        select 1
        from json_each(:age_groups)
        where instr(',' || {table}.std_ages || ',', ',' || json_each.value || ',') > 0
    )"""
        )
    for name, flag in (
        ("healthy_volunteers", where.healthy_volunteers),
        ("has_results", where.has_results),
    ):
        if flag is not None:
            params[name] = int(flag)
            conditions.append(f"{table}.{name} = :{name}")
    return conditions


def phase_conditions(where: StudyFilter, params: dict[str, Any], table: str) -> list[str]:
    """The condition of `where` on phases, on the comma-separated `phases` of `table` (a
    totals table or `facet_keys`; `trials` is filtered through `trial_phases` instead)."""
    if not where.phases:
        return []
    params["phases"] = json.dumps(list(where.phases))
    return [
        f"""exists (
        select 1
        from json_each(:phases)
        where instr(',' || {table}.phases || ',', ',' || json_each.value || ',') > 0
    )"""
    ]


def _answerable(where: StudyFilter) -> bool:
    """Whether the totals answer `where`: only their columns, at most one country (a trial in
    two of the countries would count twice), no empty phase."""
    rest = dataclasses.replace(where, **_TOTALS_FIELDS)  # type: ignore[arg-type]
    return rest == StudyFilter() and len(where.countries) <= 1 and "" not in where.phases


def _source(db: sqlite3.Connection, where: StudyFilter) -> tuple[str, str, dict[str, Any]] | None:
    """(trial rows, country rows, params): the totals rows of the trials `where` matches, once
    each (`trials` column), and of their site countries (`other` column); None when the totals
    cannot answer."""
    if not _answerable(where):
        return None
    params: dict[str, Any] = {}
    if where.countries:
        params["countries"] = words(where.countries)
        # Spellings that differ only in case are separate countries of one trial: the totals
        # would count such a trial twice.
        (spellings,) = db.execute(
            """
            select
                count(distinct country)
            from country_facet_totals
            where lower(country) in (select value from json_each(:countries))
            """,
            params,
        ).fetchone()
        if spellings > 1:
            return None
        table = "country_facet_totals"
        country = ["lower(country) in (select value from json_each(:countries))"]
        trial_rows = [*country, "other = country"]
    else:
        table = "facet_totals"
        country, trial_rows = ["country = other"], []
    conditions = column_conditions(where, params, "totals") + phase_conditions(
        where, params, "totals"
    )
    conditions.append("totals.trials > 0")

    def rows(source: str, extra: list[str]) -> str:
        return f"from {source} as totals\nwhere " + "\n    and ".join(extra + conditions)

    return rows(table, trial_rows), rows("country_facet_totals", country), params


def total_count(db: sqlite3.Connection, where: StudyFilter) -> int | None:
    """How many trials match `where`, from the totals; None when they cannot answer."""
    source = _source(db, where)
    if source is None:
        return None
    trial_rows, _, params = source
    (count,) = db.execute(
        f"select coalesce(sum(totals.trials), 0)\n{trial_rows}", params
    ).fetchone()
    return int(count)


def facet_rows(db: sqlite3.Connection, where: StudyFilter) -> list[tuple[Any, ...]] | None:
    """The rows `sqlite_counts` tallies into facets ('trial', status, type, sex, ages, phases,
    n) and ('country', country, ..., n), from the totals; None when they cannot answer."""
    source = _source(db, where)
    if source is None:
        return None
    trial_rows, country_rows, params = source
    sql = f"""
select
    'trial', totals.overall_status, totals.study_type, totals.sex, totals.std_ages,
    totals.phases, totals.trials
{trial_rows}
union all
select
    'country', totals.other, null, null, null, null, sum(totals.trials)
{country_rows}
group by totals.other
"""
    return db.execute(sql, params).fetchall()


def match_bounds(db: sqlite3.Connection, where: StudyFilter) -> tuple[int, int, int] | None:
    """(at most how many trials match `where`, how many trials its country holds, how many the
    store holds), from the totals: the first counts only the parts of `where` they answer, so
    it is exact when they answer all of it. None when they cannot answer even those parts."""
    part = StudyFilter(**{name: getattr(where, name) for name in _TOTALS_FIELDS})
    matches = total_count(db, part)
    if matches is None:
        return None
    stored = total_count(db, StudyFilter()) or 0
    in_country = total_count(db, StudyFilter(countries=where.countries)) or 0
    return matches, in_country, stored
