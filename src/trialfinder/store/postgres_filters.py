"""PostgreSQL filters on a trial's own columns, and country filters that leave few trials.

`column_conditions` writes the status, type, sex, phase, age-group, volunteer and results tests
once, for `trials` and for `trial_countries`, whose rows carry the same columns (migration
0009). `sparse_country_trials` uses them to answer a country filter that leaves few trials from
the country's rows of one narrow index, instead of walking every trial (`postgres_search`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg

from trialfinder.store.base import StudyFilter

Connection = psycopg.Connection[Any]


def column_conditions(where: StudyFilter, params: dict[str, Any], table: str) -> list[str]:
    """Conditions of `where` on status, type, sex, phases, age groups, healthy volunteers and
    results, written on `table` (`trials`, or `trial_countries`, whose rows carry them); binds
    their values."""
    conditions = []
    for name, column, values in (
        ("statuses", f"{table}.overall_status", where.statuses),
        ("study_types", f"{table}.study_type", where.study_types),
        ("sexes", f"{table}.sex", where.sexes),
    ):
        if values:
            params[name] = list(values)
            conditions.append(f"{column} = any(%({name})s::text[])")
    if where.phases:
        params["phases"] = list(where.phases)
        conditions.append(f"string_to_array({table}.phases, ',') && %(phases)s::text[]")
    if where.age_groups:
        params["age_groups"] = list(where.age_groups)
        conditions.append(f"string_to_array({table}.std_ages, ',') && %(age_groups)s::text[]")
    for name, flag in (
        ("healthy_volunteers", where.healthy_volunteers),
        ("has_results", where.has_results),
    ):
        if flag is not None:
            params[name] = bool(flag)
            conditions.append(f"{table}.{name} = %({name})s")
    return conditions


SPARSE_TRIALS = 100
"""A country filter whose rows (with their filter columns) match fewer trials than this is
answered from those trials' ids. With so few matches, the walk along the last-update index that
fills a page of a filter-only search passes most trials before it ends (at 100k studies,
"Brazil, open, healthy volunteers": none of the 5.3k open healthy-volunteer trials is in
Brazil, 22 ms), while reading the country's rows of `trial_countries_filters` costs ~1 ms."""


def sparse_country_trials(conn: Connection, where: StudyFilter) -> StudyFilter | None:
    """`where` narrowed to the ids of its few candidate trials when its countries, with their
    status, type, sex, phase, age group, volunteer and results filters, leave fewer than
    `SPARSE_TRIALS` (None when they leave none); else `where` itself. Only for filters without
    words, a place or location words (those have indexes of their own) and without ids.
    """
    if not where.countries or where.text or where.geo or where.location_words or where.nct_ids:
        return where
    params: dict[str, Any] = {
        "countries": [country.lower() for country in where.countries],
        "sparse_limit": SPARSE_TRIALS,
    }
    conditions = [
        "lower(trial_countries.country) = any(%(countries)s::text[])",
        *column_conditions(where, params, "trial_countries"),
    ]
    rows = conn.execute(
        f"""
        select trial_countries.nct_id
        from trial_countries
        where {(chr(10) + "            and ").join(conditions)}
        limit %(sparse_limit)s
        """,
        params,
    ).fetchall()
    if len(rows) >= SPARSE_TRIALS:
        return where
    if not rows:
        return None
    return dataclasses.replace(where, nct_ids=tuple(sorted({str(row[0]) for row in rows})))
