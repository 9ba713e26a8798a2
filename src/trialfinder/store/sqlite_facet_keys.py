"""SQLite facet keys: the facets and counts of text and place searches, tallied per key.

Migration 0007 gives every trial a facet key (`trial_facet_keys`, by trial rowid): one row of
`facet_keys` per combination of the facet columns (`FACET_KEY_COLUMNS`, unknown healthy
volunteers as -1) and the trial's site countries (`facet_key_countries`). Facets over the
trials a text or a place matches then read one narrow row per trial, count the trials of each
key, and filter and split the few keys, instead of reading every matching trial's wide row and
joining its countries. Counts of such searches do the same.

The store refreshes the keys of the trials it writes (`refresh_facet_keys`); a trigger drops
the key of a deleted trial. Keys no trial has any more stay, unused.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from trialfinder.store.base import StudyFilter
from trialfinder.store.sqlite_geo import geo_ctes
from trialfinder.store.sqlite_text import fts_query, text_index
from trialfinder.store.sqlite_totals import (
    FACET_KEY_COLUMNS,
    column_conditions,
    phase_conditions,
    words,
)

_KEY = ", ".join(FACET_KEY_COLUMNS)

_KEYED_FIELDS = {
    "text": (),
    "geo": None,
    "statuses": (),
    "study_types": (),
    "sexes": (),
    "phases": (),
    "age_groups": (),
    "healthy_volunteers": None,
    "has_results": None,
    "countries": (),
}
"""The `StudyFilter` fields the keys answer (a text, a place, the key's columns), each with its
empty value."""


# -- writing ---------------------------------------------------------------------------------------


def refresh_facet_keys(db: sqlite3.Connection, rowids: Sequence[object]) -> None:
    """Set the facet key of these trials (by rowid) from their `trials` and `trial_countries`
    rows, adding the keys not seen before."""
    rows = db.execute(
        f"""
        select
            trials.rowid,
            {", ".join(_key_column(c) for c in FACET_KEY_COLUMNS)},
            (
                select json_group_array(country)
                from (
                    select trial_countries.country as country
                    from trial_countries
                    where trial_countries.nct_id = trials.nct_id
                    order by trial_countries.country
                )
            )
        from trials
        where trials.rowid in (select value from json_each(:rowids))
        """,
        {"rowids": json.dumps(list(rowids))},
    ).fetchall()
    keys: dict[tuple[Any, ...], int] = {}
    for row in rows:
        keys.setdefault(tuple(row[1:]), 0)
    for key in keys:
        keys[key] = _key_id(db, key)
    db.executemany(
        """
        insert into trial_facet_keys (trial_rowid, key)
        values (?, ?)
        on conflict (trial_rowid) do update set
            key = excluded.key
        """,
        [(row[0], keys[tuple(row[1:])]) for row in rows],
    )


def _key_column(column: str) -> str:
    prefixed = f"trials.{column}"
    return f"coalesce({prefixed}, -1)" if column == "healthy_volunteers" else prefixed


def _key_id(db: sqlite3.Connection, key: tuple[Any, ...]) -> int:
    """The `facet_keys` key of these column values and countries (JSON), added when new."""
    names = [*FACET_KEY_COLUMNS, "countries"]
    params = dict(zip(names, key, strict=True))
    found = db.execute(
        f"""
        select key
        from facet_keys
        where ({_KEY}, countries) = ({", ".join(":" + n for n in names)})
        """,
        params,
    ).fetchone()
    if found is not None:
        return int(found[0])
    cursor = db.execute(
        f"""
        insert into facet_keys ({_KEY}, countries)
        values ({", ".join(":" + n for n in names)})
        """,
        params,
    )
    key_id = int(cursor.lastrowid or 0)
    db.execute(
        """
        insert into facet_key_countries (key, country)
        select :key, value
        from json_each(:countries)
        """,
        {"key": key_id, "countries": params["countries"]},
    )
    return key_id


# -- reading ---------------------------------------------------------------------------------------


def _answerable(where: StudyFilter) -> bool:
    """Whether the keys answer `where`: a text or a place, otherwise only the key's columns
    (countries on the trial, so not with a place, whose sites they filter), no empty phase."""
    rest = dataclasses.replace(where, **_KEYED_FIELDS)  # type: ignore[arg-type]
    return (
        rest == StudyFilter()
        and bool(where.text or where.geo)
        and not (where.geo and where.countries)
        and "" not in where.phases
    )


def keyed_ctes(where: StudyFilter) -> tuple[list[str], dict[str, Any]] | None:
    """(common table expressions, params) ending in `keyed`: each facet key of the matching
    trials with its columns and `trials`, how many of them have it. None when the keys cannot
    answer `where`."""
    if not _answerable(where):
        return None
    params: dict[str, Any] = {}
    ctes: list[str] = []
    place = ""
    if where.geo is not None:
        ctes += geo_ctes(where.geo, [], params, None)
        place = "select trial_rowid\n        from geo_hits"
    match = fts_query(where.text)
    if match is not None:
        params["fts"] = match
        table, _ = text_index(where.text)
        matched = f"select rowid from {table} where {table} match :fts"
        if place:
            # With a place, the words' trials are listed once and each site (or area) in the
            # circle looked up among them: listing the circle's sites (a trial once per site)
            # costs more. `limit -1` keeps SQLite from pushing the lookup into each part of
            # `geo_hits`, which built the words' list (or walked them) once per part.
            place = f"""select trial_rowid
        from (
            select trial_rowid
            from geo_hits
            limit -1
        )
        where trial_rowid in ({matched})"""
        else:
            place = matched
    ctes.append(
        f"""counted as materialized (
    select
        trial_facet_keys.key as key,
        count(*) as trials
    from trial_facet_keys
    where trial_facet_keys.trial_rowid in (
        {place}
    )
    group by trial_facet_keys.key
)"""
    )
    conditions = column_conditions(where, params, "keys") + phase_conditions(where, params, "keys")
    if where.countries:
        params["countries"] = words(where.countries)
        conditions.append(
            """exists (
        select 1
        from facet_key_countries
        where facet_key_countries.key = keys.key
            and lower(facet_key_countries.country) in (select value from json_each(:countries))
    )"""
        )
    filters = "".join("\n    and " + c for c in conditions)
    ctes.append(
        f"""keyed as materialized (
    select
        keys.*,
        counted.trials as trials
    from counted
    join facet_keys as keys on keys.key = counted.key
    where 1 = 1{filters}
)"""
    )
    return ctes, params


_FACET_SQL = """
select
    'trial', keyed.overall_status, keyed.study_type, keyed.sex, keyed.std_ages, keyed.phases,
    sum(keyed.trials)
from keyed
group by 2, 3, 4, 5, 6
union all
select
    'country', facet_key_countries.country, null, null, null, null, sum(keyed.trials)
from keyed
join facet_key_countries on facet_key_countries.key = keyed.key
group by 2
"""


def keyed_facet_rows(db: sqlite3.Connection, where: StudyFilter) -> list[tuple[Any, ...]] | None:
    """The rows `sqlite_counts.tally_facets` reads, per facet key of the matching trials; None
    when the keys cannot answer `where`."""
    keyed = keyed_ctes(where)
    if keyed is None:
        return None
    ctes, params = keyed
    return db.execute("with " + ",\n".join(ctes) + "\n" + _FACET_SQL, params).fetchall()


def keyed_count(db: sqlite3.Connection, where: StudyFilter) -> int | None:
    """How many trials match `where`, per facet key; None when the keys cannot answer."""
    keyed = keyed_ctes(where)
    if keyed is None:
        return None
    ctes, params = keyed
    sql = "with " + ",\n".join(ctes) + "\nselect coalesce(sum(keyed.trials), 0) from keyed"
    (count,) = db.execute(sql, params).fetchone()
    return int(count)
