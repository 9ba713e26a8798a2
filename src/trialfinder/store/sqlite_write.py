"""SQLite writes: a batch of trials upserted into every table and search index at once.

`SQLiteStore.write_batch` calls `write_records` inside its transaction, under its lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from trialfinder.store import sqlite_facet_keys, sqlite_geo, sqlite_text
from trialfinder.store.base import QuarantineEntry, StoredRecord, WriteCounts, plan_upserts
from trialfinder.store.rows import (
    COUNTRY_WALK_COLUMNS,
    TRIAL_COLUMNS,
    SiteRow,
    SqlValue,
    compress,
    sha256,
)

_CHILD_TABLES = (
    "trial_conditions",
    "trial_interventions",
    "trial_phases",
    "trial_countries",
    "locations",
    "trial_criteria",
)
UPSERT_CRITERIA = """
    insert into trial_criteria (
        nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min, data
    )
    values (?, ?, ?, ?, ?, ?, ?)
    on conflict (nct_id) do update set
        engine_version = excluded.engine_version,
        min_age_years = excluded.min_age_years,
        max_age_years = excluded.max_age_years,
        ecog_max = excluded.ecog_max,
        egfr_min = excluded.egfr_min,
        data = excluded.data
    """
"""Upsert of a `CriteriaRow`: by `save_criteria`, and by `write_batch` with its trial."""


def write_records(
    db: sqlite3.Connection,
    records: Sequence[StoredRecord],
    quarantined: Sequence[QuarantineEntry],
    counts: WriteCounts,
) -> None:
    """Write a batch with one `executemany` per table.

    The outcome (and the counts) are those of upserting the records one by one in order:
    a record repeated within the batch is judged against the copy before it, only the last
    written copy of a trial is inserted, and every written copy's sites are merged in.
    """
    stored = _stored_versions(db, sorted({r.nct_id for r in records}))
    versions = {nct_id: (last, digest) for nct_id, (_, last, digest) in stored.items()}
    written, sites = plan_upserts(records, versions, counts)

    replaced = [(nct_id, stored[nct_id][0]) for nct_id in written if nct_id in stored]
    if replaced:
        _delete_children(db, replaced)
    (next_rowid,) = db.execute("select coalesce(max(rowid), 0) + 1 from trials").fetchone()
    trials: list[tuple[SqlValue, ...]] = []
    search: list[tuple[SqlValue, ...]] = []
    for record in written.values():
        if record.nct_id in stored:
            rowid = stored[record.nct_id][0]
        else:
            rowid = next_rowid
            next_rowid += 1
        trials.append((rowid, *record.rows.trial, record.raw_sha256, record.trial_blob))
        search.append((rowid, *record.rows.search))
    _insert_trials(db, list(written.values()), trials, search, list(sites.values()))
    if quarantined:
        db.executemany(
            """
            insert or ignore into quarantine (origin, position, code, reason, sha256, data)
            values (?, ?, ?, ?, ?, ?)
            """,
            [
                (e.origin, e.position, e.code, e.reason, sha256(e.raw), compress(e.raw))
                for e in quarantined
            ],
        )
        counts.quarantined += len(quarantined)


def _stored_versions(db: sqlite3.Connection, nct_ids: list[str]) -> dict[str, tuple[int, str, str]]:
    """Return nct_id → (rowid, last_update_posted, raw_sha256) of those already stored."""
    stored: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(nct_ids), 500):
        chunk = nct_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, nct_id, last_update, digest in db.execute(
            f"""
            select rowid, nct_id, last_update_posted, raw_sha256
            from trials
            where nct_id in ({marks})
            """,
            chunk,
        ):
            stored[nct_id] = (rowid, last_update, digest)
    return stored


def _delete_children(db: sqlite3.Connection, trials: list[tuple[str, int]]) -> None:
    """Delete the child, location and search rows of these (nct_id, rowid) trials."""
    sqlite_geo.delete_trial_sites(db, trials)
    for table in _CHILD_TABLES:
        db.executemany(f"delete from {table} where nct_id = ?", [(nct_id,) for nct_id, _ in trials])
    rowids = [rowid for _, rowid in trials]
    sqlite_text.delete_condition_rows(db, rowids)
    db.executemany("delete from trials_fts where rowid = ?", [(r,) for r in rowids])


def _insert_trials(
    db: sqlite3.Connection,
    records: list[StoredRecord],
    trials: list[tuple[SqlValue, ...]],
    search: list[tuple[SqlValue, ...]],
    sites: list[SiteRow],
) -> None:
    """Upsert trials (rowids chosen by the caller) and insert their rows in every table."""
    db.executemany(
        """
        insert into trials (
            rowid, nct_id, brief_title, official_title, acronym, overall_status, study_type,
            phases, sex, minimum_age_years, maximum_age_years, std_ages, healthy_volunteers,
            has_results, enrollment_count, start_date, first_posted, last_update_posted,
            lead_sponsor, raw_sha256, record
        )
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (nct_id) do update set
            brief_title = excluded.brief_title,
            official_title = excluded.official_title,
            acronym = excluded.acronym,
            overall_status = excluded.overall_status,
            study_type = excluded.study_type,
            phases = excluded.phases,
            sex = excluded.sex,
            minimum_age_years = excluded.minimum_age_years,
            maximum_age_years = excluded.maximum_age_years,
            std_ages = excluded.std_ages,
            healthy_volunteers = excluded.healthy_volunteers,
            has_results = excluded.has_results,
            enrollment_count = excluded.enrollment_count,
            start_date = excluded.start_date,
            first_posted = excluded.first_posted,
            last_update_posted = excluded.last_update_posted,
            lead_sponsor = excluded.lead_sponsor,
            raw_sha256 = excluded.raw_sha256,
            record = excluded.record
        """,
        trials,
    )
    db.executemany(
        """
        insert into trials_fts (
            rowid, title, conditions, interventions, keywords, summary, criteria
        )
        values (?, ?, ?, ?, ?, ?, ?)
        """,
        search,
    )
    sqlite_text.insert_condition_rows(db, [row[0] for row in search])
    db.executemany(
        """
        insert into trial_conditions (nct_id, term, kind)
        values (?, ?, ?)
        """,
        [row for r in records for row in r.rows.conditions],
    )
    db.executemany(
        """
        insert into trial_interventions (nct_id, type, name, kind)
        values (?, ?, ?, ?)
        """,
        [row for r in records for row in r.rows.interventions],
    )
    db.executemany(
        """
        insert into trial_phases (nct_id, phase)
        values (?, ?)
        """,
        [row for r in records for row in r.rows.phases],
    )
    # The where clause skips updates that would change nothing: most sites are shared.
    db.executemany(
        """
        insert into sites (site_id, name, city, state, zip, country, lat, lon)
        values (?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (site_id) do update set
            lat = coalesce(excluded.lat, sites.lat),
            lon = coalesce(excluded.lon, sites.lon),
            state = case when excluded.state != '' then excluded.state else sites.state end,
            zip = case when excluded.zip != '' then excluded.zip else sites.zip end
        where (excluded.lat is not null and excluded.lat is not sites.lat)
            or (excluded.lon is not null and excluded.lon is not sites.lon)
            or (excluded.state != '' and excluded.state != sites.state)
            or (excluded.zip != '' and excluded.zip != sites.zip)
        """,
        sites,
    )
    db.executemany(
        """
        insert into locations (nct_id, position, site_id, status, lat, lon)
        values (?, ?, ?, ?, ?, ?)
        """,
        [row for r in records for row in r.rows.locations],
    )
    # The search indexes (trial_geo of migration 0005, trial_countries of 0003), filled
    # per trial in bulk (per-location triggers cost about twice as much).
    rowids = [(row[0], row[1]) for row in trials]
    sqlite_geo.insert_trial_sites(db, rowids)
    db.executemany(
        """
        insert or ignore into trial_countries (
            nct_id, country, first_position, last_update_posted, overall_status, study_type,
            sex, healthy_volunteers, has_results, std_ages, phases, minimum_age_years,
            maximum_age_years
        )
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [row for r in records for row in _country_rows(r)],
    )
    sqlite_facet_keys.refresh_facet_keys(db, [row[0] for row in trials])
    db.executemany(
        """
        insert into raw_records (nct_id, format, origin, position, sha256, data)
        values (?, ?, ?, ?, ?, ?)
        on conflict (nct_id) do update set
            format = excluded.format,
            origin = excluded.origin,
            position = excluded.position,
            sha256 = excluded.sha256,
            data = excluded.data
        """,
        [(r.nct_id, r.format, r.origin, r.position, r.raw_sha256, r.raw_blob) for r in records],
    )
    # Readings of replaced trials were deleted with their child rows: a trial written
    # without one (ingest --no-criteria) keeps none rather than an older version's.
    db.executemany(UPSERT_CRITERIA, [r.criteria for r in records if r.criteria is not None])


_WALK_COLUMNS = tuple(TRIAL_COLUMNS.index(column) for column in COUNTRY_WALK_COLUMNS)
"""Positions in `TrialRows.trial` of the columns each `trial_countries` row copies (0012)."""


def _country_rows(record: StoredRecord) -> list[tuple[SqlValue, ...]]:
    """The record's `trial_countries` rows (migration 0012): each country with the position of
    the trial's first site there (countries compared case folded) and the trial's columns."""
    rows = record.rows
    country_of = {site[0]: site[5].lower() for site in rows.sites}
    first: dict[str, int] = {}
    for _, position, site_id, *_ in rows.locations:
        country = country_of.get(site_id, "")
        first[country] = min(position, first.get(country, position))
    copied = tuple(rows.trial[i] for i in _WALK_COLUMNS)
    return [
        (nct_id, country, first.get(country.lower()), *copied) for nct_id, country in rows.countries
    ]
