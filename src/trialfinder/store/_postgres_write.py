"""Writing a batch to PostgreSQL: trials, their child rows, sites, raw records and quarantine.

`write` runs inside the caller's transaction on one connection; `PostgresStore.write_batch` opens
it. Writers take a transaction advisory lock per NCT id, in NCT id order, before they read what
is stored, so concurrent ingests judge each record against what the other committed.

Rows travel by `copy`, not one statement per row: child rows straight into their tables (a
replaced trial's are deleted first, so none can conflict), trials and sites into temporary
tables dropped at commit, from which one statement each upserts them, computing the search
document on the server. Row by row, the sites upsert alone cost more than all the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from trialfinder.store.base import QuarantineEntry, StoredRecord, WriteCounts, plan_upserts
from trialfinder.store.postgres_bm25 import refresh_trials
from trialfinder.store.postgres_facet_keys import REFRESH_PENDING_KEYS
from trialfinder.store.postgres_geo import AREA_ROWS, DELETE_AREAS, PLACE_AREAS
from trialfinder.store.postgres_word_ids import WRITE_ROWS as WORD_ID_ROWS
from trialfinder.store.rows import (
    COUNTRY_WALK_COLUMNS,
    SEARCH_COLUMNS,
    TRIAL_COLUMNS,
    SiteRow,
    TrialRows,
    compress,
    sha256,
)

Connection = psycopg.Connection[Any]
Cursor = psycopg.Cursor[Any]

_NON_WORD = re.compile(r"[\W_]+")

_CHILD_TABLES = (
    "trial_conditions",
    "trial_interventions",
    "trial_phases",
    "locations",
    "trial_countries",
    "trial_criteria",
    "raw_records",
    "trial_documents",
)
"""Tables of a trial's rows besides `trials`: a replaced trial's are deleted, then written anew."""

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
"""Upsert of a `CriteriaRow`, by `save_criteria`."""


def quote_identifier(name: str) -> str:
    """Quote a table or column name of ours for PostgreSQL."""
    return '"' + name.replace('"', '""') + '"'


def search_words(text: str) -> str:
    """Text split into words the way SQLite's unicode61 tokenizer splits it (`-`, `_`, ...)."""
    return _NON_WORD.sub(" ", text)


_STAGED_TRIAL_COLUMNS = (
    *TRIAL_COLUMNS,
    "raw_sha256",
    *SEARCH_COLUMNS,
    "record",
    "site_lats",
    "site_lons",
)
"""Columns of `staged_trials`: the `trials` columns written as given, the search texts in
`rows.SEARCH_COLUMNS` order, the encoded trial, and the coordinates of its located sites (for
`trials.place_areas`)."""

_STAGE_TRIALS = f"""
    create temporary table staged_trials on commit drop as
    select
        {", ".join(quote_identifier(c) for c in TRIAL_COLUMNS)},
        raw_sha256,
        {", ".join(f"null::text as {quote_identifier(c)}" for c in SEARCH_COLUMNS)},
        record,
        null::double precision[] as site_lats,
        null::double precision[] as site_lons
    from trials
    with no data
    """

_DOCUMENT = """
        setweight(to_tsvector('trialfinder_english', staged_trials.title), 'A')
        || setweight(to_tsvector('trialfinder_english', staged_trials.conditions), 'B')
        || setweight(to_tsvector('trialfinder_english', staged_trials.interventions), 'C')
        || setweight(to_tsvector('trialfinder_english', staged_trials.keywords), 'B')
        || setweight(to_tsvector('trialfinder_english', staged_trials.summary), 'D')
        || setweight(to_tsvector('trialfinder_english', staged_trials.criteria), 'D')"""
"""The weighted document of a trial from its search texts: title A, conditions B,
interventions C, keywords B, summary D, criteria D (see `postgres_search.TEXT_LABELS`)."""

_WRITTEN_TRIAL_COLUMNS = (*TRIAL_COLUMNS, "raw_sha256", "document", "record", "place_areas")

_TRIAL_UPDATES = ",\n        ".join(
    f"{quote_identifier(c)} = excluded.{quote_identifier(c)}" for c in _WRITTEN_TRIAL_COLUMNS[1:]
)

# Sorted, so concurrent writers of trials take their row locks in one order.
_UPSERT_TRIALS = f"""
    insert into trials (
        {", ".join(quote_identifier(c) for c in _WRITTEN_TRIAL_COLUMNS)}
    )
    select
        {", ".join(f"staged_trials.{quote_identifier(c)}" for c in TRIAL_COLUMNS)},
        staged_trials.raw_sha256,{_DOCUMENT},
        staged_trials.record,
        {PLACE_AREAS}
    from staged_trials
    order by staged_trials.nct_id
    on conflict (nct_id) do update set
        {_TRIAL_UPDATES}
    """

_COPY_DOCUMENTS = """
    insert into trial_documents (nct_id, overall_status, facet_key, document)
    select trials.nct_id, trials.overall_status, trial_facet_keys.key, trials.document
    from staged_trials
    join trials on trials.nct_id = staged_trials.nct_id
    join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
    order by trials.nct_id
    """
"""The searched copy of the documents just written, with their facet keys (migration 0015;
their trials had none: new, or their rows were deleted with the other child rows)."""

_UPSERT_SEARCH_ROWS = """
    insert into trial_search (nct_id, overall_status, facet_key, place_areas, core_document)
    select
        trials.nct_id, trials.overall_status, trial_facet_keys.key, trials.place_areas,
        trials.core_document
    from trials
    join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
    where trials.nct_id = any(%(nct_ids)s::text[])
    order by trials.nct_id
    on conflict (nct_id) do update set
        overall_status = excluded.overall_status,
        facet_key = excluded.facet_key,
        place_areas = excluded.place_areas,
        core_document = excluded.core_document
    """
"""The `trial_search` rows (migration 0012) of the trials `%(nct_ids)s` just written, with
their facet keys: a copy of what a search of `core_document` reads."""

_UPSERT_WORD_ROWS = """
    insert into trial_words (nct_id, overall_status, facet_key, place_areas, words)
    select
        trial_search.nct_id, trial_search.overall_status, trial_search.facet_key,
        trial_search.place_areas, strip(ts_filter(trial_search.core_document, '{a,b}'))
    from trial_search
    where trial_search.nct_id = any(%(nct_ids)s::text[])
    order by trial_search.nct_id
    on conflict (nct_id) do update set
        overall_status = excluded.overall_status,
        facet_key = excluded.facet_key,
        place_areas = excluded.place_areas,
        words = excluded.words
    """
"""The `trial_words` rows (migration 0015) of the trials `%(nct_ids)s`, from their search rows
just written: the title, conditions and keywords words (labels A and B), without labels or
positions."""

_SITE_COLUMNS = ("site_id", "name", "city", "state", "zip", "country", "lat", "lon")

_STAGE_SITES = """
    create temporary table staged_sites on commit drop as
    select site_id, name, city, state, zip, country, lat, lon
    from sites
    with no data
    """

# Sorted, so concurrent writers of shared sites take their row locks in one order.
# The where clause skips updates that would change nothing: most sites are shared.
_UPSERT_SITES = """
    insert into sites (site_id, name, city, state, zip, country, lat, lon)
    select site_id, name, city, state, zip, country, lat, lon
    from staged_sites
    order by site_id
    on conflict (site_id) do update set
        lat = coalesce(excluded.lat, sites.lat),
        lon = coalesce(excluded.lon, sites.lon),
        state = case when excluded.state != '' then excluded.state else sites.state end,
        zip = case when excluded.zip != '' then excluded.zip else sites.zip end
    where (excluded.lat is not null and excluded.lat is distinct from sites.lat)
        or (excluded.lon is not null and excluded.lon is distinct from sites.lon)
        or (excluded.state != '' and excluded.state != sites.state)
        or (excluded.zip != '' and excluded.zip != sites.zip)
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
        # Found by the locations they come from, so before those go.
        conn.execute(DELETE_AREAS, {"nct_ids": replaced})
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
    if written:
        # Last: it takes the one lock all writers share (see `refresh_trials`).
        refresh_trials(conn, replaced, sorted(written))
        # Under that lock: the word ids of new words were just assigned.
        conn.execute(WORD_ID_ROWS, {"nct_ids": sorted(written)})


CLEAN_PENDING_INDEX_ENTRIES = """
select gin_clean_pending_list(indexes.oid)
from pg_class as indexes
join pg_am on pg_am.oid = indexes.relam
where pg_am.amname = 'gin'
    and indexes.relnamespace = to_regnamespace(current_schema())
    and pg_has_role(indexes.relowner, 'USAGE')
order by indexes.oid
"""
"""Move the entries waiting in the pending lists of the store's GIN indexes (those its role
owns, as `gin_clean_pending_list` requires) into the indexes proper, in one order for every
writer.

A GIN index (fast update, PostgreSQL's default) keeps the entries of rows written since its
last clean-up in an unsorted pending list that every scan of the index reads whole and tests
entry by entry, until the list passes `gin_pending_list_limit` (4 MB) or a vacuum runs. At
100,000 studies with ~6,000 trials rewritten since the fill the lists held 75-398 pages per
index, and a count or facet set of words near a place spent 2-4.5 ms of server CPU on them
(measured against freshly built indexes; BENCHMARKS.md, session 13). The store runs this after
each batch it commits, so searches find the lists empty between batches; the entries are the
ones a later clean-up would move anyway (sorted, in bulk)."""


_COUNTRY_WALK_INDEXES = tuple(TRIAL_COLUMNS.index(c) for c in COUNTRY_WALK_COLUMNS)


def country_rows(rows: TrialRows) -> list[tuple[Any, ...]]:
    """`trial_countries` rows: the record's distinct site countries, as the SQLite store writes
    them, each with the position of the trial's first site there (the site a page of a country
    search shows) and the trial's `COUNTRY_WALK_COLUMNS`."""
    first: dict[str, int] = {}
    for site, location in zip(rows.sites, rows.locations, strict=True):
        first.setdefault(site[5], location[1])
    copied = tuple(rows.trial[i] for i in _COUNTRY_WALK_INDEXES)
    return [(nct_id, country, first[country], *copied) for nct_id, country in rows.countries]


def _copy(
    cursor: Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Copy rows into `table` (one of ours, or a staging table)."""
    names = ", ".join(quote_identifier(c) for c in columns)
    with cursor.copy(f"copy {quote_identifier(table)} ({names}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def _located(
    locations: Sequence[tuple[str, int, str, str, float | None, float | None]],
) -> tuple[list[float], list[float]]:
    """(latitudes, longitudes) of the located sites among a trial's `locations` rows."""
    located = [(lat, lon) for *_, lat, lon in locations if lat is not None and lon is not None]
    return [lat for lat, _ in located], [lon for _, lon in located]


def _insert_trials(
    conn: Connection, records: list[StoredRecord], sites: dict[str, SiteRow]
) -> None:
    """Upsert trials and sites, then copy in their child, location and raw rows, and list the
    trials' areas (`postgres_geo.AREA_ROWS`).

    `records` are in NCT id order; none of them has child rows stored (new, or just deleted).
    """
    with conn.cursor() as cursor:
        cursor.execute(_STAGE_TRIALS)
        _copy(
            cursor,
            "staged_trials",
            _STAGED_TRIAL_COLUMNS,
            (
                (
                    *r.rows.trial,
                    r.raw_sha256,
                    *(search_words(text) for text in r.rows.search),
                    r.trial_blob,
                    *_located(r.rows.locations),
                )
                for r in records
            ),
        )
        cursor.execute(_UPSERT_TRIALS)
        cursor.execute(_STAGE_SITES)
        _copy(cursor, "staged_sites", _SITE_COLUMNS, (sites[s] for s in sorted(sites)))
        cursor.execute(_UPSERT_SITES)
        for table, columns, rows in (
            (
                "raw_records",
                ("nct_id", "format", "origin", "position", "sha256", "data"),
                [
                    (r.nct_id, r.format, r.origin, r.position, r.raw_sha256, r.raw_blob)
                    for r in records
                ],
            ),
            (
                "trial_conditions",
                ("nct_id", "term", "kind"),
                [row for r in records for row in r.rows.conditions],
            ),
            (
                "trial_interventions",
                ("nct_id", "type", "name", "kind"),
                [row for r in records for row in r.rows.interventions],
            ),
            ("trial_phases", ("nct_id", "phase"), [row for r in records for row in r.rows.phases]),
            (
                "locations",
                ("nct_id", "position", "site_id", "status", "lat", "lon"),
                [row for r in records for row in r.rows.locations],
            ),
            (
                "trial_countries",
                ("nct_id", "country", "first_position", *COUNTRY_WALK_COLUMNS),
                [row for r in records for row in country_rows(r.rows)],
            ),
            # Readings of replaced trials were deleted with their child rows: a trial written
            # without one (ingest --no-criteria) keeps none rather than an older version's.
            (
                "trial_criteria",
                (
                    "nct_id",
                    "engine_version",
                    "min_age_years",
                    "max_age_years",
                    "ecog_max",
                    "egfr_min",
                    "data",
                ),
                [r.criteria for r in records if r.criteria is not None],
            ),
        ):
            if rows:
                _copy(cursor, table, columns, rows)
        cursor.execute(AREA_ROWS, {"nct_ids": [r.nct_id for r in records]})
    nct_ids = [r.nct_id for r in records]
    # The keys of the trials and countries just written (migration 0021's triggers listed
    # them), which the rows below carry.
    conn.execute(REFRESH_PENDING_KEYS)
    conn.execute(_COPY_DOCUMENTS)
    conn.execute(_UPSERT_SEARCH_ROWS, {"nct_ids": nct_ids})
    conn.execute(_UPSERT_WORD_ROWS, {"nct_ids": nct_ids})
