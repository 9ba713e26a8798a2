"""PostgreSQL facet keys: facets tallied per combination of facet columns and countries.

The twin of SQLite's `sqlite_facet_keys.py` and facet totals. Migration 0011 gives every trial a
facet key (`trial_facet_keys`): one row of `facet_keys` per combination of the facet columns and
the trial's site countries, carrying how many trials have it. A filter-only facet set (status,
type, sex, phase, age group, volunteers, results, countries) adds up the counts of the keys the
filter keeps, a few hundred rows, instead of reading every matching trial and joining its
countries (2–3 s for all open trials at 600k studies). Any other set counts its matching trials
per key, one narrow index row each, and splits the few keys; beside words or a place, the
filters a key answers (its columns, its countries) are tested on the keys rather than on each
hit (`split_key_filters`), and a place alone is counted from the circle's trial ids without
reading a trial row.

The store refreshes the keys of the trials it writes (`refresh_facet_keys`), in the same
transaction; keys no trial has any more stay, with a count of 0.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg

from trialfinder.store.base import GeoArea, StudyFilter
from trialfinder.store.postgres_filters import column_conditions
from trialfinder.store.postgres_search import (
    SEARCH_ROW_FIELDS,
    circle_set,
    search_rows_table,
    study_search_sql,
)
from trialfinder.store.rows import FILTER_COLUMNS

Connection = psycopg.Connection[Any]

KEY_COLUMNS = FILTER_COLUMNS
"""The `trials` columns of a facet key, besides its sorted site countries."""

_KEY = ", ".join(KEY_COLUMNS)

_SIGNATURES = f"""
select
    trials.nct_id,
    {", ".join(f"trials.{c}" for c in KEY_COLUMNS)},
    array(
        select trial_countries.country
        from trial_countries
        where trial_countries.nct_id = trials.nct_id
        order by trial_countries.country
    ) as countries
from trials
where trials.nct_id = any(%(nct_ids)s::text[])
"""
"""The facet key values of the trials `nct_ids`."""


_ADD_KEYS = f"""
insert into facet_keys ({_KEY}, countries)
select distinct {_KEY}, countries
from (
{_SIGNATURES}) as signatures
order by {_KEY}, countries
on conflict do nothing
"""

_EQUAL_COLUMNS = "\n    and ".join(
    f"facet_keys.{c} = signatures.{c}" for c in KEY_COLUMNS if c != "healthy_volunteers"
)
"""The key columns that are never null, equal."""

_CHANGED_KEYS = f"""
select signatures.nct_id, trial_facet_keys.key, facet_keys.key
from (
{_SIGNATURES}) as signatures
join facet_keys
    on {_EQUAL_COLUMNS}
    and facet_keys.healthy_volunteers is not distinct from signatures.healthy_volunteers
    and facet_keys.countries = signatures.countries
left join trial_facet_keys on trial_facet_keys.nct_id = signatures.nct_id
where trial_facet_keys.key is distinct from facet_keys.key
"""


def refresh_facet_keys(conn: Connection, nct_ids: Sequence[str]) -> None:
    """Set the facet key of these trials from their `trials` and `trial_countries` rows,
    adding the keys not seen before, and move their counts from the old keys to the new."""
    params = {"nct_ids": list(nct_ids)}
    conn.execute(_ADD_KEYS, params)
    changed = conn.execute(_CHANGED_KEYS, params).fetchall()
    if not changed:
        return
    deltas: Counter[int] = Counter()
    for _, old_key, new_key in changed:
        deltas[new_key] += 1
        if old_key is not None:
            deltas[old_key] -= 1
    keys = sorted(key for key, delta in deltas.items() if delta)
    # Locked in key order, so that concurrent writers never wait on each other in a circle.
    conn.execute(
        """
        select key
        from facet_keys
        where key = any(%(keys)s::integer[])
        order by key
        for update
        """,
        {"keys": keys},
    )
    conn.execute(
        """
        update facet_keys
        set trials = facet_keys.trials + deltas.delta
        from unnest(%(keys)s::integer[], %(deltas)s::integer[]) as deltas (key, delta)
        where facet_keys.key = deltas.key
        """,
        {"keys": keys, "deltas": [deltas[key] for key in keys]},
    )
    conn.execute(
        """
        insert into trial_facet_keys (nct_id, key)
        select nct_id, key
        from unnest(%(nct_ids)s::text[], %(keys)s::integer[]) as changed (nct_id, key)
        on conflict (nct_id) do update set
            key = excluded.key
        """,
        {"nct_ids": [row[0] for row in changed], "keys": [row[2] for row in changed]},
    )


_SPLIT_KEYS = """
select 'overallStatus', overall_status, sum(trials)
from keyed
group by 2
union all
select 'studyType', study_type, sum(trials)
from keyed
group by 2
union all
select 'sex', sex, sum(trials)
from keyed
group by 2
union all
select 'stdAge', age_group, sum(trials)
from keyed
cross join unnest(array['CHILD', 'ADULT', 'OLDER_ADULT']) as age_group
where age_group = any(string_to_array(std_ages, ','))
group by 2
union all
select 'phase', phase, sum(trials)
from keyed
cross join unnest(array(
    select distinct listed
    from unnest(coalesce(string_to_array(nullif(phases, ''), ','), array['NONE'])) as listed
)) as phase
group by 2
union all
select 'country', country, sum(trials)
from keyed
cross join unnest(countries) as country
group by 2
"""
"""Facet counts from `keyed`: facet keys, each with how many matching trials have it."""

_FILTER_FIELDS = (
    "statuses",
    "study_types",
    "sexes",
    "phases",
    "age_groups",
    "healthy_volunteers",
    "has_results",
    "countries",
)
"""The `StudyFilter` fields a facet key answers by itself."""


def answered_by_keys(where: StudyFilter) -> bool:
    """Whether `where` filters only on facet key columns and countries (its facets are the
    sums of the counts of the keys it keeps)."""
    blank = StudyFilter()
    kept = {name: getattr(blank, name) for name in _FILTER_FIELDS}
    return dataclasses.replace(where, **kept) == blank


def split_key_filters(where: StudyFilter) -> tuple[StudyFilter, StudyFilter]:
    """(hits, keys): `where` split into what its hits must be searched for and what the facet
    keys of the hits can test instead (`where` and a blank filter when nothing is moved).

    A trial's key holds its key columns and its site countries, so testing them on the key
    counts the same trials. They move when what stays is words or a place that narrow rows
    or the area grid answer (`postgres_search.SEARCH_ROW_FIELDS`): the hits are then read
    from `trial_search` or `trial_documents` rows, or not read at all (a place), where a
    key column sent them to `trials`, and without a country probe each ("diabetes" in the
    United States joined every hit to the country's `trial_countries` rows). Countries stay
    with a place or location words (one site must meet them together); the status stays
    with words (the rows carry it under an index whose bitmap, ANDed with the words', leaves
    fewer rows to read: "quality of life" + open, 1.4k of 2.2k pages of `trial_documents`
    at 20k studies).
    """
    moved = [name for name in _FILTER_FIELDS if name != "countries"]
    if where.geo is None and not where.location_words:
        moved.append("countries")
    if where.text:
        moved.remove("statuses")
    blank = StudyFilter()
    hits = dataclasses.replace(where, **{name: getattr(blank, name) for name in moved})
    row_fields = {name: getattr(blank, name) for name in SEARCH_ROW_FIELDS}
    if not (hits.text or hits.geo) or dataclasses.replace(hits, **row_fields) != blank:
        return where, blank
    keys = dataclasses.replace(blank, **{name: getattr(where, name) for name in moved})
    return hits, keys


def _key_conditions(where: StudyFilter, params: dict[str, Any]) -> list[str]:
    """Conditions on `facet_keys` for the key columns and countries of `where`."""
    conditions = column_conditions(where, params, "facet_keys")
    if where.countries:
        params["key_countries"] = [country.lower() for country in where.countries]
        conditions.append(
            """exists (
        select
        from unnest(facet_keys.countries) as country
        where lower(country) = any(%(key_countries)s::text[])
    )"""
        )
    return conditions


def facet_keys_sql(where: StudyFilter) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) giving rows (facet, value, trials) for the trials matching `where`:
    from the keys' counts when `where` only filters on key columns, else per matching trial."""
    params: dict[str, Any] = {}
    if answered_by_keys(where):
        conditions = ["facet_keys.trials > 0", *_key_conditions(where, params)]
        keyed = f"""with keyed as (
    select {_KEY}, countries, trials
    from facet_keys
    where {(chr(10) + "        and ").join(conditions)}
)
"""
        return keyed + _SPLIT_KEYS, params
    hit_filter, key_filter = split_key_filters(where)
    place = dataclasses.replace(hit_filter, geo=None, countries=(), location_words=())
    if hit_filter.geo is not None and place == StudyFilter():
        hits, hit_keys = _place_hit_keys(hit_filter, hit_filter.geo, params)
    else:
        hits, hit_keys, params = _hit_keys(hit_filter)
    join_on = ["facet_keys.key = hit_keys.key", *_key_conditions(key_filter, params)]
    keyed = f""",
hit_keys as ({hit_keys}
),
keyed as (
    select {", ".join(f"facet_keys.{c}" for c in KEY_COLUMNS)}, facet_keys.countries,
        hit_keys.trials
    from hit_keys
    join facet_keys on {(chr(10) + "        and ").join(join_on)}
)
"""
    return hits + keyed + _SPLIT_KEYS, params


def _hit_keys(where: StudyFilter) -> tuple[str, str, dict[str, Any]]:
    """(`hits` common table expression, `hit_keys` query, params): the trials matching `where`,
    and how many of them have each key."""
    # The narrow rows carry their trial's key: no join to find it.
    has_keys = search_rows_table(where, None) in ("trial_search", "trial_words", "trial_documents")
    columns = "trials.nct_id as nct_id" + (", trials.facet_key as key" if has_keys else "")
    sql, params = study_search_sql(where, None, columns)
    if sql.startswith("with "):
        hits = sql.replace("\nselect\n", ",\nhits as (\nselect\n", 1) + ")\n"
    else:
        hits = "with hits as (\n" + sql + ")\n"
    hit_keys = (
        """
    select hits.key, count(*) as trials
    from hits
    group by hits.key"""
        if has_keys
        else """
    select trial_facet_keys.key, count(*) as trials
    from hits
    join trial_facet_keys on trial_facet_keys.nct_id = hits.nct_id
    group by trial_facet_keys.key"""
    )
    return hits, hit_keys, params


def _place_hit_keys(where: StudyFilter, geo: GeoArea, params: dict[str, Any]) -> tuple[str, str]:
    """(`hits` common table expression, `hit_keys` query) of a place with no words or ids: the
    circle's trials, as one array of distinct ids, looked up in `trial_facet_keys` by id.
    No `trials` row is read (the planner merged the circle with every trial's id and hashed
    every trial's key: Houston 50 mi took 44 ms of CPU at 100k studies, 18 ms this way)."""
    circle = circle_set(where, geo, params).replace("\n", "\n            ")
    hits = f"""with hits as materialized (
    select array(
        select distinct circle.nct_id
        from (
            {circle}
        ) as circle (nct_id)
    ) as nct_ids
)
"""
    hit_keys = """
    select trial_facet_keys.key, count(*) as trials
    from trial_facet_keys
    where trial_facet_keys.nct_id = any((select hits.nct_ids from hits)::text[])
    group by trial_facet_keys.key"""
    return hits, hit_keys
