"""Writing a batch to PostgreSQL: trials, their child rows, sites, raw records and quarantine.

`write` runs inside the caller's transaction on one connection; `PostgresStore.write_batch` opens
it. Writers take a transaction advisory lock per NCT id, in NCT id order, before they read what
is stored, so concurrent ingests judge each record against what the other committed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg

from trialfinder.store.base import QuarantineEntry, StoredRecord, WriteCounts, plan_upserts
from trialfinder.store.rows import TRIAL_COLUMNS, SiteRow, compress, sha256

Connection = psycopg.Connection[Any]

_NON_WORD = re.compile(r"[\W_]+")

_CHILD_TABLES = (
    "trial_conditions",
    "trial_interventions",
    "trial_phases",
    "locations",
    "trial_countries",
    "trial_criteria",
)
UPSERT_CRITERIA = """
    insert into trial_criteria (
        nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min, data
    )
    values (%s, %s, %s, %s, %s, %s, %s)
    on conflict (nct_id) do update set
        engine_version = excluded.engine_version,
        min_age_years = excluded.min_age_years,
        max_age_years = excluded.max_age_years,
        ecog_max = excluded.ecog_max,
        egfr_min = excluded.egfr_min,
        data = excluded.data
    """
"""Upsert of a `CriteriaRow`: by `save_criteria`, and by `write_batch` with its trial."""


def quote_identifier(name: str) -> str:
    """Quote a table or column name of ours for PostgreSQL."""
    return '"' + name.replace('"', '""') + '"'


def search_words(text: str) -> str:
    """Text split into words the way SQLite's unicode61 tokenizer splits it (`-`, `_`, ...)."""
    return _NON_WORD.sub(" ", text)


_DOCUMENT = """
                setweight(to_tsvector('trialfinder_english', %s), 'A')
                || setweight(to_tsvector('trialfinder_english', %s), 'B')
                || setweight(to_tsvector('trialfinder_english', %s), 'C')
                || setweight(to_tsvector('trialfinder_english', %s), 'B')
                || setweight(to_tsvector('trialfinder_english', %s), 'D')
                || setweight(to_tsvector('trialfinder_english', %s), 'D')"""
"""The weighted document of a trial from its search columns in `rows.SEARCH_COLUMNS` order:
title A, conditions B, interventions C, keywords B, summary D, criteria D (see
`postgres_search.TEXT_LABELS`)."""

_TRIAL_UPDATES = ",\n                ".join(
    f"{quote_identifier(c)} = excluded.{quote_identifier(c)}"
    for c in (*TRIAL_COLUMNS[1:], "raw_sha256", "document", "record")
)

_UPSERT_TRIAL = f"""
            insert into trials (
                {", ".join(quote_identifier(c) for c in TRIAL_COLUMNS)},
                raw_sha256, document, record
            )
            values (
                {", ".join(["%s"] * len(TRIAL_COLUMNS))},
                %s,{_DOCUMENT},
                %s
            )
            on conflict (nct_id) do update set
                {_TRIAL_UPDATES}
            """


def write(
    conn: Connection,
    records: Sequence[StoredRecord],
    quarantined: Sequence[QuarantineEntry],
    counts: WriteCounts,
) -> None:
    """Write a batch; outcome and counts are those of upserting the records in order."""
    nct_ids = sorted({r.nct_id for r in records})
    if nct_ids:
        # unnest keeps the sorted order, so every writer locks in the same order.
        conn.execute(
            """
            select pg_advisory_xact_lock(hashtextextended(nct_id, 0))
            from unnest(%(nct_ids)s::text[]) as nct_id
            """,
            {"nct_ids": nct_ids},
        )
    stored = {
        nct_id: (last_update, digest)
        for nct_id, last_update, digest in conn.execute(
            """
            select nct_id, last_update_posted, raw_sha256
            from trials
            where nct_id = any(%(nct_ids)s::text[])
            """,
            {"nct_ids": nct_ids},
        )
    }
    written, merged = plan_upserts(records, stored, counts)

    replaced = sorted(nct_id for nct_id in written if nct_id in stored)
    if replaced:
        for table in _CHILD_TABLES:
            conn.execute(
                f"""
                delete from {quote_identifier(table)}
                where nct_id = any(%(nct_ids)s::text[])
                """,
                {"nct_ids": replaced},
            )
    if written:
        _insert_trials(conn, [written[n] for n in sorted(written)], merged)
    if quarantined:
        entries = sorted(
            (e.origin, e.position, e.code, e.reason, sha256(e.raw), compress(e.raw))
            for e in quarantined
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                """
                insert into quarantine (origin, position, code, reason, sha256, data)
                values (%s, %s, %s, %s, %s, %s)
                on conflict (origin, position, sha256) do nothing
                """,
                entries,
            )
        counts.quarantined += len(quarantined)


def _insert_trials(
    conn: Connection, records: list[StoredRecord], sites: dict[str, SiteRow]
) -> None:
    """Upsert trials and sites, then copy in their child, location and raw rows."""
    with conn.cursor() as cursor:
        cursor.executemany(
            _UPSERT_TRIAL,
            [
                (
                    *r.rows.trial,
                    r.raw_sha256,
                    *(search_words(text) for text in r.rows.search),
                    r.trial_blob,
                )
                for r in records
            ],
        )
        # Sorted, so concurrent writers of shared sites take their row locks in one order.
        # The where clause skips updates that would change nothing: most sites are shared.
        cursor.executemany(
            """
            insert into sites (site_id, name, city, state, zip, country, lat, lon)
            values (%s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (site_id) do update set
                lat = coalesce(excluded.lat, sites.lat),
                lon = coalesce(excluded.lon, sites.lon),
                state = case when excluded.state != '' then excluded.state else sites.state end,
                zip = case when excluded.zip != '' then excluded.zip else sites.zip end
            where (excluded.lat is not null and excluded.lat is distinct from sites.lat)
                or (excluded.lon is not null and excluded.lon is distinct from sites.lon)
                or (excluded.state != '' and excluded.state != sites.state)
                or (excluded.zip != '' and excluded.zip != sites.zip)
            """,
            [sites[s] for s in sorted(sites)],
        )
        cursor.executemany(
            """
            insert into raw_records (nct_id, format, origin, position, sha256, data)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (nct_id) do update set
                format = excluded.format,
                origin = excluded.origin,
                position = excluded.position,
                sha256 = excluded.sha256,
                data = excluded.data
            """,
            [(r.nct_id, r.format, r.origin, r.position, r.raw_sha256, r.raw_blob) for r in records],
        )
        for copy_sql, rows in (
            (
                "copy trial_conditions (nct_id, term, kind) from stdin",
                [row for r in records for row in r.rows.conditions],
            ),
            (
                "copy trial_interventions (nct_id, type, name, kind) from stdin",
                [row for r in records for row in r.rows.interventions],
            ),
            (
                "copy trial_phases (nct_id, phase) from stdin",
                [row for r in records for row in r.rows.phases],
            ),
            (
                "copy locations (nct_id, position, site_id, status, lat, lon) from stdin",
                [row for r in records for row in r.rows.locations],
            ),
        ):
            if rows:
                with cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
        cursor.execute(
            """
            insert into trial_countries (nct_id, country)
            select distinct locations.nct_id, sites.country
            from locations
            join sites on sites.site_id = locations.site_id
            where locations.nct_id = any(%(nct_ids)s::text[])
                and sites.country != ''
            """,
            {"nct_ids": [r.nct_id for r in records]},
        )
        # Readings of replaced trials were deleted with their child rows: a trial written
        # without one (ingest --no-criteria) keeps none rather than an older version's.
        criteria = [r.criteria for r in records if r.criteria is not None]
        if criteria:
            cursor.executemany(UPSERT_CRITERIA, criteria)
