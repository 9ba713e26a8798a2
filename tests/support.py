"""Helpers any test module may import: where the shared data is, and the hand-made fixtures."""

from __future__ import annotations

import functools
import importlib.util
import math
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import msgspec
import pytest
from hypothesis import strategies as st

from trialfinder.criteria.constraints import AgeConstraint, Measurement, ScoreConstraint
from trialfinder.criteria.parser import parse_criterion
from trialfinder.ingest import ingest
from trialfinder.store import Store, open_store
from trialfinder.store.base import GeoArea, StoredRecord
from trialfinder.store.sqlite import SQLiteStore
from trialfinder.store.sqlite_geo import ROW_STRIDE

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@functools.cache
def bench_module(name: str) -> ModuleType:
    """`bench/<name>.py`, imported once from its file (bench/ is not a package; its scripts put
    bench/ on the path for their own imports)."""
    path = REPO_ROOT / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def shared_data(*parts: str) -> Path:
    """Path inside ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"needs the shared sample data at {path} (the 'shared' folder beside the checkout)"
        )
    return path


def writable_sqlite_store(folder: Path) -> SQLiteStore:
    """A fresh SQLite store in `folder` holding the shared API v2 studies (skips without them)."""
    store = open_store(f"sqlite:///{folder / 'trials.db'}")
    ingest(store, [shared_data("ctgov")])
    assert isinstance(store, SQLiteStore)
    return store


def newer_version(store: Store, nct_id: str, n: int) -> StoredRecord:
    """A newer version of a stored trial, varied by `n`: another status, phases and volunteers
    flag, fewer sites, for n % 4 == 0 two of them moved to Iceland."""
    trial = store.get_trial(nct_id)
    raw = store.get_raw(nct_id)
    assert trial is not None and raw is not None
    locations = trial.locations[n % 3 :: 2]
    if n % 4 == 0 and locations:
        locations = [msgspec.structs.replace(loc, country="Iceland") for loc in locations[:2]]
    changed = msgspec.structs.replace(
        trial,
        overall_status=("COMPLETED", "RECRUITING", "WITHDRAWN")[n % 3],
        phases=[["PHASE3"], [], ["PHASE1", "PHASE2"]][n % 3],
        healthy_volunteers=(None, True, False)[n % 3],
        locations=locations,
        last_update_posted="2099-01-01",
    )
    # Other raw bytes too: a record whose raw bytes are stored already counts as unchanged.
    return StoredRecord.of(changed, raw[1] + f" {n}".encode(), raw[0], "test", str(n))


def undo_sqlite_migration_0007(path: Path) -> None:
    """Take the tables of migration 0007 out of the closed SQLite store at `path`, so that the
    next open applies it to the rows already there."""
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("drop table trials_cond_fts")
        raw.execute("drop trigger trial_facet_keys_delete")
        for table in ("facet_keys", "facet_key_countries", "trial_facet_keys"):
            raw.execute(f"drop table {table}")
        raw.execute(
            "delete from schema_migrations where name = :name",
            {"name": "0007_search_condition_index_and_facet_keys"},
        )
    raw.close()


def delete_trials_rows_in_either_order(db: sqlite3.Connection, nct_ids: list[str]) -> None:
    """Delete the trials and their country rows, the first half countries first, the second half
    trials first (the triggers must follow either order)."""
    half = len(nct_ids) // 2
    with db:
        for nct_id in nct_ids[:half]:
            db.execute("delete from trial_countries where nct_id = ?", (nct_id,))
            db.execute("delete from trials where nct_id = ?", (nct_id,))
        for nct_id in nct_ids[half:]:
            db.execute("delete from trials where nct_id = ?", (nct_id,))
            db.execute("delete from trial_countries where nct_id = ?", (nct_id,))


def site_near_rim(
    lat: float, lon: float, radius_km: float, bearing: float, reach: float
) -> tuple[float, float]:
    """Return a site ``reach`` radii from the circle's centre along ``bearing`` (radians).

    The place-set properties draw sites from 0 to 1.2 radii, so many fall near the rim.
    """
    degrees = radius_km * reach / 111.0
    site_lat = max(-90.0, min(90.0, lat + degrees * math.cos(bearing)))
    site_lon = lon + degrees * math.sin(bearing) / max(math.cos(math.radians(lat)), 0.05)
    return site_lat, max(-180.0, min(180.0, site_lon))


def sqlite_distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """SQLite's own evaluation of the store's distance formula."""
    db = sqlite3.connect(":memory:")
    (km,) = db.execute(
        """
        select 6371.0088 * 2 * asin(min(1.0, sqrt(
            pow(sin(radians(? - ?) / 2), 2)
            + cos(radians(?)) * cos(radians(?)) * pow(sin(radians(? - ?) / 2), 2)
        )))
        """,
        (lat2, lat1, lat1, lat2, lon2, lon1),
    ).fetchone()
    return float(km)


def grid_cell(lat: float, lon: float) -> int:
    """The 0.01° site-grid cell of a point, as the SQLite store numbers it."""
    return math.floor((lat + 90.0) * 100.0) * ROW_STRIDE + math.floor((lon + 180.0) * 100.0)


CENTRES = ((42.36, -71.06), (48.86, 2.35), (35.68, 139.69), (-33.87, 151.21), (-23.55, -46.63))
"""Places near real sites: Boston, Paris, Tokyo, Sydney, São Paulo."""


def circles_near_sites() -> st.SearchStrategy[GeoArea]:
    """Circles around `CENTRES`, moved up to half a degree and 1–600 km wide, at random."""
    return st.builds(
        lambda centre, lat_shift, lon_shift, radius_km: GeoArea(
            centre[0] + lat_shift, centre[1] + lon_shift, radius_km
        ),
        st.sampled_from(CENTRES),
        st.floats(-0.5, 0.5),
        st.floats(-0.5, 0.5),
        st.floats(1, 600),
    )


Bound = tuple[str, float | None, float | None]
"""(analyte or scale, low, high) of a measurement or score read from a criterion."""


def lab_bounds(text: str) -> list[Bound]:
    """Return (analyte, low, high) of each measurement read from ``text``."""
    return [
        (c.analyte, c.bounds.low, c.bounds.high)
        for c in parse_criterion(text)
        if isinstance(c, Measurement)
    ]


def score_bounds(text: str) -> list[Bound]:
    """Return (scale, low, high) of each score read from ``text``."""
    return [
        (c.score, c.bounds.low, c.bounds.high)
        for c in parse_criterion(text)
        if isinstance(c, ScoreConstraint)
    ]


def age_years(text: str) -> list[tuple[float | None, float | None]]:
    """Return (low, high) in years of each age read from ``text``."""
    return [
        (c.years.low, c.years.high) for c in parse_criterion(text) if isinstance(c, AgeConstraint)
    ]


def run_in_two_threads(work: Callable[[int], None]) -> None:
    """Run ``work(0)`` and ``work(1)`` at once (two writers on one database) and raise the first
    error either met, so a failing writer fails the test."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # reported by the calling thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
