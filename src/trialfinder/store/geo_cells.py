"""The grid of a distance search, shared by both stores: cells, coarser areas, and the cells and
areas a circle covers.

A cell lies on a 0.01° grid; cells of one latitude row have consecutive ids (row × ROW_STRIDE +
column), so each row of a circle is at most three id ranges: cells wholly inside the circle
(their sites match without computing any distance) and the border cells on either side (each
site checked exactly). Coarser areas (1° and 0.25°, blocks of 100 × 100 and 25 × 25 cells) list
each trial once per area holding one of its sites, so the part of a circle that whole areas cover
yields trials, not sites. SQLite keeps them in `trial_geo`/`trial_areas` (`sqlite_geo.py`),
PostgreSQL in an index on the cell of `locations` and `trial_areas` (`postgres_geo.py`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

CELLS_PER_DEGREE = 100
"""Grid resolution: 0.01° (1.1 km of latitude) a cell."""

ROW_STRIDE = 40_000
"""Cell id = latitude row × ROW_STRIDE + longitude column (36,001 columns)."""

EARTH_RADIUS_KM = 6371.0088

LOCATION_CELL = """(
    cast(floor((locations.lat + 90.0) * 100.0) as integer) * 40000
    + cast(floor((locations.lon + 180.0) * 100.0) as integer)
)"""
"""The cell of a `locations` row, in SQL that both engines read alike (the grid constants above,
written out, as in SQLite's migration 0005 and PostgreSQL's 0008)."""

AREA_CELLS = (100, 25)
"""Side of each coarser area level in cells, coarsest first: 1° (SQLite migration 0009) and
0.25° (SQLite 0008; PostgreSQL's 0008 makes both). Circles of ~100 miles take whole 1° areas:
New York 100 mi lists 30 % fewer rows at 500k studies; smaller circles take none. (A level of
0.05° listed 1.7 rows a site and made no search faster.)"""

AREA_LEVEL_BASE = 1_000_000_000
"""Area id = cells per side × this + area row × ROW_STRIDE + area column: each level's own
range of ids, above every cell id (< 7.3e8)."""


def area_sql(cell: str, side: int) -> str:
    """SQL: the area id, at `side` cells per side, of the cell id that `cell` computes."""
    base = side * AREA_LEVEL_BASE
    row = f"({cell}) / {ROW_STRIDE} / {side}"
    return f"{base} + {row} * {ROW_STRIDE} + ({cell}) % {ROW_STRIDE} / {side}"


SAFE_KM = 0.001
"""A cell counts as inside only when its farthest corner is this much nearer than the radius,
so rounding in the distance formula can never turn an inside site into an outside one."""

EDGE = 1e-7
"""Degrees added around a cell's bounds: `floor` of a rounded product may put a site that lies
exactly on a grid line into the neighbouring cell."""


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


def _lon_reach(center_lat: float, radius_km: float) -> Callable[[float], float]:
    """The largest |longitude offset| (degrees) at a latitude still within `radius_km` of the
    centre's latitude line (haversine solved for the longitude), or -1 when none is: a function
    of the latitude, with the circle's own terms computed once for all its rows."""
    hav_radius = math.sin(radius_km / EARTH_RADIUS_KM / 2) ** 2
    cos_center = math.cos(math.radians(center_lat))

    def reach(lat: float) -> float:
        hav_lat = math.sin(math.radians(lat - center_lat) / 2) ** 2
        scale = cos_center * math.cos(math.radians(lat))
        if scale <= 0 or hav_radius < hav_lat:
            return -1.0
        ratio = (hav_radius - hav_lat) / scale
        return 180.0 if ratio >= 1 else math.degrees(2 * math.asin(math.sqrt(ratio)))

    return reach


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
    lat_low, lat_high, lon_low, lon_high = box.lat_low, box.lat_high, box.lon_low, box.lon_high
    first_column = _column(lon_low - EDGE, per_degree)
    last_column = _column(lon_high + EDGE, per_degree)
    whole_world = lon_high - lon_low >= 360.0
    reach_at = _lon_reach(lat, radius_km - SAFE_KM)
    rows = range(_row(lat_low - EDGE, per_degree), _row(lat_high + EDGE, per_degree) + 1)
    for row in rows:
        base = row * ROW_STRIDE
        south = row / per_degree - 90.0 - EDGE
        north = (row + 1) / per_degree - 90.0 + EDGE
        if whole_world or south < lat_low or north > lat_high:
            border.append((base + first_column, base + last_column))
            continue
        reach, north_reach = reach_at(south), reach_at(north)
        if north_reach < reach:
            reach = north_reach
        if reach < 0 or reach >= 180.0:
            border.append((base + first_column, base + last_column))
            continue
        # Columns whose whole cell (grown by EDGE) lies within lon ± reach and the box.
        west = lon - reach if lon - reach > lon_low else lon_low
        east = lon + reach if lon + reach < lon_high else lon_high
        in_first = math.ceil((west + EDGE + 180.0) * per_degree)
        in_last = math.floor((east - EDGE + 180.0) * per_degree) - 1
        if in_first < first_column:
            in_first = first_column
        if in_last > last_column:
            in_last = last_column
        if in_first > in_last:
            border.append((base + first_column, base + last_column))
            continue
        inside.append((base + in_first, base + in_last))
        if first_column < in_first:
            border.append((base + first_column, base + in_first - 1))
        if in_last < last_column:
            border.append((base + in_last + 1, base + last_column))
    return inside, border


_TakenColumns = dict[int, list[tuple[int, int]]]
"""Cell columns (first, last), sorted, that whole areas take, by row of the finest area level
(`AREA_CELLS[-1]` cells a side)."""


def _without(
    ranges: list[tuple[int, int]], taken: _TakenColumns, side: int
) -> list[tuple[int, int]]:
    """`ranges` (ids of one row each, at `side` cells an id) less the cell columns `taken`
    (whose bounds fall on `side`'s grid: areas of `side` or coarser)."""
    key_side = AREA_CELLS[-1]
    left: list[tuple[int, int]] = []
    for first, last in ranges:
        row, first_column = divmod(first, ROW_STRIDE)
        spans = taken.get(row * side // key_side)
        if not spans:
            left.append((first, last))
            continue
        base = row * ROW_STRIDE
        last_column = last - base
        for low, high in spans:
            low, high = low // side, (high + 1) // side - 1
            if high < first_column or low > last_column:
                continue
            if first_column < low:
                left.append((base + first_column, base + low - 1))
            first_column = high + 1
            if first_column > last_column:
                break
        if first_column <= last_column:
            left.append((base + first_column, base + last_column))
    return left


def _take(taken: _TakenColumns, ranges: list[tuple[int, int]], side: int) -> None:
    """Add to `taken` the cell columns of the areas `ranges` (ids at `side` cells an area)."""
    key_side = AREA_CELLS[-1]
    for first, last in ranges:
        row, column = divmod(first, ROW_STRIDE)
        span = (column * side, (last - row * ROW_STRIDE) * side + side - 1)
        for key in range(row * side // key_side, (row + 1) * side // key_side):
            taken.setdefault(key, []).append(span)


def circle_areas(
    lat: float, lon: float, radius_km: float, box: Box
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """(areas, inside, border): `trial_areas` id ranges of the areas wholly inside the circle
    and the box (coarsest first, each level without the parts coarser areas cover), then the
    `circle_cells` ranges of the cells no such area covers.

    The last `REMEMBERED_CIRCLES` answers are remembered: a search's page, count and facets
    ask for the same circle. Each caller gets lists of its own."""
    areas, inside, border = _remembered_circle_areas(lat, lon, radius_km, box)
    return list(areas), list(inside), list(border)


REMEMBERED_CIRCLES = 16
"""Circles whose `circle_areas` answer is kept: a 100-mile circle's is ~1,100 ranges (135 kB),
one reaching a pole a few thousand, the whole globe's 18,002 (2.2 MB)."""


@functools.lru_cache(maxsize=REMEMBERED_CIRCLES)
def _remembered_circle_areas(
    lat: float, lon: float, radius_km: float, box: Box
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """`circle_areas`, computed. What the areas take is kept once, in cell columns by row, so
    each range of a finer level or of cells is cut by every coarser level in one pass."""
    areas: list[tuple[int, int]] = []
    taken: _TakenColumns = {}
    for side in AREA_CELLS:
        whole, _ = circle_cells(lat, lon, radius_km, box, CELLS_PER_DEGREE // side)
        whole = _without(whole, taken, side)
        base = side * AREA_LEVEL_BASE
        areas += [(base + first, base + last) for first, last in whole]
        _take(taken, whole, side)
        for spans in taken.values():
            spans.sort()
    inside, border = circle_cells(lat, lon, radius_km, box)
    return tuple(areas), tuple(_without(inside, taken, 1)), tuple(_without(border, taken, 1))
