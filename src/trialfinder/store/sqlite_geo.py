"""SQLite distance search: the `trial_geo` grid of located sites, and the cells a circle covers.

`trial_geo` holds every located site of every trial once, keyed by (grid cell, trial rowid,
location rowid) and carrying its exact coordinates, so a search near a place reads only the
b-tree ranges of the cells around it and no other table. A cell lies on a 0.01° grid; cells of
one latitude row have consecutive ids, so each row of a circle is at most three id ranges:
cells wholly inside the circle (their trials match without computing any distance) and the
border cells on either side (each site checked exactly, as before).

`trial_areas` lists each trial once per coarser area holding one of its sites (1° and 0.25°
areas, blocks of 100 × 100 and 25 × 25 cells), so the part of a circle that whole areas cover
yields trials, not sites; only the cells left around them are read from `trial_geo`. The grid
arithmetic (cell and area ids, the cells and areas of a circle) is `geo_cells.py`, shared with
the PostgreSQL store.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from trialfinder.store.base import GeoArea
from trialfinder.store.geo_cells import AREA_CELLS as AREA_CELLS
from trialfinder.store.geo_cells import EARTH_RADIUS_KM, LOCATION_CELL, Box, area_sql
from trialfinder.store.geo_cells import ROW_STRIDE as ROW_STRIDE
from trialfinder.store.geo_cells import circle_areas as circle_areas
from trialfinder.store.geo_cells import circle_cells as circle_cells

DISTANCE_KM = """
            6371.0088 * 2 * asin(min(1.0, sqrt(
                pow(sin(radians(locations.lat - :geo_lat) / 2), 2)
                + cos(radians(:geo_lat)) * cos(radians(locations.lat))
                * pow(sin(radians(locations.lon - :geo_lon) / 2), 2)
            )))"""
"""Haversine distance (km) from the bound centre (:geo_lat, :geo_lon) to a `locations` row."""

SITE_DISTANCE_KM = DISTANCE_KM.replace("locations.", "sites.")
_GEO_DISTANCE_KM = DISTANCE_KM.replace("locations.", "trial_geo.")


def insert_trial_sites(db: sqlite3.Connection, trials: Sequence[tuple[object, object]]) -> None:
    """Add the located sites of these (trial rowid, nct_id) trials, after their `locations`."""
    db.executemany(
        f"""
        insert into trial_geo (cell, trial_rowid, location_rowid, lat, lon)
        select {LOCATION_CELL}, ?, locations.rowid, locations.lat, locations.lon
        from locations
        where locations.nct_id = ?
            and locations.lat is not null
            and locations.lon is not null
        """,
        trials,
    )
    # One row per (area, trial): `or ignore` merges the trial's sites of one area.
    areas = "\n        union\n        ".join(
        f"""select {area_sql(LOCATION_CELL, side)}, ?
        from locations
        where locations.nct_id = ?
            and locations.lat is not null
            and locations.lon is not null"""
        for side in AREA_CELLS
    )
    db.executemany(
        f"""
        insert or ignore into trial_areas (area, trial_rowid)
        {areas}
        """,
        [(rowid, nct_id) * len(AREA_CELLS) for rowid, nct_id in trials],
    )


def delete_trial_sites(db: sqlite3.Connection, trials: list[tuple[str, int]]) -> None:
    """Remove the sites of these (nct_id, trial rowid) trials, before their `locations` go."""
    areas = "\n            union\n            ".join(
        f"""select {area_sql(LOCATION_CELL, side)}
            from locations
            where locations.nct_id = ?1
                and locations.lat is not null
                and locations.lon is not null"""
        for side in AREA_CELLS
    )
    db.executemany(
        f"""
        delete from trial_areas
        where trial_rowid = ?2
            and area in (
            {areas}
        )
        """,
        trials,
    )
    db.executemany(
        f"""
        delete from trial_geo
        where (cell, trial_rowid, location_rowid) in (
            select {LOCATION_CELL}, ?2, locations.rowid
            from locations
            where locations.nct_id = ?1
                and locations.lat is not null
                and locations.lon is not null
        )
        """,
        trials,
    )


# -- the SQL of a search near a place ---------------------------------------------------------


def bounding_box(geo: GeoArea) -> dict[str, float]:
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


def geo_box(geo: GeoArea, params: dict[str, Any]) -> Box:
    """Bind the circle and its bounding box; return the box."""
    params.update(bounding_box(geo))
    return Box(
        params["geo_lat_low"], params["geo_lat_high"], params["geo_lon_low"], params["geo_lon_high"]
    )


def _near_box(geo: GeoArea, near_km: float, box: Box) -> Box:
    """A box holding every point within `near_km` of the centre, cut to `box`."""
    lat_delta = near_km / 111.0 + 0.01
    ratio = math.sin(near_km / EARTH_RADIUS_KM) / max(math.cos(math.radians(geo.lat)), 1e-9)
    # asin(x) <= 1.1 x while x <= 0.5: beyond, or across the date line, take the whole width
    # of `box`.
    lon_delta = 360.0 if ratio > 0.5 else 1.1 * math.degrees(ratio) + 0.01
    west, east = geo.lon - lon_delta, geo.lon + lon_delta
    if west < -180.0 or east > 180.0:
        west, east = box.lon_low, box.lon_high
    return Box(
        max(box.lat_low, geo.lat - lat_delta),
        min(box.lat_high, geo.lat + lat_delta),
        max(box.lon_low, west),
        min(box.lon_high, east),
    )


_IN_BOX = """trial_geo.lat between :geo_lat_low and :geo_lat_high
        and trial_geo.lon between :geo_lon_low and :geo_lon_high"""


def geo_ctes(
    geo: GeoArea, site_conditions: list[str], params: dict[str, Any], near_km: float | None
) -> list[str]:
    """Without `near_km`: `geo_hits`, the trial rowid of every site in the circle (and the
    box): once per area the circle takes whole (none with `site_conditions`), and once per
    site in the cells left. With it: `nearest`, each trial's nearest such site within
    `near_km` of the centre (with its `locations` rowid and distance), for sorting by distance.
    A site counts only when it meets every one of `site_conditions` (SQL on `sites`).
    """
    box = geo_box(geo, params)
    joins = ""
    if site_conditions:
        joins = """
    join locations on locations.rowid = trial_geo.location_rowid
    join sites on sites.site_id = locations.site_id"""
    checks = "".join("\n        and " + c for c in site_conditions)
    cells = """from json_each(:{name}) as cells
    join trial_geo on trial_geo.cell between cells.value ->> 0 and cells.value ->> 1"""
    if near_km is None:
        if site_conditions:
            # Every site is checked against the site conditions: no cell is taken whole.
            inside, border = circle_cells(geo.lat, geo.lon, geo.radius_km, box)
            areas: list[tuple[int, int]] = []
            border, inside = sorted(inside + border), []
        else:
            areas, inside, border = circle_areas(geo.lat, geo.lon, geo.radius_km, box)
        params["geo_areas"] = json.dumps(areas)
        params["geo_inside"] = json.dumps(inside)
        params["geo_border"] = json.dumps(border)
        # Not materialized: every statement reads `geo_hits` once, and a statement that is
        # itself a compound (the facets) would otherwise copy all its rows into a temporary
        # table first (lung cancer near Boston 100 mi: 181 k rows, 20 ms).
        return [
            f"""geo_hits as not materialized (
    select
        trial_areas.trial_rowid as trial_rowid
    from json_each(:geo_areas) as areas
    join trial_areas on trial_areas.area between areas.value ->> 0 and areas.value ->> 1
    union all
    select
        trial_geo.trial_rowid
    {cells.format(name="geo_inside")}
    union all
    select
        trial_geo.trial_rowid
    {cells.format(name="geo_border")}{joins}
    where {_IN_BOX}
        and {_GEO_DISTANCE_KM.strip()} <= :geo_radius_km{checks}
)"""
        ]
    inside, border = circle_cells(geo.lat, geo.lon, near_km, _near_box(geo, near_km, box))
    params["geo_near_km"] = near_km
    params["geo_cells"] = json.dumps(sorted(inside + border))
    return [
        f"""site_hits as (
    select
        trial_geo.trial_rowid as trial_rowid,
        trial_geo.location_rowid as location_id,
        {_GEO_DISTANCE_KM.strip()} as distance_km
    {cells.format(name="geo_cells")}{joins}
    where {_IN_BOX}{checks}
)""",
        # Of equally near sites, the first stored (lowest rowid) is the trial's nearest.
        """nearest as materialized (
    select
        trial_rowid,
        location_id,
        distance_km
    from (
        select
            trial_rowid,
            location_id,
            distance_km,
            row_number() over (
                partition by trial_rowid
                order by distance_km, location_id
            ) as place
        from site_hits
        where distance_km <= :geo_radius_km
            and distance_km <= :geo_near_km
    )
    where place = 1
)""",
    ]


def nearest_locations(
    db: sqlite3.Connection,
    geo: GeoArea,
    site_conditions: list[str],
    params: dict[str, Any],
    nct_ids: list[str],
) -> list[tuple[int | None, float | None]]:
    """(`locations` rowid, distance km) of each trial's nearest site in the circle (and the
    box, meeting `site_conditions`, whose values `params` binds); of equally near sites, the
    first stored."""
    params = dict(params)
    geo_box(geo, params)
    joins = "join sites on sites.site_id = locations.site_id" if site_conditions else ""
    checks = "".join(" and " + c for c in site_conditions)
    sql = f"""
        select
            locations.rowid,
            {DISTANCE_KM.strip()} as distance_km
        from locations
        {joins}
        where locations.nct_id = :nct_id
            and locations.lat between :geo_lat_low and :geo_lat_high
            and locations.lon between :geo_lon_low and :geo_lon_high
            and distance_km <= :geo_radius_km{checks}
        order by distance_km, locations.rowid
        limit 1
        """
    found: list[tuple[int | None, float | None]] = []
    for nct_id in nct_ids:
        row = db.execute(sql, {**params, "nct_id": nct_id}).fetchone()
        found.append((row[0], row[1]) if row else (None, None))
    return found
