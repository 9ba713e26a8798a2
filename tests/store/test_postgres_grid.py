"""PostgreSQL trials of a circle by grid (migration 0008, `postgres_geo`): whole areas from
`trial_areas`, inside and border cells from `locations_cell`. The grid changes how a circle is
read, never which trials it holds: exactly those with a located site within the radius.

Each trial row also lists its 1° areas (migration 0010, `trials.place_areas`), so that the areas
around a circle cut a search's word hits under the GIN index before their rows are read. The
list must never leave out a trial of the circle, must follow the trial's sites when it is
written again, and is filled by the migration for trials stored before it."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import given, settings

from support import circles_near_sites
from trialfinder.model import GeoPoint
from trialfinder.search import (
    SearchQuery,
    count_studies,
    facet_studies,
    parse_geo,
    search_studies,
)
from trialfinder.store import open_store
from trialfinder.store.base import (
    GeoArea,
    StoredRecord,
    StudyFilter,
    StudySort,
    TextSearch,
    TextTerm,
)
from trialfinder.store.geo_cells import AREA_CELLS, AREA_LEVEL_BASE, ROW_STRIDE, circle_areas
from trialfinder.store.postgres import PostgresStore, configure_session
from trialfinder.store.postgres_geo import (
    DELETE_AREAS,
    MAX_NEAR_AREAS,
    cell_spans,
    circle_trials,
    covering_box,
    int_array_literal,
    near_areas,
)
from trialfinder.store.postgres_search import SITE_DISTANCE_KM, geo_params, study_search_sql

pytestmark = pytest.mark.postgres

_DISTANCE_KM = SITE_DISTANCE_KM.replace("sites.", "locations.")


def _rows(url: str, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _grid_trials(url: str, geo: GeoArea) -> set[str]:
    params: dict[str, Any] = geo_params(geo)
    sql = f"select nct_id from (\n{circle_trials(geo, _DISTANCE_KM, params)}\n) as found"
    return {nct_id for (nct_id,) in _rows(url, sql, params)}


def _bound_ids(literal: str) -> list[int]:
    """The ids of an array bound in its text form (`postgres_geo.int_array_literal`)."""
    assert literal.startswith("{") and literal.endswith("}")
    return [int(value) for value in literal[1:-1].split(",") if value]


def test_int_arrays_are_bound_in_their_text_form(pg_real_store: PostgresStore) -> None:
    values = [0, -7, 2_147_483_647, 100_005_200_105]
    assert int_array_literal(values) == "{0,-7,2147483647,100005200105}"
    assert _bound_ids(int_array_literal(values)) == values
    sql = "select %(values)s::bigint[], %(none)s::integer[]"
    bound = {"values": int_array_literal(values), "none": int_array_literal([])}
    assert _rows(pg_real_store.url, sql, bound) == [(values, [])]


def _grid_trials_whole_areas_apart(url: str, geo: GeoArea) -> tuple[set[str], set[str]]:
    """(all, from place_areas): the circle's trials with its whole 1° areas left out of the
    grid and found from the trials' `place_areas`, as a search with words finds them."""
    params: dict[str, Any] = geo_params(geo)
    circle = circle_trials(geo, _DISTANCE_KM, params, whole_areas_apart=True)
    whole_sql = "select nct_id from trials where %(geo_whole_areas)s::bigint[] && place_areas"
    from_areas = {nct_id for (nct_id,) in _rows(url, whole_sql, params)}
    sql = f"select nct_id from (\n{circle}\n) as found"
    return {nct_id for (nct_id,) in _rows(url, sql, params)} | from_areas, from_areas


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


@settings(max_examples=60, deadline=None)
@given(geo=circles_near_sites())
def test_whole_areas_found_from_place_areas_give_the_trials_of_the_exact_distances(
    pg_real_store: PostgresStore,
    geo: GeoArea,
) -> None:
    found, _ = _grid_trials_whole_areas_apart(pg_real_store.url, geo)
    assert found == _exact_trials(pg_real_store.url, geo)


def _cells(ranges: list[tuple[int, int]]) -> set[int]:
    return {cell for low, high in ranges for cell in range(low, high + 1)}


@settings(max_examples=60, deadline=None)
@given(geo=circles_near_sites())
def test_cell_spans_read_the_same_cells_in_fewer_ranges(geo: GeoArea) -> None:
    """A circle's inside and border cells, joined where they touch (`cell_spans`): the spans
    cover the same cells, each names as inside exactly the cells of one inside range or none,
    and no two touch (one index descent each)."""
    _, inside, border = circle_areas(geo.lat, geo.lon, geo.radius_km, covering_box(geo))
    spans = cell_spans(inside, border)
    assert _cells([(low, high) for low, high, _, _ in spans]) == _cells(inside + border)
    named_inside = [(low, high) for _, _, low, high in spans if low <= high]
    assert sorted(named_inside) == sorted(inside)
    assert all(
        low <= in_low <= in_high <= high
        for low, high, in_low, in_high in spans
        if in_low <= in_high
    )
    # Two spans touch only where each holds an inside range (one range of inside cells each).
    assert all(
        a[1] + 1 < b[0] or a[1] + 1 == b[0] and a[2] <= a[3] and b[2] <= b[3]
        for a, b in itertools.pairwise(spans)
    )
    assert len(spans) <= len(inside) + len(border)
    if inside and border:
        assert len(spans) < len(inside) + len(border)


def test_a_large_circle_leaves_its_whole_one_degree_areas_to_place_areas(
    pg_real_store: PostgresStore,
) -> None:
    geo = GeoArea(42.3601, -71.0589, 160.0)
    params: dict[str, Any] = geo_params(geo)
    circle_trials(geo, _DISTANCE_KM, params, whole_areas_apart=True)
    assert params["geo_whole_areas"]
    assert all(area // AREA_LEVEL_BASE == AREA_CELLS[0] for area in params["geo_whole_areas"])
    assert {low // AREA_LEVEL_BASE for low in _bound_ids(params["geo_areas_low"])} == {
        AREA_CELLS[1]
    }
    found, from_areas = _grid_trials_whole_areas_apart(pg_real_store.url, geo)
    assert from_areas
    assert found == _exact_trials(pg_real_store.url, geo)


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
    exact = _exact_trials(pg_real_store.url, geo)
    assert _grid_trials(pg_real_store.url, geo) == exact
    assert _grid_trials_whole_areas_apart(pg_real_store.url, geo)[0] == exact


def test_large_circles_take_whole_areas_and_count_as_before(pg_real_store: PostgresStore) -> None:
    geo = GeoArea(42.3601, -71.0589, 160.0)
    params: dict[str, Any] = {}
    circle_trials(geo, _DISTANCE_KM, params)
    sides = {low // 1_000_000_000 for low in _bound_ids(params["geo_areas_low"])}
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


def _trials_with_several_sites(url: str) -> list[str]:
    """Six trials (NCT id order) with more than three located sites."""
    sql = """
        select nct_id
        from locations
        where lat is not null
        group by nct_id
        having count(*) > 3
        order by nct_id
        limit 6
    """
    return [nct_id for (nct_id,) in _rows(url, sql)]


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
    located = _trials_with_several_sites(pg_real_store.url)
    originals = [_moved(pg_real_store, nct_id, 1) for nct_id in located]
    store.write_batch(originals, [])
    assert _stored_areas(pg_url) == _expected_areas(pg_url)
    assert len({nct_id for _, nct_id in _stored_areas(pg_url)}) == len(located)
    newer = [_moved(store, nct_id, n) for n, nct_id in enumerate(located[:4])]
    store.write_batch(newer, [])
    assert _stored_areas(pg_url) == _expected_areas(pg_url)
    store.close()


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A node of an EXPLAIN (FORMAT JSON) plan and every node below it."""
    return [node] + [below for child in node.get("Plans", []) for below in _plan_nodes(child)]


def test_replaced_trials_areas_are_found_by_key_never_by_a_join(
    pg_real_store: PostgresStore,
) -> None:
    # The planner estimates the keys from the trials' sites: joined, an overestimate makes it
    # hash a scan of the whole table. Looked up one by one, the keys can only read the key
    # index, and the rows found go by position, so no join of the table is left to plan.
    located = _trials_with_several_sites(pg_real_store.url)
    with psycopg.connect(pg_real_store.url) as conn:
        configure_session(conn)
        ((explained,),) = conn.execute(
            "explain (format json) " + DELETE_AREAS, {"nct_ids": located}
        ).fetchall()
    nodes = _plan_nodes(explained[0]["Plan"])
    assert not [n for n in nodes if "Join" in n["Node Type"] or n["Node Type"] == "Nested Loop"]
    reads = {
        n["Node Type"]: n
        for n in nodes
        if n.get("Relation Name") == "trial_areas" and n["Node Type"] != "ModifyTable"
    }
    assert sorted(reads) == ["Index Scan", "Tid Scan"]
    lookup = reads["Index Scan"]
    assert lookup["Index Name"] == "trial_areas_pkey"
    assert lookup["Parent Relationship"] == "SubPlan"
    assert "area = " in lookup["Index Cond"] and "nct_id = " in lookup["Index Cond"]


def _rewrite_five_located_trials(source: PostgresStore, url: str) -> list[str]:
    """Write five trials with a located site, moved, through a fresh store; their NCT ids."""
    located = [
        nct_id
        for (nct_id,) in _rows(
            source.url,
            "select distinct nct_id from locations where lat is not null order by 1 limit 5",
        )
    ]
    store = open_store(url)
    store.write_batch([_moved(source, nct_id, 1) for nct_id in located], [])
    store.close()
    return located


def test_migration_0008_lists_the_areas_of_stored_trials(
    pg_real_store: PostgresStore, pg_url: str
) -> None:
    located = _rewrite_five_located_trials(pg_real_store, pg_url)
    expected = _expected_areas(pg_url)
    assert len(expected) >= len(located) * len(AREA_CELLS)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("drop table trial_areas")
        conn.execute("drop index locations_cell")
        conn.execute("delete from schema_migrations where name = '0008_search_trial_areas'")
    open_store(pg_url).close()
    assert _stored_areas(pg_url) == expected


# -- trials.place_areas: each trial's 1° areas on its row ---------------------------------------


_ONE_DEGREE = 100 * AREA_LEVEL_BASE


def _near_trials(url: str, geo: GeoArea) -> set[str]:
    """The trials that list one of the circle's near areas."""
    sql = "select nct_id from trials where place_areas && %(areas)s::bigint[]"
    return {nct_id for (nct_id,) in _rows(url, sql, {"areas": near_areas(geo)})}


def _place_areas(url: str) -> dict[str, list[int]]:
    return {
        nct_id: list(areas)
        for nct_id, areas in _rows(
            url, "select nct_id, place_areas from trials where place_areas is not null"
        )
    }


def _one_degree_trial_areas(url: str) -> dict[str, list[int]]:
    """Each trial's 1° `trial_areas` rows (written from its locations), sorted."""
    listed: dict[str, list[int]] = {}
    for area, nct_id in _rows(
        url,
        "select area, nct_id from trial_areas where area >= %(low)s order by area",
        {"low": _ONE_DEGREE},
    ):
        listed.setdefault(nct_id, []).append(int(area))
    return listed


@settings(max_examples=60, deadline=None)
@given(geo=circles_near_sites())
def test_near_areas_hold_every_trial_of_the_circle(
    pg_real_store: PostgresStore, geo: GeoArea
) -> None:
    if near_areas(geo) is None:
        return
    assert _exact_trials(pg_real_store.url, geo) <= _near_trials(pg_real_store.url, geo)


def test_near_areas_of_a_small_circle_are_the_areas_around_it() -> None:
    # Boston 25 mi: the box spans latitudes 41.998–42.722 and longitudes -71.55 to -70.57.
    row, column = 41 + 90, -72 + 180
    expected = [
        _ONE_DEGREE + (row + dr) * ROW_STRIDE + column + dc for dr in (0, 1) for dc in (0, 1)
    ]
    assert near_areas(GeoArea(42.3601, -71.0589, 40.2336)) == expected


@pytest.mark.parametrize(
    "geo",
    [GeoArea(0.0, 179.9, 400.0), GeoArea(89.5, 10.0, 300.0), GeoArea(42.36, -71.06, 700.0)],
    ids=["date-line", "north-pole", "too-many-areas"],
)
def test_circles_that_touch_too_many_areas_go_without(geo: GeoArea) -> None:
    assert near_areas(geo) is None
    assert "place_areas" not in study_search_sql(_words_near(geo), None)[0]


def _words_near(geo: GeoArea) -> StudyFilter:
    return StudyFilter(
        text=(TextSearch(columns=(), terms=(TextTerm(alternatives=(("cancer",),)),)),), geo=geo
    )


def test_only_searches_with_words_probe_the_circle_with_their_near_hits() -> None:
    geo = GeoArea(42.3601, -71.0589, 40.2336)
    sql, params = study_search_sql(_words_near(geo), None)
    assert "    where %(geo_near_areas)s::bigint[] && trials.place_areas\n        and " in sql
    # A count or a page by relevance keeps the found hits; another order reads them by key.
    assert "from word_hits as trials\nwhere trials.nct_id in (select unnest(found" in sql
    by_update = study_search_sql(_words_near(geo), StudySort("last_update", True))[0]
    assert "where trials.nct_id = any((select found.nct_ids from found)::text[])\n" in by_update
    assert params["geo_near_areas"] == near_areas(geo)
    assert "place_areas" not in study_search_sql(StudyFilter(geo=geo), None)[0]
    # Boston 25 mi holds no whole 1° area: no hit is found from its row.
    assert params["geo_whole_areas"] == []
    assert "in_whole_area" not in sql


def test_hits_in_whole_areas_are_found_from_their_rows() -> None:
    geo = GeoArea(42.3601, -71.0589, 160.0)
    for sort in (None, StudySort(), StudySort("last_update", True)):
        sql, params = study_search_sql(_words_near(geo), sort)
        assert params["geo_whole_areas"]
        assert "%(geo_whole_areas)s::bigint[] && trials.place_areas as in_whole_area\n" in sql
        assert "select word_hits.nct_id from word_hits where word_hits.in_whole_area\n" in sql
    # The found hits keep their named columns, not the flag.
    page = study_search_sql(_words_near(geo), StudySort())[0]
    assert "select\n    trials.nct_id, trials.score, trials.position, trials.distance_km\n" in page
    # The found hits are read from `word_hits` by the names of the columns asked.
    keyed = study_search_sql(_words_near(geo), None, "trials.nct_id as nct_id, trials.x as key")[0]
    assert "select\n    trials.nct_id, trials.key\nfrom word_hits as trials\n" in keyed
    with pytest.raises(ValueError, match="every column must be named"):
        study_search_sql(_words_near(geo), None, "trials.nct_id")
    # Without the areas around the circle the hits are not cut, and none is found by its row.
    too_large = study_search_sql(_words_near(GeoArea(42.36, -71.06, 700.0)), None)[1]
    assert "geo_whole_areas" not in too_large
    assert len(near_areas(GeoArea(47.6, -122.3, 160.9)) or []) <= MAX_NEAR_AREAS


def test_a_search_with_words_and_a_place_finds_the_same_trials(
    pg_real_store: PostgresStore,
) -> None:
    near = SearchQuery(cond="cancer", geo=parse_geo("distance(42.3601,-71.0589,300km)"))
    near_hits = search_studies(pg_real_store, near, page_size=1000).hits
    found = [hit.nct_id for hit in near_hits]
    anywhere = search_studies(pg_real_store, SearchQuery(cond="cancer"), page_size=1000).hits
    geo = GeoArea(42.3601, -71.0589, 300.0)
    in_circle = _exact_trials(pg_real_store.url, geo)
    # The same order and the same ranks (kept from the hits, not computed again by key).
    assert [(hit.nct_id, hit.score) for hit in near_hits] == [
        (hit.nct_id, hit.score) for hit in anywhere if hit.nct_id in in_circle
    ]
    assert len(found) > 10
    # The circle holds whole 1° areas, whose hits are found from their rows.
    assert study_search_sql(_words_near(geo), None)[1]["geo_whole_areas"]
    by_id = search_studies(pg_real_store, dataclasses.replace(near, sort="nct_id"), page_size=1000)
    assert [hit.nct_id for hit in by_id.hits] == sorted(found)
    assert count_studies(pg_real_store, near) == len(found)
    assert sum(facet_studies(pg_real_store, near)["overallStatus"].values()) == len(found)


def test_place_areas_follow_written_and_replaced_trials(
    pg_real_store: PostgresStore, pg_url: str
) -> None:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    located = _trials_with_several_sites(pg_real_store.url)
    store.write_batch([_moved(pg_real_store, nct_id, 1) for nct_id in located], [])
    written = _place_areas(pg_url)
    assert sorted(written) == located
    assert written == _one_degree_trial_areas(pg_url)
    store.write_batch([_moved(store, nct_id, n) for n, nct_id in enumerate(located[:4])], [])
    assert _place_areas(pg_url) == _one_degree_trial_areas(pg_url)
    assert _place_areas(pg_url) != written
    store.close()


def test_migration_0010_lists_the_areas_of_stored_trials(
    pg_real_store: PostgresStore, pg_url: str
) -> None:
    _rewrite_five_located_trials(pg_real_store, pg_url)
    expected = _place_areas(pg_url)
    assert expected
    params: dict[str, Any] = {"name": "0010_search_trial_place_areas"}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("alter table trials drop column place_areas")
        conn.execute("delete from schema_migrations where name = %(name)s", params)
    open_store(pg_url).close()
    assert _place_areas(pg_url) == expected
    (index,) = _rows(
        pg_url,
        """
        select indexdef
        from pg_indexes
        where schemaname = current_schema() and indexname = 'trials_place_areas'
        """,
    )
    assert index[0].endswith(".trials USING gin (place_areas)")
