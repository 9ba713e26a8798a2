"""SQLite distance search: the `trial_geo` grid of located sites, and the cells a circle covers.

`trial_geo` holds every located site of every trial once, keyed by (grid cell, trial rowid,
location rowid) and carrying its exact coordinates, so a search near a place reads only the
b-tree ranges of the cells around it and no other table. A cell lies on a 0.01° grid; cells of
one latitude row have consecutive ids, so each row of a circle is at most three id ranges:
cells wholly inside the circle (their trials match without computing any distance) and the
border cells on either side (each site checked exactly, as before).

`trial_areas` lists each trial once per coarser area holding one of its sites (1° and 0.25°
areas, blocks of 100 × 100 and 25 × 25 cells), so the part of a circle that whole areas cover
yields trials, not sites; only the cells left around them are read from `trial_geo`.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trialfinder.store.base import GeoArea

CELLS_PER_DEGREE = 100
"""Grid resolution: 0.01° (1.1 km of latitude) a cell."""

ROW_STRIDE = 40_000
"""Cell id = latitude row × ROW_STRIDE + longitude column (36,001 columns)."""

EARTH_RADIUS_KM = 6371.0088

DISTANCE_KM = """
            6371.0088 * 2 * asin(min(1.0, sqrt(
                pow(sin(radians(locations.lat - :geo_lat) / 2), 2)
                + cos(radians(:geo_lat)) * cos(radians(locations.lat))
                * pow(sin(radians(locations.lon - :geo_lon) / 2), 2)
            )))"""
"""Haversine distance (km) from the bound centre (:geo_lat, :geo_lon) to a `locations` row."""

SITE_DISTANCE_KM = DISTANCE_KM.replace("locations.", "sites.")
_GEO_DISTANCE_KM = DISTANCE_KM.replace("locations.", "trial_geo.")

_CELL = """(
    cast(floor((locations.lat + 90.0) * 100.0) as integer) * 40000
    + cast(floor((locations.lon + 180.0) * 100.0) as integer)
)"""
"""The cell of a `locations` row, in SQL (the grid constants above, written out, as in
migration 0005)."""

AREA_CELLS = (100, 25)
"""Side of each coarser area level in cells, coarsest first: 1° (migration 0009) and 0.25°
(0008). Circles of ~100 miles take whole 1° areas: New York 100 mi lists 30 % fewer rows at
500k studies; smaller circles take none. (A level of 0.05° listed 1.7 rows a site and made no
search faster.)"""

_AREA_LEVEL_BASE = 1_000_000_000
"""Area id = cells per side × this + area row × ROW_STRIDE + area column: each level's own
range of ids, above every cell id (< 7.3e8)."""


def _area(cell: str, side: int) -> str:
    """SQL: the area id, at `side` cells per side, of the cell id that `cell` computes."""
    base = side * _AREA_LEVEL_BASE
    row = f"({cell}) / {ROW_STRIDE} / {side}"
    return f"{base} + {row} * {ROW_STRIDE} + ({cell}) % {ROW_STRIDE} / {side}"


_SAFE_KM = 0.001
"""A cell counts as inside only when its farthest corner is this much nearer than the radius,
so rounding in the distance formula can never turn an inside site into an outside one."""

_EDGE = 1e-7
"""Degrees added around a cell's bounds: `floor` of a rounded product may put a site that lies
exactly on a grid line into the neighbouring cell."""


def insert_trial_sites(db: sqlite3.Connection, trials: Sequence[tuple[object, object]]) -> None:
    """Add the located sites of these (trial rowid, nct_id) trials, after their `locations`."""
    db.executemany(
        f"""
        insert into trial_geo (cell, trial_rowid, location_rowid, lat, lon)
        select {_CELL}, ?, locations.rowid, locations.lat, locations.lon
        from locations
        where locations.nct_id = ?
            and locations.lat is not null
            and locations.lon is not null
        """,
        trials,
    )
    # One row per (area, trial): `or ignore` merges the trial's sites of one area.
    areas = "\n        union\n        ".join(
        f"""select {_area(_CELL, side)}, ?
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
        f"""select {_area(_CELL, side)}
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
            select {_CELL}, ?2, locations.rowid
            from locations
            where locations.nct_id = ?1
                and locations.lat is not null
                and locations.lon is not null
        )
        """,
        trials,
    )


# -- the cells of a circle --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    """Latitude/longitude bounds (inclusive) that a matching site must lie within."""

    lat_low: float
    lat_high: float
    lon_low: float
    lon_high: float


def _row(lat: float, per_degree: int = CELLS_PER_DEGREE) -> int:
    return math.floor((lat + 90.0) * per_degree)


def _column(lon: float, per_degree: int = CELLS_PER_DEGREE) -> int:
    return math.floor((lon + 180.0) * per_degree)


def _max_lon_offset(center_lat: float, lat: float, radius_km: float) -> float:
    """Largest |longitude offset| (degrees) at latitude `lat` still within `radius_km` of the
    centre's latitude line (haversine solved for the longitude), or -1 when none is."""
    hav_radius = math.sin(radius_km / EARTH_RADIUS_KM / 2) ** 2
    hav_lat = math.sin(math.radians(lat - center_lat) / 2) ** 2
    scale = math.cos(math.radians(center_lat)) * math.cos(math.radians(lat))
    if scale <= 0 or hav_radius < hav_lat:
        return -1.0
    ratio = (hav_radius - hav_lat) / scale
    return 180.0 if ratio >= 1 else math.degrees(2 * math.asin(math.sqrt(ratio)))


def circle_cells(
    lat: float, lon: float, radius_km: float, box: Box, per_degree: int = CELLS_PER_DEGREE
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(inside, border) cell id ranges covering `box`: every site of an inside cell lies in the
    box and within `radius_km` of (lat, lon); a border cell's sites need the exact check.

    Cells are `per_degree` to a degree (ids row × ROW_STRIDE + column at that size). Boxes that
    wrap around the date line are passed whole (-180..180): then every cell is border.
    """
    inside: list[tuple[int, int]] = []
    border: list[tuple[int, int]] = []
    first_column = _column(box.lon_low - _EDGE, per_degree)
    last_column = _column(box.lon_high + _EDGE, per_degree)
    whole_world = box.lon_high - box.lon_low >= 360.0
    rows = range(_row(box.lat_low - _EDGE, per_degree), _row(box.lat_high + _EDGE, per_degree) + 1)
    for row in rows:
        base = row * ROW_STRIDE
        south = row / per_degree - 90.0 - _EDGE
        north = (row + 1) / per_degree - 90.0 + _EDGE
        reach = -1.0
        if not whole_world and south >= box.lat_low and north <= box.lat_high:
            reach = min(
                _max_lon_offset(lat, south, radius_km - _SAFE_KM),
                _max_lon_offset(lat, north, radius_km - _SAFE_KM),
            )
        if reach < 0 or reach >= 180.0:
            border.append((base + first_column, base + last_column))
            continue
        # Columns whose whole cell (grown by _EDGE) lies within lon ± reach and the box.
        west = max(lon - reach, box.lon_low)
        east = min(lon + reach, box.lon_high)
        in_first = math.ceil((west + _EDGE + 180.0) * per_degree)
        in_last = math.floor((east - _EDGE + 180.0) * per_degree) - 1
        in_first, in_last = max(in_first, first_column), min(in_last, last_column)
        if in_first > in_last:
            border.append((base + first_column, base + last_column))
            continue
        inside.append((base + in_first, base + in_last))
        if first_column < in_first:
            border.append((base + first_column, base + in_first - 1))
        if in_last < last_column:
            border.append((base + in_last + 1, base + last_column))
    return inside, border


def _without(
    ranges: list[tuple[int, int]], taken: dict[int, list[tuple[int, int]]], side: int
) -> list[tuple[int, int]]:
    """`ranges` (ids of one row each) less the columns `taken` by row, where `taken` is in
    units of `side` cells (row and columns at the coarser size)."""
    left: list[tuple[int, int]] = []
    for first, last in ranges:
        row, first_column = divmod(first, ROW_STRIDE)
        last_column = last - row * ROW_STRIDE
        for taken_first, taken_last in sorted(taken.get(row // side, [])):
            low, high = taken_first * side, taken_last * side + side - 1
            if high < first_column or low > last_column:
                continue
            if first_column < low:
                left.append((row * ROW_STRIDE + first_column, row * ROW_STRIDE + low - 1))
            first_column = high + 1
            if first_column > last_column:
                break
        if first_column <= last_column:
            left.append((row * ROW_STRIDE + first_column, row * ROW_STRIDE + last_column))
    return left


def _by_row(ranges: list[tuple[int, int]]) -> dict[int, list[tuple[int, int]]]:
    by_row: dict[int, list[tuple[int, int]]] = {}
    for first, last in ranges:
        row, column = divmod(first, ROW_STRIDE)
        by_row.setdefault(row, []).append((column, last - row * ROW_STRIDE))
    return by_row


def circle_areas(
    lat: float, lon: float, radius_km: float, box: Box
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """(areas, inside, border): `trial_areas` id ranges of the areas wholly inside the circle
    and the box (coarsest first, each level without the parts coarser areas cover), then the
    `circle_cells` ranges of the cells no such area covers."""
    areas: list[tuple[int, int]] = []
    # Per taken area level: (side in cells, its ranges by row at that size).
    taken: list[tuple[int, dict[int, list[tuple[int, int]]]]] = []
    for side in AREA_CELLS:
        whole, _ = circle_cells(lat, lon, radius_km, box, CELLS_PER_DEGREE // side)
        for coarser_side, coarser in taken:
            whole = _without(whole, coarser, coarser_side // side)
        base = side * _AREA_LEVEL_BASE
        areas += [(base + first, base + last) for first, last in whole]
        taken.append((side, _by_row(whole)))
    inside, border = circle_cells(lat, lon, radius_km, box)
    for side, whole_by_row in taken:
        inside = _without(inside, whole_by_row, side)
        border = _without(border, whole_by_row, side)
    return areas, inside, border


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
