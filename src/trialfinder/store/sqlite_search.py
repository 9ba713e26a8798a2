"""SQLite SQL for searching: trials (FTS5 + filters + distance), facet counts and research sites.

Every function takes the open connection; `SQLiteStore` calls them under its lock. The SQL is
assembled only from the fixed fragments below, and every value is bound: lists travel as one
JSON array read with `json_each`, so a statement's text depends only on which filters are set.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trialfinder.errors import QueryError, StoreError
from trialfinder.store.base import (
    GeoArea,
    Site,
    SiteFilter,
    StudyFilter,
    StudyHit,
    StudySort,
    TextSearch,
    TextTerm,
)

FTS_COLUMNS = ("title", "conditions", "interventions", "keywords", "summary", "criteria")
"""Columns of `trials_fts`, in order."""

FTS_WEIGHTS = (10.0, 8.0, 5.0, 6.0, 2.0, 1.0)
"""bm25 weight of each column in `FTS_COLUMNS`: a title or condition hit counts most."""

EARTH_RADIUS_KM = 6371.0088
_NO_AGE_LIMIT = 1000.0

_SORT_COLUMNS = {
    "relevance": "matched.score",
    "distance": "nearest.distance_km",
    "last_update": "trials.last_update_posted",
    "start_date": "trials.start_date",
    "nct_id": "trials.nct_id",
}

_DISTANCE_KM = """
            6371.0088 * 2 * asin(min(1.0, sqrt(
                pow(sin(radians(locations.lat - :geo_lat) / 2), 2)
                + cos(radians(:geo_lat)) * cos(radians(locations.lat))
                * pow(sin(radians(locations.lon - :geo_lon) / 2), 2)
            )))"""

_SITE_DISTANCE_KM = _DISTANCE_KM.replace("locations.", "sites.")


# -- full-text query ----------------------------------------------------------------------------


def _phrase(words: tuple[str, ...]) -> str:
    return '"' + " ".join(word.replace('"', '""') for word in words) + '"'


def _term(term: TextTerm) -> str:
    star = " *" if term.is_prefix else ""
    parts = [_phrase(words) + star for words in term.alternatives if words]
    if not parts:
        raise QueryError("a search term has no words")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _text_search(search: TextSearch) -> str:
    positive = [_term(t) for t in search.terms if not t.is_negated]
    negative = [_term(t) for t in search.terms if t.is_negated]
    if not positive:
        raise QueryError("a search needs at least one word that is not excluded with '-'")
    expression = " AND ".join(positive)
    if negative:
        expression = f"({expression}) NOT ({' OR '.join(negative)})"
    if not search.columns:
        return f"({expression})"
    for column in search.columns:
        if column not in FTS_COLUMNS:
            raise ValueError(f"{column!r} is not a full-text column ({', '.join(FTS_COLUMNS)})")
    return "{" + " ".join(search.columns) + "} : (" + expression + ")"


def fts_query(searches: tuple[TextSearch, ...]) -> str | None:
    """Return the FTS5 match expression for parsed text searches (None when there are none).

    Each word is written as a quoted FTS5 string, so no user text is ever read as FTS5 syntax.
    """
    if not searches:
        return None
    return " AND ".join(_text_search(s) for s in searches)


# -- study search SQL ---------------------------------------------------------------------------


def _bounding_box(geo: GeoArea) -> dict[str, float]:
    """Latitude/longitude bounds around a circle, so the location index narrows the scan."""
    lat_delta = geo.radius_km / 111.0 + 0.01
    cos_lat = math.cos(math.radians(geo.lat))
    lon_delta = 360.0 if cos_lat < 0.01 else geo.radius_km / (111.32 * cos_lat) + 0.01
    lon_low, lon_high = geo.lon - lon_delta, geo.lon + lon_delta
    if lon_low < -180 or lon_high > 180:
        lon_low, lon_high = -180.0, 180.0
    return {
        "geo_lat": geo.lat,
        "geo_lon": geo.lon,
        "geo_radius_km": geo.radius_km,
        "geo_lat_low": geo.lat - lat_delta,
        "geo_lat_high": geo.lat + lat_delta,
        "geo_lon_low": lon_low,
        "geo_lon_high": lon_high,
    }


def _has_site_filter(where: StudyFilter) -> bool:
    return bool(where.countries or where.location_words or where.geo)


def _words(values: tuple[str, ...]) -> str:
    return json.dumps([v.lower() for v in values])


def study_search_sql(where: StudyFilter, sort: StudySort | None) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) selecting matching trials; with `sort`, ordered and paged.

    Columns: nct_id, score (higher is better), site_id, site_status, distance_km. Without
    `sort` only nct_id is selected (for counts and facets) and there is no order or limit.
    """
    params: dict[str, Any] = {}
    ctes: list[str] = []
    joins: list[str] = []
    conditions: list[str] = []

    match = fts_query(where.text)
    if match is not None:
        params["fts"] = match
        weights = ", ".join(f"{w:g}" for w in FTS_WEIGHTS)
        ctes.append(
            f"""matched as (
    select
        rowid,
        bm25(trials_fts, {weights}) as score
    from trials_fts
    where trials_fts match :fts
)"""
        )
        joins.append("join matched on matched.rowid = trials.rowid")

    if _has_site_filter(where):
        site_conditions = ["1 = 1"]
        rank = "locations.position"
        distance = "null"
        if where.countries:
            params["countries"] = _words(where.countries)
            site_conditions.append(
                "lower(sites.country) in (select value from json_each(:countries))"
            )
        if where.location_words:
            params["location_words"] = _words(where.location_words)
            site_conditions.append(
                """not exists (
            select 1
            from json_each(:location_words)
            where instr(
                lower(sites.name || ' ' || sites.city || ' ' || sites.state || ' '
                    || sites.zip || ' ' || sites.country),
                json_each.value
            ) = 0
        )"""
            )
        if where.geo is not None:
            params.update(_bounding_box(where.geo))
            site_conditions.append("locations.lat between :geo_lat_low and :geo_lat_high")
            site_conditions.append("locations.lon between :geo_lon_low and :geo_lon_high")
            rank = distance = _DISTANCE_KM.strip()
        ctes.append(
            f"""site_hits as (
    select
        locations.nct_id as nct_id,
        locations.site_id as site_id,
        locations.status as status,
        {distance} as distance_km,
        {rank} as rank
    from locations
    join sites on sites.site_id = locations.site_id
    where {(chr(10) + "        and ").join(site_conditions)}
)"""
        )
        radius = "    where distance_km <= :geo_radius_km\n" if where.geo is not None else ""
        ctes.append(
            """nearest as (
    select
        nct_id,
        site_id,
        status,
        distance_km,
        min(rank) as rank
    from site_hits
"""
            + radius
            + """    group by nct_id
)"""
        )
        joins.append("join nearest on nearest.nct_id = trials.nct_id")

    if where.nct_ids:
        params["nct_ids"] = json.dumps([n.upper() for n in where.nct_ids])
        conditions.append("trials.nct_id in (select value from json_each(:nct_ids))")
    if where.id_words:
        params["id_words"] = _words(where.id_words)
        conditions.append(
            """(
        lower(trials.nct_id) in (select value from json_each(:id_words))
        or lower(trials.acronym) in (select value from json_each(:id_words))
    )"""
        )
    if where.sponsor_words:
        params["sponsor_words"] = _words(where.sponsor_words)
        conditions.append(
            """not exists (
        select 1
        from json_each(:sponsor_words)
        where instr(lower(trials.lead_sponsor), json_each.value) = 0
    )"""
        )
    for name, column, values in (
        ("statuses", "trials.overall_status", where.statuses),
        ("study_types", "trials.study_type", where.study_types),
        ("sexes", "trials.sex", where.sexes),
    ):
        if values:
            params[name] = json.dumps(list(values))
            conditions.append(f"{column} in (select value from json_each(:{name}))")
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
    if where.age_groups:
        params["age_groups"] = json.dumps(list(where.age_groups))
        conditions.append(
            """exists (
        select 1
        from json_each(:age_groups)
        where instr(',' || trials.std_ages || ',', ',' || json_each.value || ',') > 0
    )"""
        )
    if where.age_years is not None:
        params["age_years"] = where.age_years
        params["no_age_limit"] = _NO_AGE_LIMIT
        conditions.append("coalesce(trials.minimum_age_years, 0) <= :age_years")
        conditions.append("coalesce(trials.maximum_age_years, :no_age_limit) >= :age_years")
    for name, column, default, age_range in (
        ("minimum_age", "trials.minimum_age_years", 0.0, where.minimum_age_range),
        ("maximum_age", "trials.maximum_age_years", _NO_AGE_LIMIT, where.maximum_age_range),
    ):
        if age_range is not None:
            low, high = age_range
            params[f"{name}_default"] = default
            params[f"{name}_low"] = -1.0 if low is None else low
            params[f"{name}_high"] = _NO_AGE_LIMIT if high is None else high
            conditions.append(
                f"coalesce({column}, :{name}_default) between :{name}_low and :{name}_high"
            )
    for name, column, flag in (
        ("healthy_volunteers", "trials.healthy_volunteers", where.healthy_volunteers),
        ("has_results", "trials.has_results", where.has_results),
    ):
        if flag is not None:
            params[name] = int(flag)
            conditions.append(f"{column} = :{name}")
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
        columns = "trials.nct_id as nct_id"
    else:
        score = "-matched.score" if match is not None else "null"
        site = "nearest.site_id, nearest.status" if _has_site_filter(where) else "null, null"
        distance = "nearest.distance_km" if where.geo is not None else "null"
        columns = f"""trials.nct_id as nct_id,
    {score} as score,
    {site},
    {distance} as distance_km"""

    sql = ("with " + ",\n".join(ctes) + "\n") if ctes else ""
    sql += f"select\n    {columns}\nfrom trials\n"
    sql += "".join(join + "\n" for join in joins)
    if conditions:
        sql += "where " + "\n    and ".join(conditions) + "\n"
    if sort is not None:
        sql += "order by " + ", ".join(_order_by(where, sort, match is not None)) + "\n"
        sql += "limit :limit offset :offset\n"
    return sql, params


def _order_by(where: StudyFilter, sort: StudySort, has_text: bool) -> list[str]:
    key = sort.key
    if key == "relevance" and not has_text:
        key = "distance" if where.geo is not None else "last_update"
        direction = "desc" if key == "last_update" else "asc"
    elif key == "relevance":
        direction = "desc" if sort.is_descending else "asc"
    else:
        direction = "desc" if sort.is_descending else "asc"
    if key == "distance" and where.geo is None:
        raise QueryError("sorting by distance needs a place (filter.geo)", "sort")
    order = [f"{_SORT_COLUMNS[key]} {direction}"]
    if key != "nct_id":
        order.append("trials.nct_id asc")
    return order


# -- running with a time limit ------------------------------------------------------------------


@contextmanager
def time_limit(db: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt the statements run inside when they take longer than `seconds`."""
    deadline = time.monotonic() + seconds
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 5_000)
    try:
        yield
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise QueryError(
                f"the search took longer than {seconds:g} s and was stopped; "
                "add words or filters to narrow it"
            ) from None
        raise StoreError(f"search failed ({error})") from None
    finally:
        db.set_progress_handler(None, 0)


_SITE_COLUMNS = "sites.site_id, sites.name, sites.city, sites.state, sites.zip, sites.country"


def search_trials(
    db: sqlite3.Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    time_limit_s: float,
) -> list[StudyHit]:
    """Return one page of trials matching `where` (see `SQLiteStore.search_trials`)."""
    sql, params = study_search_sql(where, sort)
    with time_limit(db, time_limit_s):
        rows = db.execute(sql, {**params, "limit": limit, "offset": offset}).fetchall()
        site_ids = sorted({row[2] for row in rows if row[2] is not None})
        sites = {
            s[0]: Site(*s)
            for s in db.execute(
                f"""
                select
                    {_SITE_COLUMNS}, sites.lat, sites.lon
                from sites
                where sites.site_id in (select value from json_each(:site_ids))
                """,
                {"site_ids": json.dumps(site_ids)},
            )
        }
    return [
        StudyHit(
            nct_id=nct_id,
            score=score,
            site=sites.get(site_id) if site_id else None,
            site_status=status or "",
            distance_km=distance,
        )
        for nct_id, score, site_id, status, distance in rows
    ]


def count_trials(db: sqlite3.Connection, where: StudyFilter, time_limit_s: float) -> int:
    """Return how many trials match `where`."""
    sql, params = study_search_sql(where, None)
    with time_limit(db, time_limit_s):
        (count,) = db.execute(f"select count(*) from (\n{sql})", params).fetchone()
    return int(count)


_FACET_SQL = {
    "overallStatus": """
        select trials.overall_status, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "phase": """
        select coalesce(trial_phases.phase, 'NONE'), count(distinct trials.nct_id)
        from trials
        left join trial_phases on trial_phases.nct_id = trials.nct_id
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "studyType": """
        select trials.study_type, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "sex": """
        select trials.sex, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "stdAge": """
        select groups.value, count(*)
        from trials
        join json_each('["CHILD", "ADULT", "OLDER_ADULT"]') as groups
            on instr(',' || trials.std_ages || ',', ',' || groups.value || ',') > 0
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "country": """
        select sites.country, count(distinct locations.nct_id)
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id in (select nct_id from hits)
            and sites.country != ''
        group by 1
        order by 2 desc, 1
        """,
}


def facet_counts(
    db: sqlite3.Connection, where: StudyFilter, time_limit_s: float
) -> dict[str, dict[str, int]]:
    """Return value → count of matching trials for status, phase, type, sex, age group, country."""
    sql, params = study_search_sql(where, None)
    if sql.startswith("with "):
        hits = sql.replace("\nselect\n", ",\nhits as (\nselect\n", 1) + ")\n"
    else:
        hits = "with hits as (\n" + sql + ")\n"
    facets: dict[str, dict[str, int]] = {}
    with time_limit(db, time_limit_s):
        for name, facet_sql in _FACET_SQL.items():
            rows = db.execute(hits + facet_sql, params).fetchall()
            facets[name] = {str(value): int(count) for value, count in rows}
    return facets


# -- sites ----------------------------------------------------------------------------------------


def search_sites(
    db: sqlite3.Connection, where: SiteFilter, limit: int, offset: int, time_limit_s: float
) -> tuple[list[tuple[Site, float | None]], int]:
    """Return one page of (site, distance km), nearest (or busiest) first, and the total."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    conditions = ["1 = 1"]
    distance = "null"
    order = "trial_count desc, sites.name asc, sites.site_id asc"
    if where.words:
        params["words"] = _words(where.words)
        conditions.append(
            """not exists (
        select 1
        from json_each(:words)
        where instr(
            lower(sites.name || ' ' || sites.city || ' ' || sites.state || ' '
                || sites.zip || ' ' || sites.country),
            json_each.value
        ) = 0
    )"""
        )
    if where.countries:
        params["countries"] = _words(where.countries)
        conditions.append("lower(sites.country) in (select value from json_each(:countries))")
    if where.geo is not None:
        params.update(_bounding_box(where.geo))
        conditions.append("sites.lat between :geo_lat_low and :geo_lat_high")
        conditions.append("sites.lon between :geo_lon_low and :geo_lon_high")
        conditions.append(f"{_SITE_DISTANCE_KM.strip()} <= :geo_radius_km")
        distance = _SITE_DISTANCE_KM.strip()
        order = "distance_km asc, trial_count desc, sites.site_id asc"
    sql = f"""
        select
            {_SITE_COLUMNS}, sites.lat, sites.lon,
            count(distinct locations.nct_id) as trial_count,
            {distance} as distance_km,
            count(*) over () as total
        from sites
        join locations on locations.site_id = sites.site_id
        where {" and ".join(conditions)}
        group by sites.site_id
        order by {order}
        limit :limit offset :offset
        """
    with time_limit(db, time_limit_s):
        rows = db.execute(sql, params).fetchall()
        total = rows[0][-1] if rows else _count_sites(db, sql, params)
    return [(Site(*row[:9]), row[9]) for row in rows], int(total)


def _count_sites(db: sqlite3.Connection, sql: str, params: dict[str, Any]) -> int:
    # A page past the end has no rows to carry the window total: count the pages' source.
    unpaged = sql.replace("limit :limit offset :offset", "")
    (count,) = db.execute(f"select count(*) from ({unpaged})", params).fetchone()
    return int(count)


def get_site(db: sqlite3.Connection, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
    """Return a site and the (nct_id, location status) of each trial held there, or None."""
    row = db.execute(
        f"""
        select
            {_SITE_COLUMNS}, sites.lat, sites.lon,
            (select count(distinct nct_id) from locations where site_id = sites.site_id)
        from sites
        where sites.site_id = :site_id
        """,
        {"site_id": site_id},
    ).fetchone()
    if row is None:
        return None
    trials = db.execute(
        """
        select nct_id, status
        from locations
        where site_id = :site_id
        group by nct_id
        order by nct_id
        """,
        {"site_id": site_id},
    ).fetchall()
    return Site(*row), [(str(n), str(s)) for n, s in trials]


def record_sizes(db: sqlite3.Connection) -> list[tuple[str, int]]:
    """Return (nct_id, bytes of the raw record as received) for every stored trial."""
    return [
        (str(nct_id), len(zlib.decompress(data)))
        for nct_id, data in db.execute("select nct_id, data from raw_records order by nct_id")
    ]
