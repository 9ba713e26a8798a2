"""SQLite's fast search paths give the answers of the plain ones: the site grid (`trial_geo`), the
circle grown until it holds a page by distance, the latest-updated window, remembered counts."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import grid_cell, shared_data, site_near_rim, sqlite_distance_km
from trialfinder.ingest import ingest
from trialfinder.search import SearchQuery, count_studies, facet_studies, parse_geo
from trialfinder.store import Store, open_store, sqlite_search
from trialfinder.store.base import GeoArea, StudyFilter, StudySort
from trialfinder.store.sqlite_geo import circle_cells, geo_box

# Suva and Auckland: circles across the date line (their box is the whole width of the map).
PLACES = ("Boston, MA", "Houston, TX", "Paris", "Tokyo", "Sydney", "Reykjavik", "Suva", "Auckland")


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-179, 179),
    radius_km=st.floats(0.5, 400),
    bearing=st.floats(0, 2 * math.pi),
    reach=st.floats(0, 1.2),
)
def test_inside_cells_hold_only_sites_in_the_circle(
    lat: float, lon: float, radius_km: float, bearing: float, reach: float
) -> None:
    site_lat, site_lon = site_near_rim(lat, lon, radius_km, bearing, reach)
    params: dict[str, object] = {}
    box = geo_box(GeoArea(lat, lon, radius_km), params)
    inside, border = circle_cells(lat, lon, radius_km, box)
    cell = grid_cell(site_lat, site_lon)
    in_box = box.lat_low <= site_lat <= box.lat_high and box.lon_low <= site_lon <= box.lon_high
    if any(low <= cell <= high for low, high in inside):
        assert in_box
        assert sqlite_distance_km(lat, lon, site_lat, site_lon) <= radius_km
    elif in_box:
        assert any(low <= cell <= high for low, high in border)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The 790 real studies in a SQLite store of this module's own."""
    data = shared_data("ctgov")
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('geo') / 'trials.db'}")
    ingest(store, [data])
    return store


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("descending", [False, True], ids=["nearest-first", "farthest-first"])
def test_pages_by_distance_are_slices_of_the_whole_order(
    sqlite_store: Store, place: str, descending: bool
) -> None:
    where = StudyFilter(geo=parse_geo(f"distance({place},300mi)"))
    sort = StudySort("distance", descending)
    whole = sqlite_store.search_trials(where, sort, 1000, 0, 60.0)
    assert len(whole) == sqlite_store.count_trials(where, 60.0)
    for offset in (0, 3, 10):
        assert (
            sqlite_store.search_trials(where, sort, 3, offset, 60.0) == whole[offset : offset + 3]
        )


def test_migration_0005_moves_sites_from_the_rtree_to_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "trials.db"
    store = open_store(f"sqlite:///{path}")
    ingest(store, [shared_data("ctgov")])
    query = SearchQuery(cond="cancer", geo=parse_geo("distance(Boston, MA,100mi)"))
    facets = facet_studies(store, query)
    store.close()
    # Take the file back to its 0004 form: the R*Tree instead of the grid.
    db = sqlite3.connect(path)
    grid = db.execute("select * from trial_geo order by 1, 2, 3").fetchall()
    with db:
        db.execute("drop table trial_geo")
        db.execute(
            """
            create virtual table locations_geo using rtree (
                id, min_lat, max_lat, min_lon, max_lon, +trial_rowid, +lat, +lon
            )
            """
        )
        db.execute("delete from schema_migrations where name = '0005_search_geo_grid'")
    db.close()
    store = open_store(f"sqlite:///{path}")
    assert facet_studies(store, query) == facets
    assert count_studies(store, query) == sum(facets["overallStatus"].values())
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("select * from trial_geo order by 1, 2, 3").fetchall() == grid
    assert (
        db.execute("select name from sqlite_master where name = 'locations_geo'").fetchall() == []
    )
    db.close()


def test_counts_follow_writes_of_another_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    writer = open_store(url)
    reader = open_store(url, read_only=True)
    data = shared_data("ctgov")
    files = sorted(data.glob("*.json"))
    ingest(writer, files[:10])
    everything = StudyFilter()
    assert reader.count_trials(everything, 10.0) == 10
    before = reader.facet_counts(everything, 10.0)
    ingest(writer, files[10:30])
    assert reader.count_trials(everything, 10.0) == 30
    assert reader.facet_counts(everything, 10.0) != before
    assert sum(reader.facet_counts(everything, 10.0)["overallStatus"].values()) == 30
    # The writer's own cache follows its own writes.
    assert writer.count_trials(everything, 10.0) == 30
    ingest(writer, files[30:31])
    assert writer.count_trials(everything, 10.0) == 31
    reader.close()
    writer.close()


FILTERS = (
    StudyFilter(statuses=("RECRUITING", "NOT_YET_RECRUITING")),
    StudyFilter(countries=("France",), statuses=("RECRUITING",)),
    StudyFilter(phases=("PHASE3",), healthy_volunteers=False),
    StudyFilter(countries=("Japan",), age_groups=("CHILD",)),
)


@pytest.mark.parametrize("where", FILTERS, ids=["open", "france", "phase3", "japan-child"])
@pytest.mark.parametrize(
    "sort",
    [StudySort("relevance"), StudySort("last_update", True), StudySort("last_update")],
    ids=["relevance", "newest", "oldest"],
)
def test_pages_by_last_update_are_slices_of_the_whole_order(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, where: StudyFilter, sort: StudySort
) -> None:
    whole = sqlite_store.search_trials(where, sort, 1000, 0, 60.0)
    assert len(whole) == sqlite_store.count_trials(where, 60.0)
    # Windows small enough for 790 trials, so the latest-updated window is really tried.
    monkeypatch.setattr(sqlite_search, "_RECENT_WINDOWS", (20, 60, 200))
    for offset in (0, 7, 30):
        assert (
            sqlite_store.search_trials(where, sort, 5, offset, 60.0) == whole[offset : offset + 5]
        )
