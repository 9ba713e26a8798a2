"""PostgreSQL trials of a circle by grid (migration 0008, `postgres_geo`): whole areas from
`trial_areas`, inside and border cells from `locations_cell`. The grid changes how a circle is
read, never which trials it holds: exactly those with a located site within the radius."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import given, settings

from support import circles_near_sites
from trialfinder.model import GeoPoint
from trialfinder.search import SearchQuery, count_studies, parse_geo
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord
from trialfinder.store.geo_cells import AREA_CELLS, ROW_STRIDE
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_geo import circle_trials, covering_box
from trialfinder.store.postgres_search import SITE_DISTANCE_KM, geo_params

pytestmark = pytest.mark.postgres

_DISTANCE_KM = SITE_DISTANCE_KM.replace("sites.", "locations.")


def _rows(url: str, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _grid_trials(url: str, geo: GeoArea) -> set[str]:
    params: dict[str, Any] = geo_params(geo)
    sql = f"select nct_id from (\n{circle_trials(geo, _DISTANCE_KM, params)}\n) as found"
    return {nct_id for (nct_id,) in _rows(url, sql, params)}


def _exact_trials(url: str, geo: GeoArea) -> set[str]:
    """Every trial with a located site within the radius, each site measured."""
    sql = f"""
        select locations.nct_id
        from locations
        where locations.lat is not null
            and locations.lon is not null
            and {_DISTANCE_KM.strip()} <= %(geo_radius_km)s
        """
    return {nct_id for (nct_id,) in _rows(url, sql, geo_params(geo))}


@settings(max_examples=60, deadline=None)
@given(geo=circles_near_sites())
def test_grid_finds_the_trials_of_the_exact_distances(
    pg_real_store: PostgresStore,
    geo: GeoArea,
) -> None:
    assert _grid_trials(pg_real_store.url, geo) == _exact_trials(pg_real_store.url, geo)


@pytest.mark.parametrize(
    "geo",
    [
        GeoArea(42.3601, -71.0589, 160.0),
        GeoArea(42.3601, -71.0589, 0.5),
        GeoArea(0.0, 179.9, 400.0),
        GeoArea(-16.0, -179.95, 2000.0),
        GeoArea(89.5, 10.0, 300.0),
        GeoArea(-89.9, 0.0, 50.0),
        GeoArea(10.0, 20.0, 25_000.0),
    ],
    ids=["boston-100mi", "boston-500m", "date-line", "fiji", "north-pole", "south-pole", "world"],
)
def test_grid_finds_the_trials_of_edge_circles(pg_real_store: PostgresStore, geo: GeoArea) -> None:
    assert _grid_trials(pg_real_store.url, geo) == _exact_trials(pg_real_store.url, geo)


def test_large_circles_take_whole_areas_and_count_as_before(pg_real_store: PostgresStore) -> None:
    geo = GeoArea(42.3601, -71.0589, 160.0)
    params: dict[str, Any] = {}
    circle_trials(geo, _DISTANCE_KM, params)
    sides = {low // 1_000_000_000 for low in params["geo_areas_low"]}
    assert sides == set(AREA_CELLS)
    exact = _exact_trials(pg_real_store.url, geo)
    assert len(exact) > 50
    query = SearchQuery(geo=parse_geo("distance(42.3601,-71.0589,160km)"))
    assert count_studies(pg_real_store, query) == len(exact)


@pytest.mark.parametrize(
    "geo",
    [GeoArea(42.36, -71.06, 160.0), GeoArea(0.0, 179.99, 10.0), GeoArea(88.0, 0.0, 500.0)],
    ids=["boston", "date-line", "near-pole"],
)
def test_covering_box_holds_the_circle(geo: GeoArea) -> None:
    box = covering_box(geo)
    for step in range(360):
        bearing = math.radians(step)
        angle = geo.radius_km / 6371.0088
        lat1, lon1 = math.radians(geo.lat), math.radians(geo.lon)
        lat2 = math.asin(
            math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
        )
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(angle) * math.cos(lat1),
            math.cos(angle) - math.sin(lat1) * math.sin(lat2),
        )
        lat, lon = math.degrees(lat2), (math.degrees(lon2) + 540.0) % 360.0 - 180.0
        assert box.lat_low <= lat <= box.lat_high
        assert box.lon_low <= lon <= box.lon_high


# -- trial_areas kept with the trial's sites ------------------------------------------------------


def _expected_areas(url: str) -> set[tuple[int, str]]:
    """Each trial's areas at every level, computed here from its located sites."""
    expected = set()
    for nct_id, lat, lon in _rows(
        url, "select nct_id, lat, lon from locations where lat is not null and lon is not null"
    ):
        row, column = math.floor((lat + 90.0) * 100.0), math.floor((lon + 180.0) * 100.0)
        for side in AREA_CELLS:
            area = side * 1_000_000_000 + row // side * ROW_STRIDE + column // side
            expected.add((area, nct_id))
    return expected


def _stored_areas(url: str) -> set[tuple[int, str]]:
    rows = _rows(url, "select area, nct_id from trial_areas")
    assert len(rows) == len(set(rows))
    return {(int(area), str(nct_id)) for area, nct_id in rows}


def _moved(store: PostgresStore, nct_id: str, n: int) -> StoredRecord:
    """A newer version of a stored trial: fewer sites, some of them moved about 30 km north."""
    trial = store.get_trial(nct_id)
    raw = store.get_raw(nct_id)
    assert trial is not None and raw is not None
    moved = [
        msgspec.structs.replace(
            loc, geo=GeoPoint(lat=min(89.0, loc.geo.lat + 0.3), lon=loc.geo.lon)
        )
        if loc.geo is not None and n % 2 == 0
        else loc
        for loc in trial.locations[n % 3 :: 2]
    ]
    changed = msgspec.structs.replace(trial, locations=moved, last_update_posted="2099-01-01")
    return StoredRecord.of(changed, raw[1] + f" {n}".encode(), raw[0], "test", str(n))


def test_trial_areas_follow_written_and_replaced_trials(
    pg_real_store: PostgresStore, pg_url: str
) -> None:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    located = [
        nct_id
        for (nct_id,) in _rows(
            pg_real_store.url,
            """
            select nct_id
            from locations
            where lat is not null
            group by nct_id
            having count(*) > 3
            order by nct_id
            limit 6
            """,
        )
    ]
    originals = [_moved(pg_real_store, nct_id, 1) for nct_id in located]
    store.write_batch(originals, [])
    assert _stored_areas(pg_url) == _expected_areas(pg_url)
    assert len({nct_id for _, nct_id in _stored_areas(pg_url)}) == len(located)
    newer = [_moved(store, nct_id, n) for n, nct_id in enumerate(located[:4])]
    store.write_batch(newer, [])
    assert _stored_areas(pg_url) == _expected_areas(pg_url)
    store.close()


def test_migration_0008_lists_the_areas_of_stored_trials(
    pg_real_store: PostgresStore, pg_url: str
) -> None:
    located = [
        nct_id
        for (nct_id,) in _rows(
            pg_real_store.url,
            "select distinct nct_id from locations where lat is not null order by 1 limit 5",
        )
    ]
    store = open_store(pg_url)
    store.write_batch([_moved(pg_real_store, nct_id, 1) for nct_id in located], [])
    store.close()
    expected = _expected_areas(pg_url)
    assert len(expected) >= len(located) * len(AREA_CELLS)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_areas")
        conn.execute("drop index locations_cell")
        conn.execute("delete from schema_migrations where name = '0008_search_trial_areas'")
    open_store(pg_url).close()
    assert _stored_areas(pg_url) == expected
