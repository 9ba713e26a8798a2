"""SQLite's trial areas (migrations 0008, 0009): the areas a circle takes whole hold only sites
in the circle, the areas and the cells left over cover every site of its box once, a place
search finds the trials of the exact computation, and `trial_areas` stays in step with the
sites when trials are re-ingested, changed or written twice, and after the 0007 → 0008 and
0008 → 0009 upgrades."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import (
    circles_near_sites,
    grid_cell,
    shared_data,
    site_near_rim,
    sqlite_distance_km,
    writable_sqlite_store,
)
from trialfinder.ingest import ingest
from trialfinder.model import GeoPoint
from trialfinder.store import open_store
from trialfinder.store.base import GeoArea, StoredRecord, StudyFilter, StudySort
from trialfinder.store.migrations import SQLITE_MIGRATIONS
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_geo import (
    AREA_CELLS,
    DISTANCE_KM,
    ROW_STRIDE,
    circle_areas,
    geo_box,
    geo_ctes,
)

# The areas of every site at one level, as migration 0008 computes them from `trial_geo`.
EXPECTED_AREAS = """
    select distinct
        :side * 1000000000 + cell / 40000 / :side * 40000 + cell % 40000 / :side,
        trial_rowid
    from trial_geo
"""


def _area(cell: int, side: int) -> int:
    row, column = divmod(cell, ROW_STRIDE)
    return side * 1_000_000_000 + row // side * ROW_STRIDE + column // side


@settings(max_examples=400, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-179, 179),
    radius_km=st.floats(0.5, 400),
    bearing=st.floats(0, 2 * math.pi),
    reach=st.floats(0, 1.2),
)
def test_areas_and_cells_cover_each_site_of_the_box_once(
    lat: float, lon: float, radius_km: float, bearing: float, reach: float
) -> None:
    site_lat, site_lon = site_near_rim(lat, lon, radius_km, bearing, reach)
    params: dict[str, object] = {}
    box = geo_box(GeoArea(lat, lon, radius_km), params)
    areas, inside, border = circle_areas(lat, lon, radius_km, box)
    cell = grid_cell(site_lat, site_lon)
    keys = [_area(cell, side) for side in AREA_CELLS]
    in_areas = sum(low <= key <= high for key in keys for low, high in areas)
    in_inside = sum(low <= cell <= high for low, high in inside)
    in_border = sum(low <= cell <= high for low, high in border)
    in_box = box.lat_low <= site_lat <= box.lat_high and box.lon_low <= site_lon <= box.lon_high
    covered = in_areas + in_inside + in_border
    assert covered == 1 if in_box else covered <= 1
    if in_areas or in_inside:
        assert in_box
        assert sqlite_distance_km(lat, lon, site_lat, site_lon) <= radius_km


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    """The 790 real studies in a SQLite store of this module's own (searched, never changed)."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('areas') / 'trials.db'}")
    ingest(store, [shared_data("ctgov")])
    assert isinstance(store, SQLiteStore)
    return store


def _place_trials(db: sqlite3.Connection, geo: GeoArea) -> set[int]:
    params: dict[str, object] = {}
    (ctes,) = geo_ctes(geo, [], params, None)
    return {
        rowid for (rowid,) in db.execute(f"with {ctes} select trial_rowid from geo_hits", params)
    }


def _exact_trials(db: sqlite3.Connection, geo: GeoArea) -> set[int]:
    params: dict[str, object] = {}
    geo_box(geo, params)
    rows = db.execute(
        f"""
        select trials.rowid
        from locations
        join trials on trials.nct_id = locations.nct_id
        where locations.lat between :geo_lat_low and :geo_lat_high
            and locations.lon between :geo_lon_low and :geo_lon_high
            and {DISTANCE_KM.strip()} <= :geo_radius_km
        """,
        params,
    )
    return {rowid for (rowid,) in rows}


@settings(max_examples=60, deadline=None)
@given(geo=circles_near_sites())
def test_place_search_finds_the_trials_of_the_exact_distances(
    module_store: SQLiteStore,
    geo: GeoArea,
) -> None:
    db = module_store._db
    assert _place_trials(db, geo) == _exact_trials(db, geo)


def test_large_circles_take_whole_areas(module_store: SQLiteStore) -> None:
    geo = GeoArea(42.3601, -71.0589, 160.0)
    params: dict[str, object] = {}
    areas, _, _ = circle_areas(geo.lat, geo.lon, geo.radius_km, geo_box(geo, params))
    sides = {low // 1_000_000_000 for low, _ in areas}
    assert sides == set(AREA_CELLS)
    exact = _exact_trials(module_store._db, geo)
    assert len(exact) > 50
    assert _place_trials(module_store._db, geo) == exact


def _assert_areas_follow_sites(db: sqlite3.Connection) -> None:
    stored = set(db.execute("select area, trial_rowid from trial_areas"))
    expected: set[tuple[int, int]] = set()
    for side in AREA_CELLS:
        expected |= set(db.execute(EXPECTED_AREAS, {"side": side}))
    assert stored == expected
    (trials,) = db.execute("select count(distinct trial_rowid) from trial_geo").fetchone()
    assert len(stored) >= trials * len(AREA_CELLS) > 0


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return writable_sqlite_store(tmp_path)


def _moved(store: SQLiteStore, nct_id: str, n: int) -> StoredRecord:
    """A newer version of a stored trial: fewer sites, some of them moved about 30 km north."""
    trial = store.get_trial(nct_id)
    raw = store.get_raw(nct_id)
    assert trial is not None and raw is not None
    locations = trial.locations[n % 3 :: 2]
    moved = [
        msgspec.structs.replace(
            loc, geo=GeoPoint(lat=min(89.0, loc.geo.lat + 0.3), lon=loc.geo.lon)
        )
        if loc.geo is not None and n % 2 == 0
        else loc
        for loc in locations
    ]
    changed = msgspec.structs.replace(trial, locations=moved, last_update_posted="2099-01-01")
    return StoredRecord.of(changed, raw[1] + f" {n}".encode(), raw[0], "test", str(n))


def test_areas_follow_reingests_and_changes(store: SQLiteStore) -> None:
    nct_ids = [t.nct_id for t in store.iter_trials()]
    _assert_areas_follow_sites(store._db)
    ingest(store, [shared_data("ctgov")])
    _assert_areas_follow_sites(store._db)
    before = set(store._db.execute("select area, trial_rowid from trial_areas"))
    records = [_moved(store, nct_id, n) for n, nct_id in enumerate(nct_ids[:60])]
    store.write_batch(records[:30], [])
    # The second batch writes one trial twice: its sites of both copies are kept, as in
    # `trial_geo`.
    store.write_batch([*records[30:], _moved(store, nct_ids[31], 7)], [])
    after = set(store._db.execute("select area, trial_rowid from trial_areas"))
    assert after != before
    _assert_areas_follow_sites(store._db)
    boston = GeoArea(42.3601, -71.0589, 160.0)
    assert _place_trials(store._db, boston) == _exact_trials(store._db, boston)
    store.close()


def test_migration_0008_lists_the_areas_of_existing_sites(
    store: SQLiteStore, tmp_path: Path
) -> None:
    db = store._db
    areas = set(db.execute("select area, trial_rowid from trial_areas"))
    paris = GeoArea(48.8566, 2.3522, 80.0)
    where = StudyFilter(geo=paris)
    page = store.search_trials(where, StudySort("distance"), 100, 0, 60.0)
    store.close()
    raw = sqlite3.connect(tmp_path / "trials.db")
    with raw:
        raw.execute("drop table trial_areas")
        raw.execute(
            """
            delete from schema_migrations
            where name in ('0008_search_trial_areas', '0009_search_trial_areas_1_degree')
            """
        )
    raw.close()
    reopened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(reopened, SQLiteStore)
    assert reopened.schema_version == SQLITE_MIGRATIONS[-1].name
    assert set(reopened._db.execute("select area, trial_rowid from trial_areas")) == areas
    assert reopened.search_trials(where, StudySort("distance"), 100, 0, 60.0) == page
    reopened.close()


def test_migration_0009_adds_the_1_degree_areas(store: SQLiteStore, tmp_path: Path) -> None:
    db = store._db
    areas = set(db.execute("select area, trial_rowid from trial_areas"))
    one_degree = {(area, trial) for area, trial in areas if area // 1_000_000_000 == 100}
    assert one_degree == set(db.execute(EXPECTED_AREAS, {"side": 100}))
    boston = GeoArea(42.3601, -71.0589, 160.0)
    counted = store.count_trials(StudyFilter(geo=boston), 60.0)
    store.close()
    raw = sqlite3.connect(tmp_path / "trials.db")
    with raw:
        # A store at 0008: areas of 0.25° only.
        raw.execute("delete from trial_areas where area >= 100 * 1000000000")
        raw.execute("delete from schema_migrations where name = '0009_search_trial_areas_1_degree'")
    raw.close()
    reopened = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    assert isinstance(reopened, SQLiteStore)
    assert reopened.schema_version == SQLITE_MIGRATIONS[-1].name
    assert set(reopened._db.execute("select area, trial_rowid from trial_areas")) == areas
    assert reopened.count_trials(StudyFilter(geo=boston), 60.0) == counted
    reopened.close()
