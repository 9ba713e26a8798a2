"""SQLite SQL reading `trial_countries` alone (migration 0012) for filters-only pages with a
country: the walk along the last update, and each hit's first site in the countries.

Each `trial_countries` row carries copies of its trial's filter columns and last update, and
the position of the trial's first site in the country; the index `trial_countries_walk` holds
them all, by country and last update. `sqlite_search.py` calls these under the store's lock.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

from trialfinder.store.base import StudyFilter
from trialfinder.store.rows import COUNTRY_WALK_FIELDS
from trialfinder.store.sqlite_totals import column_conditions, phase_conditions, words

_NO_AGE_LIMIT = 1000.0


def age_conditions(where: StudyFilter, params: dict[str, Any], table: str) -> list[str]:
    """Conditions of `where` on the age limits in years, written on `table` (`trials`, or
    `trial_countries`, which holds copies of them, migration 0012)."""
    conditions = []
    if where.age_years is not None:
        params["age_years"] = where.age_years
        params["no_age_limit"] = _NO_AGE_LIMIT
        conditions.append(f"coalesce({table}.minimum_age_years, 0) <= :age_years")
        conditions.append(f"coalesce({table}.maximum_age_years, :no_age_limit) >= :age_years")
    for name, column, default, age_range in (
        ("minimum_age", "minimum_age_years", 0.0, where.minimum_age_range),
        ("maximum_age", "maximum_age_years", _NO_AGE_LIMIT, where.maximum_age_range),
    ):
        if age_range is not None:
            low, high = age_range
            params[f"{name}_default"] = default
            params[f"{name}_low"] = -1.0 if low is None else low
            params[f"{name}_high"] = _NO_AGE_LIMIT if high is None else high
            conditions.append(
                f"coalesce({table}.{column}, :{name}_default) between :{name}_low and :{name}_high"
            )
    return conditions


def walks_countries(where: StudyFilter) -> bool:
    """Whether the walk along the last update reads `where`'s trials from the country index
    (migration 0012): a country, and nothing but the columns its rows copy."""
    rest = dataclasses.replace(where, **COUNTRY_WALK_FIELDS)
    return bool(where.countries) and rest == StudyFilter() and "" not in where.phases


def country_walk_query(
    where: StudyFilter, direction: str, bound: str | None, done: str | None
) -> tuple[str, dict[str, Any]]:
    """(sql, params) of a page of `where` (see `walks_countries`) ordered by last update
    (`direction`), from `trial_countries_walk` alone: only trials updated after `bound` and,
    unless `done` is None, not after `done` ("asc": before, not before); None: no such bound.

    Columns as `study_search_sql` gives them with a site filter (nct_id, null score, null
    location and distance).
    """
    params: dict[str, Any] = {}
    if len(where.countries) == 1:
        # An equality, not a list: the index then gives the rows in order, and a page stops
        # the walk (a list of countries is read window by window, then sorted).
        params["country"] = where.countries[0].lower()
        country = "lower({table}.country) = :country"
    else:
        params["countries"] = words(where.countries)
        country = "lower({table}.country) in (select value from json_each(:countries))"
    conditions = [country.format(table="trial_countries")]
    after, not_after = (">", "<=") if direction == "desc" else ("<", ">=")
    if bound is not None:
        params["update_bound"] = bound
        conditions.append(f"trial_countries.last_update_posted {after} :update_bound")
    if done is not None:
        params["update_done"] = done
        conditions.append(f"trial_countries.last_update_posted {not_after} :update_done")
    conditions += column_conditions(where, params, "trial_countries")
    conditions += phase_conditions(where, params, "trial_countries")
    conditions += age_conditions(where, params, "trial_countries")
    # A trial once: at its first row among those of the countries (spellings that differ
    # only in case are rows of their own).
    conditions.append(
        f"""not exists (
        select 1
        from trial_countries as other
        where other.nct_id = trial_countries.nct_id
            and other.country < trial_countries.country
            and {country.format(table="other")}
    )"""
    )
    sql = f"""select
    trial_countries.nct_id as nct_id,
    null as score,
    null as location_id,
    null as distance_km
from trial_countries indexed by trial_countries_walk
where {(chr(10) + "    and ").join(conditions)}
order by trial_countries.last_update_posted {direction}, trial_countries.nct_id asc
limit :limit offset :offset
"""
    return sql, params


_FIRST_COUNTRY_LOCATION = """
    select
        locations.rowid
    from trial_countries
    join locations on locations.nct_id = trial_countries.nct_id
        and locations.position = trial_countries.first_position
    where trial_countries.nct_id = :nct_id
        and lower(trial_countries.country) in (select value from json_each(:countries))
    order by trial_countries.first_position
    limit 1
    """


def first_country_locations(
    db: sqlite3.Connection, countries: tuple[str, ...], nct_ids: list[str]
) -> list[int | None]:
    """`locations` rowid of each trial's first site (by position) in the countries: one seek
    a trial, not a walk through its sites."""
    params = {"countries": words(countries)}
    found: list[int | None] = []
    for nct_id in nct_ids:
        row = db.execute(_FIRST_COUNTRY_LOCATION, {**params, "nct_id": nct_id}).fetchone()
        found.append(row[0] if row else None)
    return found
