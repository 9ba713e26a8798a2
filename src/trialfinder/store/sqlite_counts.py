"""SQLite counts and facet counts of matching trials, remembered until the store changes.

Filters on the trial columns alone (and one country) are summed from the maintained totals
(`sqlite_totals.py`); a text or a place with such filters is tallied per facet key of the
matching trials (`sqlite_facet_keys.py`); the others count the matching trials.

A count or a facet set over a broad filter (all open trials, a country) reads a large share of
the store, and the same ones come back on every page of a search and from every user. The
store keeps the answers in an `AnswerCache` keyed on the filter and dropped whenever the
database changes: `pragma data_version` moves when another connection (a running sync, say)
commits, and `total_changes` when this one writes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from trialfinder.store.answer_cache import AnswerCache
from trialfinder.store.base import StudyFilter
from trialfinder.store.sqlite_facet_keys import keyed_count, keyed_facet_rows
from trialfinder.store.sqlite_search import study_query, study_search_sql, time_limit
from trialfinder.store.sqlite_totals import facet_rows, total_count


def store_version(db: sqlite3.Connection) -> tuple[int, int]:
    """(`pragma data_version`, `total_changes`): moves when another connection commits and
    when this one writes."""
    return int(db.execute("pragma data_version").fetchone()[0]), db.total_changes


def count_trials(
    db: sqlite3.Connection, cache: AnswerCache, where: StudyFilter, time_limit_s: float
) -> int:
    """Return how many trials match `where`."""
    answer: int = cache.get(
        store_version(db), ("count", where), lambda: _count(db, where, time_limit_s)
    )
    return answer


def _count(db: sqlite3.Connection, where: StudyFilter, time_limit_s: float) -> int:
    total = total_count(db, where)
    if total is not None:
        return total
    with time_limit(db, time_limit_s):
        total = keyed_count(db, where)
        if total is not None:
            return total
        sql, params = study_search_sql(where, None)
        (count,) = db.execute(f"select count(*) from (\n{sql})", params).fetchone()
    return int(count)


_FACET_SQL = """
select
    'trial', hits.overall_status, hits.study_type, hits.sex, hits.std_ages, hits.phases, count(*)
from hits
group by 2, 3, 4, 5, 6
union all
select
    'country', trial_countries.country, null, null, null, null, count(*)
from hits
join trial_countries on trial_countries.nct_id = hits.nct_id
group by 2
"""
"""Facet counts in one statement over one materialized set of matching trials: combinations
of the trial columns (split into facets in Python), and trials per site country. The hits carry
the trial columns, so no trial row is read twice."""

_FACET_COLUMNS = ("overall_status", "study_type", "sex", "std_ages", "phases")

_AGE_GROUPS = ("CHILD", "ADULT", "OLDER_ADULT")


def _tally(counts: dict[str, int], value: str, n: int) -> None:
    counts[value] = counts.get(value, 0) + n


def _ranked(counts: dict[str, int]) -> dict[str, int]:
    """Most trials first, then by value (the order of `order by 2 desc, 1`)."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def facet_counts(
    db: sqlite3.Connection, cache: AnswerCache, where: StudyFilter, time_limit_s: float
) -> dict[str, dict[str, int]]:
    """Return value → count of matching trials for status, phase, type, sex, age group, country."""
    facets: dict[str, dict[str, int]] = cache.get(
        store_version(db), ("facets", where), lambda: _facets(db, where, time_limit_s)
    )
    return {name: dict(counts) for name, counts in facets.items()}


def _facets(
    db: sqlite3.Connection, where: StudyFilter, time_limit_s: float
) -> dict[str, dict[str, int]]:
    with time_limit(db, time_limit_s):
        rows = facet_rows(db, where)
        if rows is None:
            rows = keyed_facet_rows(db, where)
        if rows is None:
            rows = hit_facet_rows(db, where)
    return tally_facets(rows)


def hit_facet_rows(db: sqlite3.Connection, where: StudyFilter) -> list[tuple[Any, ...]]:
    """The rows `tally_facets` reads, counted over the matching trials themselves."""
    ctes, sql, params = study_query(where, None, trial_columns=_FACET_COLUMNS)
    hits = "with " + ",\n".join([*ctes, f"hits as materialized (\n{sql})"]) + "\n"
    return db.execute(hits + _FACET_SQL, params).fetchall()


def tally_facets(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, int]]:
    """Facets from ('trial', status, type, sex, ages, phases, n) and ('country', country, ...,
    n) rows: a trial counts once under each of its age groups and phases ("NONE" without)."""
    names = ("overallStatus", "phase", "studyType", "sex", "stdAge", "country")
    facets: dict[str, dict[str, int]] = {name: {} for name in names}
    for kind, value, study_type, sex, std_ages, phases, n in rows:
        if kind == "country":
            _tally(facets["country"], str(value), n)
            continue
        _tally(facets["overallStatus"], str(value), n)
        _tally(facets["studyType"], str(study_type), n)
        _tally(facets["sex"], str(sex), n)
        ages = set(str(std_ages).split(","))
        for group in _AGE_GROUPS:
            if group in ages:
                _tally(facets["stdAge"], group, n)
        for phase in set(str(phases).split(",")) - {""} or {"NONE"}:
            _tally(facets["phase"], phase, n)
    return {name: _ranked(counts) for name, counts in facets.items()}
