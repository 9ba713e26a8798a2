"""SQLite SQL for searching trials: FTS5 + filters + distance, a page at a time.

Every function takes the open connection; `SQLiteStore` calls them under its lock. The SQL is
assembled only from the fixed fragments below (and `sqlite_geo.py` for places, `sqlite_text.py`
for words, `sqlite_country_walk.py` for filters-only pages with a country), and every value is
bound: lists travel as one JSON array read with `json_each`, so a statement's text depends only
on which filters are set. Counts and facets are in `sqlite_counts.py`, research sites in
`sqlite_sites.py`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from trialfinder.errors import QueryError, StoreError
from trialfinder.store.base import (
    Site,
    StudyFilter,
    StudyHit,
    StudySort,
)
from trialfinder.store.search_order import criteria_conditions, growing_radii, order_by
from trialfinder.store.sqlite_country_walk import (
    age_conditions,
    country_walk_query,
    first_country_locations,
    walks_countries,
)
from trialfinder.store.sqlite_geo import (
    geo_ctes,
    nearest_locations,
)
from trialfinder.store.sqlite_tantivy import TextIndexReader
from trialfinder.store.sqlite_tantivy_search import needs_check, serves, tantivy_page
from trialfinder.store.sqlite_text import fts_query, text_index
from trialfinder.store.sqlite_totals import column_conditions, match_bounds, words

# -- study search SQL ---------------------------------------------------------------------------


def _has_site_filter(where: StudyFilter) -> bool:
    return bool(where.countries or where.location_words or where.geo)


_LOCATION_WORDS = """not exists (
            select 1
            from json_each(:location_words)
            where instr(
                lower(sites.name || ' ' || sites.city || ' ' || sites.state || ' '
                    || sites.zip || ' ' || sites.country),
                json_each.value
            ) = 0
        )"""


def _site_conditions(where: StudyFilter, params: dict[str, Any]) -> list[str]:
    """Conditions on `sites` for the country and location-word filters (binding their values)."""
    conditions = []
    if where.countries:
        params["countries"] = words(where.countries)
        conditions.append("lower(sites.country) in (select value from json_each(:countries))")
    if where.location_words:
        params["location_words"] = words(where.location_words)
        conditions.append(_LOCATION_WORDS)
    return conditions


def _trial_site_condition(where: StudyFilter, params: dict[str, Any], probe: bool) -> str:
    """Without a place: the trial has a site in one of the countries, matching the words.

    Unless `probe` (words to search, or a walk along the last update, which check trials one
    by one), the countries' trials (read from their index) drive the query: filters that leave
    few trials then cost as few lookups, not one per trial of a status.
    """
    if not where.location_words:
        params["countries"] = words(where.countries)
        if not probe:
            return """trials.nct_id in (
        select trial_countries.nct_id
        from trial_countries
        where lower(trial_countries.country) in (select value from json_each(:countries))
    )"""
        return """exists (
        select 1
        from trial_countries
        where trial_countries.nct_id = trials.nct_id
            and lower(trial_countries.country) in (select value from json_each(:countries))
    )"""
    conditions = _site_conditions(where, params)
    return f"""exists (
        select 1
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id = trials.nct_id
            and {(chr(10) + "            and ").join(conditions)}
    )"""


def study_query(
    where: StudyFilter,
    sort: StudySort | None,
    near_km: float | None = None,
    update_bound: tuple[str, str, str | None] | None = None,
    trial_columns: tuple[str, ...] = (),
    rowids: Sequence[int] | None = None,
) -> tuple[list[str], str, dict[str, Any]]:
    """(common table expressions, select statement, params) of `study_search_sql`.

    Without `sort`, the `trials` columns named in `trial_columns` follow trial_rowid and nct_id.

    `near_km`: sites farther are left out (see `geo_ctes`). `update_bound` ("desc", value,
    done): only trials updated after value and, unless done is None, not after done, read along
    the last-update index, which holds the filtered columns ("asc": before value, not before
    done). `rowids`: only these trials (checked one by one).
    """
    params: dict[str, Any] = {}
    ctes: list[str] = []
    joins: list[str] = []
    conditions: list[str] = []
    source = "trials"
    if update_bound is not None:
        direction, params["update_bound"], done = update_bound
        source = "trials indexed by trials_update_filters"
        comparison = ">" if direction == "desc" else "<"
        conditions.append(f"trials.last_update_posted {comparison} :update_bound")
        if done is not None:
            params["update_done"] = done
            comparison = "<=" if direction == "desc" else ">="
            conditions.append(f"trials.last_update_posted {comparison} :update_done")

    # The set of trials near the place, when there is one: the text match below is cut to it
    # before any relevance is computed.
    in_place = ""
    if where.geo is not None:
        ctes += geo_ctes(where.geo, _site_conditions(where, params), params, near_km)
        if near_km is None:
            in_place = "trial_rowid from geo_hits"
        else:
            in_place = "trial_rowid from nearest"
            joins.append("join nearest on nearest.trial_rowid = trials.rowid")
    elif _has_site_filter(where):
        probe = bool(where.text) or update_bound is not None or rowids is not None
        conditions.append(_trial_site_condition(where, params, probe))

    match = fts_query(where.text)
    if match is not None:
        params["fts"] = match
        table, weights = text_index(where.text)
        # bm25 is computed only for rows the where clause keeps (`+rowid` keeps the place's
        # set from being handed to FTS5 as one lookup per trial), and only when sorting.
        score = f",\n        bm25({table}, {weights}) as score" if sort is not None else ""
        near = f"\n        and +rowid in (select {in_place})" if in_place else ""
        ctes.append(
            f"""matched as materialized (
    select
        rowid{score}
    from {table}
    where {table} match :fts{near}
)"""
        )
        joins.insert(0, "join matched on matched.rowid = trials.rowid")
    elif in_place and near_km is None:
        conditions.append("trials.rowid in (select trial_rowid from geo_hits)")

    if rowids is not None:
        params["rowids"] = json.dumps(list(rowids))
        conditions.append("trials.rowid in (select value from json_each(:rowids))")
    if where.nct_ids:
        params["nct_ids"] = json.dumps([n.upper() for n in where.nct_ids])
        conditions.append("trials.nct_id in (select value from json_each(:nct_ids))")
    if where.id_words:
        params["id_words"] = words(where.id_words)
        conditions.append(
            """(
        lower(trials.nct_id) in (select value from json_each(:id_words))
        or lower(trials.acronym) in (select value from json_each(:id_words))
    )"""
        )
    if where.sponsor_words:
        params["sponsor_words"] = words(where.sponsor_words)
        conditions.append(
            """not exists (
        select 1
        from json_each(:sponsor_words)
        where instr(lower(trials.lead_sponsor), json_each.value) = 0
    )"""
        )
    conditions.extend(column_conditions(where, params, "trials"))
    if where.phases:
        params["phases"] = json.dumps(list(where.phases))
        conditions.append(
            """exists (
        select 1
        from trial_phases
        where trial_phases.nct_id = trials.nct_id
            and trial_phases.phase in (select value from json_each(:phases))
    )"""
        )
    conditions.extend(age_conditions(where, params, "trials"))
    criteria_params, criteria_where = criteria_conditions(where, lambda name: f":{name}")
    params.update(criteria_params)
    conditions.extend(criteria_where)
    for name, column, date_range in (
        ("start", "trials.start_date", where.start_date_range),
        ("updated", "trials.last_update_posted", where.last_update_range),
    ):
        if date_range is not None:
            date_low, date_high = date_range
            params[f"{name}_low"] = date_low or ""
            params[f"{name}_high"] = date_high or "9999"
            conditions.append(f"{column} != ''")
            conditions.append(f"{column} >= substr(:{name}_low, 1, length({column}))")
            conditions.append(f"substr({column}, 1, length(:{name}_high)) <= :{name}_high")

    if sort is None:
        columns = ",\n    ".join(
            ["trials.rowid as trial_rowid", "trials.nct_id as nct_id"]
            + [f"trials.{column} as {column}" for column in trial_columns]
        )
    elif not _has_site_filter(where):
        score = "-matched.score" if match is not None else "null"
        columns = f"""trials.nct_id as nct_id,
    {score} as score,
    null, null,
    null as distance_km"""
    else:
        score = "-matched.score" if match is not None else "null"
        location = "nearest.location_id" if near_km is not None else "null"
        distance = "nearest.distance_km" if near_km is not None else "null"
        columns = f"""trials.nct_id as nct_id,
    {score} as score,
    {location} as location_id,
    {distance} as distance_km"""

    sql = f"select\n    {columns}\nfrom {source}\n"
    sql += "".join(join + "\n" for join in joins)
    if conditions:
        sql += "where " + "\n    and ".join(conditions) + "\n"
    if sort is not None:
        sql += (
            "order by "
            + ", ".join(order_by(where, sort, match is not None, best_score_first="asc"))
            + "\n"
        )
        sql += "limit :limit offset :offset\n"
    return ctes, sql, params


def study_search_sql(where: StudyFilter, sort: StudySort | None) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) selecting matching trials; with `sort`, ordered and paged.

    With `sort`, the columns are nct_id, score (higher is better), site_id, site_status and
    distance_km; with a site filter (country, location words, place) they are nct_id, score,
    location_id (the `locations` rowid of the nearest matching site, null without a place)
    and distance_km. Without `sort` they are trial_rowid and nct_id, with no order or limit.
    """
    ctes, sql, params = study_query(where, sort)
    return (("with " + ",\n".join(ctes) + "\n") if ctes else "") + sql, params


# -- running with a time limit ------------------------------------------------------------------


@contextmanager
def time_limit(db: sqlite3.Connection, seconds: float) -> Iterator[float]:
    """Interrupt the statements run inside when they take longer than `seconds`; yields the
    deadline (`time.monotonic()`) for work outside SQLite (the tantivy walk)."""
    deadline = time.monotonic() + seconds
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 5_000)
    try:
        yield deadline
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise QueryError(
                f"the search took longer than {seconds:g} s and was stopped; "
                "add words or filters to narrow it"
            ) from None
        raise StoreError(f"search failed ({error})") from None
    finally:
        db.set_progress_handler(None, 0)


SITE_COLUMNS = "sites.site_id, sites.name, sites.city, sites.state, sites.zip, sites.country"
"""The `sites` columns of a `Site` before its latitude and longitude."""


def search_trials(
    db: sqlite3.Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    time_limit_s: float,
    text_index: TextIndexReader | None = None,
) -> list[StudyHit]:
    """Return one page of trials matching `where` (see `SQLiteStore.search_trials`); the
    ranked page from `text_index` when it serves the search and holds what the store holds."""
    with time_limit(db, time_limit_s) as deadline:
        rows = _indexed_page(db, where, sort, limit, offset, text_index, deadline)
        if rows is None:
            rows = _page(db, where, sort, limit, offset)
        if not _has_site_filter(where):
            return [
                StudyHit(nct_id=n, score=s, site=None, site_status="", distance_km=d)
                for n, s, _, _, d in rows
            ]
        # The page's sites only: found after the page is cut, not for every matching trial.
        if where.geo is None:
            location_ids = _first_matching_locations(db, where, [row[0] for row in rows])
        elif not _sorts_by_distance(where, sort):
            params: dict[str, Any] = {}
            conditions = _site_conditions(where, params)
            nct_ids = [row[0] for row in rows]
            nearest = nearest_locations(db, where.geo, conditions, params, nct_ids)
            rows = [(n, s, i, d) for (n, s, _, _), (i, d) in zip(rows, nearest, strict=True)]
            location_ids = [row[2] for row in rows]
        else:
            location_ids = [row[2] for row in rows]
        located = {
            rowid: (site_id, status)
            for rowid, site_id, status in db.execute(
                """
                select
                    rowid, site_id, status
                from locations
                where rowid in (select value from json_each(:location_ids))
                """,
                {"location_ids": json.dumps([i for i in location_ids if i is not None])},
            )
        }
        site_ids = sorted({site_id for site_id, _ in located.values()})
        sites = {
            s[0]: Site(*s)
            for s in db.execute(
                f"""
                select
                    {SITE_COLUMNS}, sites.lat, sites.lon
                from sites
                where sites.site_id in (select value from json_each(:site_ids))
                """,
                {"site_ids": json.dumps(site_ids)},
            )
        }
    hits = []
    for (nct_id, score, _, distance), location_id in zip(rows, location_ids, strict=True):
        site_id, status = located.get(location_id, ("", "")) if location_id else ("", "")
        hits.append(
            StudyHit(
                nct_id=nct_id,
                score=score,
                site=sites.get(site_id) if site_id else None,
                site_status=status or "",
                distance_km=distance,
            )
        )
    return hits


def _indexed_page(
    db: sqlite3.Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    text_index: TextIndexReader | None,
    deadline: float | None = None,
) -> list[tuple[Any, ...]] | None:
    """The page's rows (as `_page` gives them) from the tantivy index, or None (use FTS5)."""
    if text_index is None or not serves(where, sort):
        return None
    index = text_index.current(db)
    if index is None:
        return None
    check = None
    if needs_check(where):
        rest = dataclasses.replace(where, text=(), geo=None)

        def check(rowids: list[int]) -> set[int]:
            ctes, sql, params = study_query(rest, None, rowids=rowids)
            sql = (("with " + ",\n".join(ctes) + "\n") if ctes else "") + sql
            return {row[0] for row in db.execute(sql, params)}

    try:
        page = tantivy_page(db, index, where, limit, offset, check, deadline)
    except (OSError, ValueError):
        return None  # an index tantivy cannot read (damaged on disk): FTS5 answers
    if page is None:
        return None
    if _has_site_filter(where):
        return [(nct_id, score, None, None) for nct_id, score in page]
    return [(nct_id, score, None, None, None) for nct_id, score in page]


def _page(
    db: sqlite3.Connection, where: StudyFilter, sort: StudySort, limit: int, offset: int
) -> list[tuple[Any, ...]]:
    """The page's rows (see `study_search_sql`). Nearest first, the circle starts at 1/64 of
    the radius and doubles until it holds the page: a trial with no site in the smaller circle
    is farther than every trial with one, so the page is the same as the whole circle's.
    """
    direction = _update_order(where, sort)
    if direction is not None:
        bounds = match_bounds(db, where)
        if bounds is not None and bounds[0] <= offset:
            return []  # fewer trials match than the page skips: none read
        by_country = walks_countries(where)
        if by_country and len(where.countries) == 1:
            # One country's index entries come in update order: the walk stops at the page.
            windows: Sequence[int] = ()
        elif bounds is None:
            windows = _RECENT_WINDOWS
        else:
            matches, in_country, stored = bounds
            # The country walk reads only the countries' trials, from one index: any window
            # costs less than the plan without one, which reads each of them from its row.
            budget = stored if by_country else in_country / _WALK_ROW_COST
            windows = _walk_windows(matches, stored, limit + offset, budget)
        recent = _recent_page(db, where, sort, limit, offset, direction, windows)
        if recent is not None:
            return recent
    geo = where.geo
    if geo is None or not _sorts_by_distance(where, sort):
        sql, params = study_search_sql(where, sort)
        return db.execute(sql, {**params, "limit": limit, "offset": offset}).fetchall()
    nearest_first = not (sort.key == "distance" and sort.is_descending)
    rows: list[tuple[Any, ...]] = []
    for near_km in growing_radii(geo.radius_km, 1 / 64 if nearest_first else 1.0):
        ctes, sql, params = study_query(where, sort, near_km)
        sql = "with " + ",\n".join(ctes) + "\n" + sql
        rows = db.execute(sql, {**params, "limit": limit, "offset": offset}).fetchall()
        if len(rows) == limit:
            break
    return rows


_RECENT_WINDOWS = (1_000, 10_000)
"""How many of the latest (or earliest) updated trials `_recent_page` reads, try by try, when
the totals cannot say how many trials match. Kept small: when filters leave few trials, reading
them from their own index is the cheaper plan."""

_WALK_ROW_COST = 0.25
"""CPU of a trial read along the last-update walk (its columns from `trials_update_filters`)
relative to one read through the country index (the wide trial row): 1.3 against 4.7 µs at
500k studies."""


def _walk_windows(matches: int, stored: int, need: int, budget: float) -> list[int]:
    """Windows for `_recent_page` from the totals' bounds (see `match_bounds`).

    Matches spread evenly would fill the page within `need × stored / matches` of the latest
    trials; the first window is 4 times that, each next one 10 times the last (a failed try
    costs at most a tenth of the next), while the window is within `budget` trials (what the
    plan without a window costs, in trials read by the walk) and the store.
    """
    window = max(1_000, 4 * need * stored // max(matches, 1))
    windows: list[int] = []
    while window <= budget and window < stored:
        windows.append(window)
        window *= 10
    return windows


def _update_order(where: StudyFilter, sort: StudySort) -> str | None:
    """'desc' or 'asc' when the page is ordered by last update (no words, no place), else None."""
    if where.text or where.geo is not None:
        return None
    if sort.key == "relevance":
        return "desc"
    if sort.key == "last_update":
        return "desc" if sort.is_descending else "asc"
    return None


def _recent_page(
    db: sqlite3.Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    direction: str,
    windows: Sequence[int],
) -> list[tuple[Any, ...]] | None:
    """The page from the latest updated trials alone, when they hold it; else None.

    The filters are checked along the last-update index for the trials updated after the
    window's edge: when enough of them match, every other trial (updated at or before the
    edge) sorts after the page, so it is the whole store's page. A larger window reads only
    the trials the smaller ones did not. Without this, SQLite reads every trial the filters
    allow (all open ones, say) and sorts them.

    When the country index holds every filter (`walks_countries`), the windows read it
    instead, and after them the rest of the countries' trials: the page is never None.
    """
    by_country = walks_countries(where)
    rows: list[tuple[Any, ...]] = []
    done: str | None = None
    for window in windows:
        if offset + limit > window:
            continue
        edge = db.execute(
            f"""
            select last_update_posted
            from trials
            order by last_update_posted {direction}
            limit 1 offset :window
            """,
            {"window": window},
        ).fetchone()
        if edge is None:
            break
        # Only the trials the last window did not read: its rows sort before all of these.
        if by_country:
            sql, params = country_walk_query(where, direction, edge[0], done)
        else:
            ctes, sql, params = study_query(where, sort, update_bound=(direction, edge[0], done))
            sql = (("with " + ",\n".join(ctes) + "\n") if ctes else "") + sql
        wanted = offset + limit - len(rows)
        rows += db.execute(sql, {**params, "limit": wanted, "offset": 0}).fetchall()
        if len(rows) == offset + limit:
            return rows[offset:]
        done = edge[0]
    if not by_country:
        return None
    # The rest of the country's trials, from the same index.
    sql, params = country_walk_query(where, direction, None, done)
    wanted = offset + limit - len(rows)
    rows += db.execute(sql, {**params, "limit": wanted, "offset": 0}).fetchall()
    return rows[offset:]


def _sorts_by_distance(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the page is ordered by distance (asked, or relevance without words near a place)."""
    return where.geo is not None and (
        sort.key == "distance" or (sort.key == "relevance" and not where.text)
    )


def _first_matching_locations(
    db: sqlite3.Connection, where: StudyFilter, nct_ids: list[str]
) -> list[int | None]:
    """`locations` rowid of each trial's first site (by position) in the countries and
    matching the location words. Without words, the position comes from the trial's
    `trial_countries` rows (migration 0012): one seek a trial, not a walk through its sites.
    """
    if not where.location_words:
        return first_country_locations(db, where.countries, nct_ids)
    params: dict[str, Any] = {}
    conditions = _site_conditions(where, params)
    sql = f"""
        select
            locations.rowid
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id = :nct_id
            and {" and ".join(conditions)}
        order by locations.position
        limit 1
        """
    found: list[int | None] = []
    for nct_id in nct_ids:
        row = db.execute(sql, {**params, "nct_id": nct_id}).fetchone()
        found.append(row[0] if row else None)
    return found
