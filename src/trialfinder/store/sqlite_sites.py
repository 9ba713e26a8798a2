"""SQLite SQL for research sites: search by words, country and distance, one site's trials.

Like `sqlite_search.py`, every function takes the open connection and binds every value.
"""

from __future__ import annotations

import sqlite3
import zlib
from typing import Any

from trialfinder.store.base import Site, SiteFilter
from trialfinder.store.sqlite_geo import SITE_DISTANCE_KM, bounding_box
from trialfinder.store.sqlite_search import SITE_COLUMNS, time_limit
from trialfinder.store.sqlite_totals import words


def search_sites(
    db: sqlite3.Connection, where: SiteFilter, limit: int, offset: int, time_limit_s: float
) -> tuple[list[tuple[Site, float | None]], int]:
    """Return one page of (site, distance km), nearest (or busiest) first, and the total."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    conditions = ["1 = 1"]
    distance = "null"
    order = "trial_count desc, sites.name asc, sites.site_id asc"
    if where.words:
        params["words"] = words(where.words)
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
        params["countries"] = words(where.countries)
        conditions.append("lower(sites.country) in (select value from json_each(:countries))")
    if where.geo is not None:
        params.update(bounding_box(where.geo))
        conditions.append("sites.lat between :geo_lat_low and :geo_lat_high")
        conditions.append("sites.lon between :geo_lon_low and :geo_lon_high")
        conditions.append(f"{SITE_DISTANCE_KM.strip()} <= :geo_radius_km")
        distance = SITE_DISTANCE_KM.strip()
        order = "distance_km asc, trial_count desc, sites.site_id asc"
    sql = f"""
        select
            {SITE_COLUMNS}, sites.lat, sites.lon,
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
            {SITE_COLUMNS}, sites.lat, sites.lon,
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
