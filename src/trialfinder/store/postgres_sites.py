"""PostgreSQL SQL for sites: the site search (words, country, distance), one site with its
trials, and raw record sizes. Split from `postgres_search.py`, whose site words, distance and
time limit it shares.
"""

from __future__ import annotations

import zlib
from typing import Any

import psycopg

from trialfinder.store.base import Site, SiteFilter
from trialfinder.store.postgres_plan import time_limit
from trialfinder.store.postgres_search import (
    SITE_COLUMNS,
    SITE_DISTANCE_KM,
    SITE_WORDS,
    geo_params,
    lower_all,
    word_conditions,
)

Connection = psycopg.Connection[Any]


def search_sites(
    conn: Connection, where: SiteFilter, limit: int, offset: int, time_limit_s: float
) -> tuple[list[tuple[Site, float | None]], int]:
    """Return one page of (site, distance km), nearest (or busiest) first, and the total."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    conditions = ["true"]
    distance = "null::double precision"
    order = "trial_count desc, sites.name asc, sites.site_id asc"
    conditions += word_conditions(params, "word", SITE_WORDS, where.words)
    if where.countries:
        params["countries"] = lower_all(where.countries)
        conditions.append("lower(sites.country) = any(%(countries)s::text[])")
    if where.geo is not None:
        params.update(geo_params(where.geo))
        conditions.append(
            "earth_box(ll_to_earth(%(geo_lat)s, %(geo_lon)s), %(geo_box_m)s) @> sites.earth"
        )
        conditions.append(f"{SITE_DISTANCE_KM.strip()} <= %(geo_radius_km)s")
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
        limit %(limit)s offset %(offset)s
        """
    with time_limit(conn, time_limit_s):
        rows = conn.execute(sql, params).fetchall()
        total = rows[0][-1] if rows else _count_sites(conn, sql, params)
    return [(Site(*row[:9]), row[9]) for row in rows], int(total)


def _count_sites(conn: Connection, sql: str, params: dict[str, Any]) -> int:
    # A page past the end has no rows to carry the window total: count the pages' source.
    unpaged = sql.replace("limit %(limit)s offset %(offset)s", "")
    row = conn.execute(
        f"select count(*) from ({unpaged}) as found",
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def get_site(conn: Connection, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
    """Return a site and the (nct_id, location status) of each trial held there, or None."""
    row = conn.execute(
        f"""
        select
            {SITE_COLUMNS}, sites.lat, sites.lon,
            (select count(distinct nct_id) from locations where site_id = sites.site_id)
        from sites
        where sites.site_id = %(site_id)s
        """,
        {"site_id": site_id},
    ).fetchone()
    if row is None:
        return None
    trials = conn.execute(
        """
        select distinct on (nct_id)
            nct_id, status
        from locations
        where site_id = %(site_id)s
        order by nct_id, position
        """,
        {"site_id": site_id},
    ).fetchall()
    return Site(*row), [(str(n), str(s)) for n, s in trials]


def record_sizes(conn: Connection) -> list[tuple[str, int]]:
    """Return (nct_id, bytes of the raw record as received) for every stored trial."""
    return [
        (str(nct_id), len(zlib.decompress(data)))
        for nct_id, data in conn.execute("select nct_id, data from raw_records order by nct_id")
    ]
