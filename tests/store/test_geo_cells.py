"""The grid arithmetic of a circle (`geo_cells.circle_cells`, `geo_cells.circle_areas`), made
cheaper in session 13, gives exactly what the straightforward version below gave: the same
ranges in the same order, for circles and boxes anywhere (date line, poles, tiny and huge radii,
boxes from either store and arbitrary ones)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.store.base import GeoArea
from trialfinder.store.geo_cells import (
    AREA_CELLS,
    AREA_LEVEL_BASE,
    CELLS_PER_DEGREE,
    EARTH_RADIUS_KM,
    EDGE,
    ROW_STRIDE,
    SAFE_KM,
    Box,
    circle_areas,
    circle_cells,
)
from trialfinder.store.postgres_geo import covering_box
from trialfinder.store.sqlite_geo import geo_box

Ranges = list[tuple[int, int]]


# -- the reference: each row's reach from scratch, each area level subtracted in turn ----------


def _reference_reach(center_lat: float, lat: float, radius_km: float) -> float:
    hav_radius = math.sin(radius_km / EARTH_RADIUS_KM / 2) ** 2
    hav_lat = math.sin(math.radians(lat - center_lat) / 2) ** 2
    scale = math.cos(math.radians(center_lat)) * math.cos(math.radians(lat))
    if scale <= 0 or hav_radius < hav_lat:
        return -1.0
    ratio = (hav_radius - hav_lat) / scale
    return 180.0 if ratio >= 1 else math.degrees(2 * math.asin(math.sqrt(ratio)))


def _reference_cells(
    lat: float, lon: float, radius_km: float, box: Box, per_degree: int = CELLS_PER_DEGREE
) -> tuple[Ranges, Ranges]:
    inside: Ranges = []
    border: Ranges = []
    first_column = math.floor((box.lon_low - EDGE + 180.0) * per_degree)
    last_column = math.floor((box.lon_high + EDGE + 180.0) * per_degree)
    whole_world = box.lon_high - box.lon_low >= 360.0
    first_row = math.floor((box.lat_low - EDGE + 90.0) * per_degree)
    last_row = math.floor((box.lat_high + EDGE + 90.0) * per_degree)
    for row in range(first_row, last_row + 1):
        base = row * ROW_STRIDE
        south = row / per_degree - 90.0 - EDGE
        north = (row + 1) / per_degree - 90.0 + EDGE
        reach = -1.0
        if not whole_world and south >= box.lat_low and north <= box.lat_high:
            reach = min(
                _reference_reach(lat, south, radius_km - SAFE_KM),
                _reference_reach(lat, north, radius_km - SAFE_KM),
            )
        if reach < 0 or reach >= 180.0:
            border.append((base + first_column, base + last_column))
            continue
        west = max(lon - reach, box.lon_low)
        east = min(lon + reach, box.lon_high)
        in_first = math.ceil((west + EDGE + 180.0) * per_degree)
        in_last = math.floor((east - EDGE + 180.0) * per_degree) - 1
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


def _reference_without(ranges: Ranges, taken: dict[int, Ranges], side: int) -> Ranges:
    left: Ranges = []
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


def _reference_by_row(ranges: Ranges) -> dict[int, Ranges]:
    by_row: dict[int, Ranges] = {}
    for first, last in ranges:
        row, column = divmod(first, ROW_STRIDE)
        by_row.setdefault(row, []).append((column, last - row * ROW_STRIDE))
    return by_row


def _reference_areas(
    lat: float, lon: float, radius_km: float, box: Box
) -> tuple[Ranges, Ranges, Ranges]:
    areas: Ranges = []
    taken: list[tuple[int, dict[int, Ranges]]] = []
    for side in AREA_CELLS:
        whole, _ = _reference_cells(lat, lon, radius_km, box, CELLS_PER_DEGREE // side)
        for coarser_side, coarser in taken:
            whole = _reference_without(whole, coarser, coarser_side // side)
        base = side * AREA_LEVEL_BASE
        areas += [(base + first, base + last) for first, last in whole]
        taken.append((side, _reference_by_row(whole)))
    inside, border = _reference_cells(lat, lon, radius_km, box)
    for side, whole_by_row in taken:
        inside = _reference_without(inside, whole_by_row, side)
        border = _reference_without(border, whole_by_row, side)
    return areas, inside, border


# -- circles and boxes ------------------------------------------------------------------------

radii_km = st.one_of(
    st.floats(0.001, 5.0), st.floats(5.0, 400.0), st.floats(400.0, 3000.0), st.sampled_from([0.0])
)
latitudes = st.one_of(st.floats(-90.0, 90.0), st.sampled_from([-90.0, -89.99, 0.0, 89.999, 90.0]))
longitudes = st.one_of(
    st.floats(-180.0, 180.0), st.sampled_from([-180.0, -179.995, 0.0, 179.99, 180.0])
)


@st.composite
def store_boxes(draw: st.DrawFn) -> tuple[GeoArea, Box]:
    """A circle and the box one of the stores searches it in."""
    geo = GeoArea(draw(latitudes), draw(longitudes), draw(radii_km))
    if draw(st.booleans()):
        return geo, covering_box(geo)
    return geo, geo_box(geo, {})


@st.composite
def arbitrary_boxes(draw: st.DrawFn) -> tuple[GeoArea, Box]:
    """A circle and any box of at most a few degrees a side (or the whole width of the map)."""
    geo = GeoArea(draw(latitudes), draw(longitudes), draw(radii_km))
    lat_low = draw(st.floats(-90.0, 89.0))
    lat_high = min(90.0, lat_low + draw(st.floats(0.0, 4.0)))
    if draw(st.booleans()):
        return geo, Box(lat_low, lat_high, -180.0, 180.0)
    lon_low = draw(st.floats(-180.0, 178.0))
    return geo, Box(lat_low, lat_high, lon_low, min(180.0, lon_low + draw(st.floats(0.0, 6.0))))


@settings(max_examples=300, deadline=None)
@given(circle=st.one_of(store_boxes(), arbitrary_boxes()))
def test_circle_areas_are_those_of_the_reference(circle: tuple[GeoArea, Box]) -> None:
    geo, box = circle
    assert circle_areas(geo.lat, geo.lon, geo.radius_km, box) == _reference_areas(
        geo.lat, geo.lon, geo.radius_km, box
    )


@settings(max_examples=300, deadline=None)
@given(circle=st.one_of(store_boxes(), arbitrary_boxes()), per_degree=st.sampled_from([100, 4, 1]))
def test_circle_cells_are_those_of_the_reference(
    circle: tuple[GeoArea, Box], per_degree: int
) -> None:
    geo, box = circle
    assert circle_cells(geo.lat, geo.lon, geo.radius_km, box, per_degree) == _reference_cells(
        geo.lat, geo.lon, geo.radius_km, box, per_degree
    )


def test_a_large_circle_takes_areas_of_both_levels() -> None:
    """The case the cheaper subtraction changes most: 1° and 0.25° areas and cells together."""
    geo = GeoArea(40.7128, -74.006, 160.9)
    areas, inside, border = circle_areas(geo.lat, geo.lon, geo.radius_km, covering_box(geo))
    assert {low // AREA_LEVEL_BASE for low, _ in areas} == set(AREA_CELLS)
    assert (areas, inside, border) == _reference_areas(
        geo.lat, geo.lon, geo.radius_km, covering_box(geo)
    )


def test_each_caller_gets_lists_of_its_own() -> None:
    """A remembered circle's answer is not changed by what an earlier caller did to its lists."""
    geo = GeoArea(42.3601, -71.0589, 80.0)
    box = covering_box(geo)
    first = circle_areas(geo.lat, geo.lon, geo.radius_km, box)
    for ranges in first:
        ranges.clear()
    assert circle_areas(geo.lat, geo.lon, geo.radius_km, box) == _reference_areas(
        geo.lat, geo.lon, geo.radius_km, box
    )
