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

Each trial row also lists its 1° areas (`trials.place_areas`, migration 0010, written with the
row: `PLACE_AREAS`) under a GIN index. `near_areas` gives the 1° areas a circle's box touches: a
trial with none of them has no site in the circle, so a search with words and a place lets the
index cut the words' hits to the trials around the place before it reads any of their rows (a
phrase or a column needs the row's document to be checked), as SQLite's text index is cut by
its circle before it reads a row. The circle itself still decides which trials match: its rows
are probed with those hits (`probed_circle`), not de-duplicated first.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from trialfinder.store.base import GeoArea
from trialfinder.store.geo_cells import (
    AREA_CELLS,
    AREA_LEVEL_BASE,
    CELLS_PER_DEGREE,
    EARTH_RADIUS_KM,
    EDGE,
    LOCATION_CELL,
    REMEMBERED_CIRCLES,
    ROW_STRIDE,
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
where ctid = any(array(
    select (
        select stored.ctid
        from trial_areas as stored
        where stored.area = keys.area and stored.nct_id = keys.nct_id
    )
    from (
    {_LOCATION_AREAS}
    ) as keys
))
"""
"""Remove the `trial_areas` rows of the trials `%(nct_ids)s`, before their `locations` go:
the rows are found by their key, so the table needs no index by trial. Each key is looked up
on its own (a subquery per key, which the planner cannot turn into a join) and the rows found
are deleted by their position: a join of the keys would be planned from the estimated count of
the trials' sites, which overshoots when most trials have one site and a few hundreds (about ten
times for the bench's 500 replicated trials at 100k studies) and then hashes a scan of the
whole table."""

NEAR_AREA_SIDE = AREA_CELLS[0]
"""Side, in cells, of the areas `trials.place_areas` lists: 1°. Around a circle of 25–100 miles
the trials with a site in its touching 1° areas are 1.0–1.3 times those in the circle at 600k
studies (0.25° areas cut no better and would list twice as many ids)."""

MAX_NEAR_AREAS = 100
"""Past this many touching areas (circles over ~300 miles, or a box the whole width of the map)
the areas cut little and cost a long index lookup: the search goes without them."""

PLACE_AREAS = f"""(
    select array_agg(distinct {area_sql(LOCATION_CELL, NEAR_AREA_SIDE)})
    from unnest(staged_trials.site_lats, staged_trials.site_lons) as locations (lat, lon)
)"""
"""`trials.place_areas` of a staged trial, from the coordinates of its located sites: the same
ids as its 1° `trial_areas` rows (sorted, null when no site is located)."""

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


def near_areas(geo: GeoArea) -> list[int] | None:
    """The ids of the 1° areas that the circle's box touches (as `trials.place_areas` lists
    them), or None past `MAX_NEAR_AREAS`. A site within the radius lies in the box, and its
    cell's row and column are computed as `geo_cells.LOCATION_CELL` computes them, in the same
    floating-point steps, so its area is one of these."""
    box = covering_box(geo)
    if box.lon_high - box.lon_low >= 360.0:
        return None
    rows = range(_cell_index(box.lat_low - EDGE, 90.0), _cell_index(box.lat_high + EDGE, 90.0) + 1)
    columns = range(
        _cell_index(box.lon_low - EDGE, 180.0), _cell_index(box.lon_high + EDGE, 180.0) + 1
    )
    side = NEAR_AREA_SIDE
    area_rows = range(rows.start // side, (rows.stop - 1) // side + 1)
    area_columns = range(columns.start // side, (columns.stop - 1) // side + 1)
    if len(area_rows) * len(area_columns) > MAX_NEAR_AREAS:
        return None
    base = side * AREA_LEVEL_BASE
    return [base + row * ROW_STRIDE + column for row in area_rows for column in area_columns]


def near_areas_condition(geo: GeoArea, params: dict[str, Any]) -> list[str]:
    """The trial lists one of the 1° areas around the circle (`near_areas`): a test that the
    GIN index on `trials.place_areas` answers beside the words' index, so the words' hits are
    cut to the trials around the place before their rows are read (none for a very large
    circle).

    The circle's areas are written first: a row the bitmaps find is checked again with the
    test as written (the words' test asks for it), and PostgreSQL's overlap test walks its
    left array, comparing each element with the right one's until one is found. With the
    ~20 areas on the left and the trial's on the right (151 on average for "lung cancer"
    hits near Boston at 100k studies), 2.6k hits took 18 ms against 28 ms.
    """
    areas = near_areas(geo)
    if areas is None:
        return []
    params["geo_near_areas"] = areas
    return ["%(geo_near_areas)s::bigint[] && trials.place_areas"]


WHOLE_AREA_FLAG = "in_whole_area"
"""The `word_hits` column (`probed_circle`) saying the hit lists a 1° area wholly inside the
circle (`circle_trials`' `geo_whole_areas`)."""


def probed_circle(
    sources: list[str],
    conditions: list[str],
    circle: str,
    columns: str,
    *,
    whole_areas: bool = False,
) -> list[str]:
    """Common table expressions `word_hits` and `found` of a search with words and a place.

    `word_hits`: `columns` (among them `nct_id`) of the trials (from `sources`) that meet
    `conditions`, every filter but the place; `found`: the nct_ids, as one array, of the word
    hits that the circle lists (`circle`: SQL listing a trial once per area or site). The
    circle's rows are probed with the hits (a hash of a few thousand ids), so a dense circle is
    not de-duplicated first (New York 100 mi lists 296k rows, 109k trials, at 600k studies);
    the search then keeps the found hits, or reads only the found trials' rows, by key
    (`trials.nct_id = any(found)`).

    With `whole_areas` (`circle` made without the 1° areas wholly inside the circle, their
    ids bound as `geo_whole_areas`) `word_hits` also carries `WHOLE_AREA_FLAG`, whether the
    hit's `place_areas` lists one of them: such a hit has a site inside the circle, and is
    found from its row, not from those areas' `trial_areas` rows (New York 100 mi: 23.7k of
    its 49k rows at 100k studies). The areas are written first, as in `near_areas_condition`.
    """
    source = ",\n".join(sources).replace("\n", "\n    ")
    where = "\n        and ".join(conditions)
    circle_rows = circle.replace("\n", "\n        ")
    flag = (
        f",\n    %(geo_whole_areas)s::bigint[] && trials.place_areas as {WHOLE_AREA_FLAG}"
        if whole_areas
        else ""
    )
    whole_hits = (
        "\n        union\n        select word_hits.nct_id from word_hits"
        f" where word_hits.{WHOLE_AREA_FLAG}"
        if whole_areas
        else ""
    )
    return [
        f"""word_hits as materialized (
    select {columns.replace(chr(10), chr(10) + "    ")}{flag}
    from {source}
    where {where}
)""",
        f"""found as materialized (
    select array(
        select distinct circle.nct_id
        from (
            {circle_rows}
        ) as circle (nct_id)
        join word_hits on word_hits.nct_id = circle.nct_id{whole_hits}
    ) as nct_ids
)""",
    ]


def _cell_index(degrees: float, offset: float) -> int:
    """The grid row (offset 90) or column (offset 180) of a coordinate."""
    return max(0, math.floor((degrees + offset) * CELLS_PER_DEGREE))


def int_array_literal(values: list[int]) -> str:
    """The text form of an integer array (`{1,2,3}`), bound in place of the list: psycopg
    dumps a list in Python element by element, 0.35–1.4 ms of client CPU a search for the
    few hundred cell ranges of a 25–100 mile circle, against ~0.02 ms this way (the SQL
    casts it, `::integer[]`)."""
    return "{" + ",".join(map(str, values)) + "}"


def _bind_ranges(params: dict[str, Any], name: str, ranges: list[tuple[int, int]]) -> None:
    params[f"{name}_low"] = int_array_literal([low for low, _ in ranges])
    params[f"{name}_high"] = int_array_literal([high for _, high in ranges])


_NO_CELLS = (0, -1)
"""An empty cell id range (`between 0 and -1` holds no cell): a span with no inside cells."""


def cell_spans(
    inside: list[tuple[int, int]], border: list[tuple[int, int]]
) -> list[tuple[int, int, int, int]]:
    """The circle's inside and border cell ranges (`circle_areas`) joined where they touch:
    (low, high, inside low, inside high), each span holding at most one inside range.

    Each range costs a descent of the `locations_cell` index (~4 µs and ~6 pages in EXPLAIN
    ANALYZE), and a row of the circle is a border range, its inside range and another border
    range (the inside one cut in two where whole areas take its middle): a 100-mile circle's
    ~1,100 ranges become ~550 spans, a 25-mile one's ~240 about 100. A span's inside cells
    are known by their id, so their sites still go unmeasured. Ids of two rows never touch
    (a row's columns end 3,999 ids short of the next row's).
    """
    ranges = sorted(
        [(low, high, True) for low, high in inside] + [(low, high, False) for low, high in border]
    )
    spans: list[tuple[int, int, int, int]] = []
    for low, high, is_inside in ranges:
        if spans and low == spans[-1][1] + 1:
            span_low, _, inside_low, inside_high = spans[-1]
            if not is_inside:
                spans[-1] = (span_low, high, inside_low, inside_high)
                continue
            if inside_low > inside_high:
                spans[-1] = (span_low, high, low, high)
                continue
        spans.append((low, high, low, high) if is_inside else (low, high, *_NO_CELLS))
    return spans


@functools.lru_cache(maxsize=REMEMBERED_CIRCLES)
def _bound_cell_spans(lat: float, lon: float, radius_km: float, box: Box) -> dict[str, str]:
    """The circle's `cell_spans`, bound as `geo_cells_low`, `_high`, `_inside_low` and
    `_inside_high` (array literals), remembered as `circle_areas` is: joining a 100-mile
    circle's ranges and binding them costs ~0.45 ms of client CPU, ~0.001 remembered."""
    _, inside, border = circle_areas(lat, lon, radius_km, box)
    spans = cell_spans(inside, border)
    return {
        f"geo_cells{part}": int_array_literal([span[i] for span in spans])
        for i, part in enumerate(("_low", "_high", "_inside_low", "_inside_high"))
    }


def _split_near_areas(areas: list[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]]]:
    """(ids, other ranges): the ids of the 1° areas (`NEAR_AREA_SIDE`, as `trials.place_areas`
    lists them) among a circle's whole-area ranges, and the ranges of the other levels."""
    base = NEAR_AREA_SIDE * AREA_LEVEL_BASE
    near = [area for low, high in areas if low >= base for area in range(low, high + 1)]
    return near, [(low, high) for low, high in areas if low < base]


def circle_trials(
    geo: GeoArea, distance_km: str, params: dict[str, Any], *, whole_areas_apart: bool = False
) -> str:
    """SQL listing the nct_id of every trial with a located site within the circle (a trial may
    be listed more than once), binding the circle's areas and cells into `params`.

    `distance_km` is the SQL of a `locations` row's distance from the bound centre, the test
    every other place search makes; `params` must bind that centre and `geo_radius_km`.

    With `whole_areas_apart` the 1° areas wholly inside the circle are left out of the SQL and
    bound as `geo_whole_areas` (a list of ids, maybe empty): the caller finds their trials from
    `place_areas` (`probed_circle`).
    """
    box = covering_box(geo)
    areas, _, _ = circle_areas(geo.lat, geo.lon, geo.radius_km, box)
    if whole_areas_apart:
        params["geo_whole_areas"], areas = _split_near_areas(areas)
    _bind_ranges(params, "geo_areas", areas)
    params.update(_bound_cell_spans(geo.lat, geo.lon, geo.radius_km, box))
    # A site of an inside cell is in the circle without its distance (`cell_spans`).
    return f"""select trial_areas.nct_id
    from unnest(%(geo_areas_low)s::bigint[], %(geo_areas_high)s::bigint[]) as areas (low, high)
    join trial_areas on trial_areas.area between areas.low and areas.high
    union all
    select locations.nct_id
    from unnest(
        %(geo_cells_low)s::integer[],
        %(geo_cells_high)s::integer[],
        %(geo_cells_inside_low)s::integer[],
        %(geo_cells_inside_high)s::integer[]
    ) as cells (low, high, inside_low, inside_high)
    join locations
        on {LOCATION_CELL} between cells.low and cells.high
        and locations.lat is not null
        and locations.lon is not null
    where {LOCATION_CELL} between cells.inside_low and cells.inside_high
        or {distance_km.strip()} <= %(geo_radius_km)s"""
