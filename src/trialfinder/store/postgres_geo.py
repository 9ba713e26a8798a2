"""PostgreSQL distance search by grid: the trials of a circle, read by area and cell, not by site.

A circle near a big city holds ~100,000 located sites at 100k studies; reading each from the
GiST index on `locations.earth` and computing its distance was most of a search with words and
a place. As in SQLite (`sqlite_geo.py`, the arithmetic shared in `geo_cells.py`), the circle is
split into whole 1° and 0.25° areas, read from `trial_areas` (each trial once per area holding
one of its sites), cells wholly inside it, and border cells; only the border cells' sites get
their distance computed. Cells are read from `locations_cell`, an index on each located site's
cell (migration 0008). Sites inside whole areas and cells are at least `geo_cells.SAFE_KM`
inside the radius, and the border check is the haversine test of `postgres_search`, so the
trials found are exactly those with a located site within the radius.

`trial_areas` is written by the store with the trial's locations, in the same transaction
(`AREA_ROWS`), and a replaced trial's rows are deleted with its locations (`DELETE_AREAS`).
"""

from __future__ import annotations

import math
from typing import Any

from trialfinder.store.base import GeoArea
from trialfinder.store.geo_cells import (
    AREA_CELLS,
    EARTH_RADIUS_KM,
    LOCATION_CELL,
    Box,
    area_sql,
    circle_areas,
)

_LOCATION_AREAS = "\n    union all\n    ".join(
    # `%` (modulo) doubled: psycopg reads a lone one as a placeholder.
    f"""select distinct {area_sql(LOCATION_CELL, side).replace("%", "%%")} as area,
        locations.nct_id as nct_id
    from locations
    where locations.nct_id = any(%(nct_ids)s::text[])
        and locations.lat is not null
        and locations.lon is not null"""
    for side in AREA_CELLS
)

AREA_ROWS = f"""
insert into trial_areas (area, nct_id)
select area, nct_id
from (
    {_LOCATION_AREAS}
) as areas
order by area, nct_id
"""
"""Add the `trial_areas` rows of the trials `%(nct_ids)s`, from their `locations` just written
(each level's ids are its own range, so the levels never repeat a row)."""

DELETE_AREAS = f"""
delete from trial_areas
where (area, nct_id) in (
    {_LOCATION_AREAS}
)
"""
"""Remove the `trial_areas` rows of the trials `%(nct_ids)s`, before their `locations` go:
the rows are found by their key, so the table needs no index by trial."""

_MARGIN_DEGREES = 1e-6
"""Degrees added around a circle's box: rounding in `covering_box` never cuts off a site."""


def covering_box(geo: GeoArea) -> Box:
    """A latitude/longitude box holding every point within the radius of the centre (the
    whole width of the map when the circle reaches a pole or crosses the date line)."""
    angle = geo.radius_km / EARTH_RADIUS_KM
    lat_delta = math.degrees(angle) * 1.0001 + _MARGIN_DEGREES
    lat_low, lat_high = max(-90.0, geo.lat - lat_delta), min(90.0, geo.lat + lat_delta)
    cos_lat = math.cos(math.radians(geo.lat))
    ratio = math.sin(min(angle, math.pi / 2)) / cos_lat if cos_lat > 0 else 2.0
    if lat_low <= -90.0 or lat_high >= 90.0 or angle >= math.pi / 2 or ratio >= 1.0:
        return Box(lat_low, lat_high, -180.0, 180.0)
    # The widest longitude offset of a circle: asin(sin(r) / cos(latitude of the centre)).
    lon_delta = math.degrees(math.asin(ratio)) * 1.0001 + _MARGIN_DEGREES
    lon_low, lon_high = geo.lon - lon_delta, geo.lon + lon_delta
    if lon_low < -180.0 or lon_high > 180.0:
        return Box(lat_low, lat_high, -180.0, 180.0)
    return Box(lat_low, lat_high, lon_low, lon_high)


def _bind_ranges(params: dict[str, Any], name: str, ranges: list[tuple[int, int]]) -> None:
    params[f"{name}_low"] = [low for low, _ in ranges]
    params[f"{name}_high"] = [high for _, high in ranges]


def circle_trials(geo: GeoArea, distance_km: str, params: dict[str, Any]) -> str:
    """SQL listing the nct_id of every trial with a located site within the circle (a trial may
    be listed more than once), binding the circle's areas and cells into `params`.

    `distance_km` is the SQL of a `locations` row's distance from the bound centre, the test
    every other place search makes; `params` must bind that centre and `geo_radius_km`.
    """
    areas, inside, border = circle_areas(geo.lat, geo.lon, geo.radius_km, covering_box(geo))
    _bind_ranges(params, "geo_areas", areas)
    _bind_ranges(params, "geo_inside", inside)
    _bind_ranges(params, "geo_border", border)
    cells = """from unnest(%({name}_low)s::integer[], %({name}_high)s::integer[])
        as cells (low, high)
    join locations
        on {cell} between cells.low and cells.high
        and locations.lat is not null
        and locations.lon is not null"""
    return f"""select trial_areas.nct_id
    from unnest(%(geo_areas_low)s::bigint[], %(geo_areas_high)s::bigint[]) as areas (low, high)
    join trial_areas on trial_areas.area between areas.low and areas.high
    union all
    select locations.nct_id
    {cells.format(name="geo_inside", cell=LOCATION_CELL)}
    union all
    select locations.nct_id
    {cells.format(name="geo_border", cell=LOCATION_CELL)}
    where {distance_km.strip()} <= %(geo_radius_km)s"""
