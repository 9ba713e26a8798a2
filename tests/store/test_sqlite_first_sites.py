"""Migration 0012: each `trial_countries` row holds the position of the trial's first site in
the country and copies of the trial's filter columns, filled for the rows already stored and
kept in step by every write (new trials, rewritten ones, trials moved to other countries)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support import newer_version, writable_sqlite_store
from trialfinder.store import open_store
from trialfinder.store.migrations import SQLITE_MIGRATIONS
from trialfinder.store.rows import COUNTRY_WALK_COLUMNS
from trialfinder.store.sqlite import SQLiteStore

_COPIED = COUNTRY_WALK_COLUMNS


def _stale_rows(db: sqlite3.Connection) -> list[tuple[object, ...]]:
    """`trial_countries` rows whose first position or copied columns differ from what the
    trial's sites and row say (first position: the least one among its sites whose country
    is the row's, case folded)."""
    columns = ", ".join(f"trial_countries.{c}" for c in _COPIED)
    expected = ", ".join(f"trials.{c}" for c in _COPIED)
    return db.execute(
        f"""
        select trial_countries.nct_id, trial_countries.country
        from trial_countries
        left join trials on trials.nct_id = trial_countries.nct_id
        where trial_countries.first_position is not (
                select min(locations.position)
                from locations
                join sites on sites.site_id = locations.site_id
                where locations.nct_id = trial_countries.nct_id
                    and lower(sites.country) = lower(trial_countries.country)
            )
            or ({columns}) is not ({expected})
        """
    ).fetchall()


def _undo_migration_0012(path: Path) -> None:
    """Take migration 0012 out of the closed SQLite store at `path` (its rows stay), so the
    next open applies it to the rows already there."""
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("drop index trial_countries_walk")
        for trigger in (
            "trial_countries_walk_insert",
            "trials_country_walk_insert",
            "trials_country_walk_update",
            "country_facet_totals_update",
        ):
            raw.execute(f"drop trigger {trigger}")
        for column in ("first_position", *_COPIED):
            raw.execute(f"alter table trial_countries drop column {column}")
        raw.execute(
            """
            create trigger country_facet_totals_update after update on trial_countries
            begin
                select raise(abort, 'trial_countries rows are deleted and inserted, not updated');
            end
            """
        )
        raw.execute(
            "delete from schema_migrations where name = :name",
            {"name": "0012_search_country_walk"},
        )
    raw.close()


def test_migration_fills_the_rows_already_stored(tmp_path: Path) -> None:
    writable_sqlite_store(tmp_path).close()
    path = tmp_path / "trials.db"
    _undo_migration_0012(path)
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SQLiteStore)
    assert store.schema_version == SQLITE_MIGRATIONS[-1].name
    store.close()
    db = sqlite3.connect(path)
    (rows,) = db.execute("select count(*) from trial_countries").fetchone()
    assert rows > 1000
    (positioned,) = db.execute(
        "select count(*) from trial_countries where first_position > 0"
    ).fetchone()
    assert positioned > 100  # many first sites in a country are not the trial's first site
    assert _stale_rows(db) == []
    db.close()


def test_writes_keep_first_sites_and_copies_in_step(tmp_path: Path) -> None:
    store = writable_sqlite_store(tmp_path)
    db = sqlite3.connect(tmp_path / "trials.db")
    assert _stale_rows(db) == []
    nct_ids = [
        row[0]
        for row in db.execute(
            """
            select nct_id
            from trial_countries
            group by nct_id
            having count(*) > 1
            order by nct_id
            limit 12
            """
        )
    ]
    assert len(nct_ids) == 12
    # Other status, phases, volunteers flag, last update, fewer sites, some moved to Iceland.
    store.write_batch([newer_version(store, nct_id, n) for n, nct_id in enumerate(nct_ids)], [])
    db.execute("select 1").fetchone()  # a fresh read after the store's commit
    assert _stale_rows(db) == []
    (rewritten,) = db.execute(
        """
        select count(*)
        from trial_countries
        where last_update_posted = '2099-01-01'
        """
    ).fetchone()
    assert rewritten >= 12
    # A trial's own columns changed in place (no rewrite of its sites) reach its rows too.
    store._db.execute(
        "update trials set overall_status = 'SUSPENDED' where nct_id = :nct_id",
        {"nct_id": nct_ids[0]},
    )
    store._db.commit()
    assert _stale_rows(db) == []
    db.close()
    store.close()
