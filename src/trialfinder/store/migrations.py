"""Named schema migrations, applied in order and recorded in `schema_migrations`.

A migration is never edited once released: change the schema by appending a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from trialfinder.store._postgres_write import CLEAN_PENDING_INDEX_ENTRIES
from trialfinder.store.postgres_bm25 import SCHEMA_0016 as BM25_SCHEMA
from trialfinder.store.postgres_bm25 import SCHEMA_0017 as BM25_EXACT_SCHEMA
from trialfinder.store.postgres_changes import SCHEMA_0019 as CHANGES_SCHEMA
from trialfinder.store.postgres_changes import notify_on_change
from trialfinder.store.postgres_facet_keys import REFRESH_FUNCTION_0022
from trialfinder.store.postgres_facet_keys import SCHEMA_0021 as FACET_KEYS_KEPT_SCHEMA
from trialfinder.store.postgres_word_ids import SCHEMA_0022 as WORD_IDS_SCHEMA
from trialfinder.store.postgres_word_ids import TABLE as WORD_IDS_TABLE
from trialfinder.store.sqlite_facet_keys import refresh_facet_keys
from trialfinder.store.sqlite_text import insert_condition_rows
from trialfinder.store.sqlite_totals import FACET_KEY_COLUMNS


@dataclass(frozen=True, slots=True)
class Migration:
    """One named schema change: the statements to run, in order, then `fill` (SQLite only:
    rows that SQL alone cannot compute), in the same transaction."""

    name: str
    statements: tuple[str, ...]
    fill: Callable[[sqlite3.Connection], None] | None = None


_FACET_KEY = ", ".join(FACET_KEY_COLUMNS)
_FACET_KEY_DDL = ",\n                ".join(
    f"{column} {'integer' if column.startswith(('healthy', 'has')) else 'text'} not null"
    for column in FACET_KEY_COLUMNS
)


def _facet_key(table: str) -> str:
    """The facet key of a `trials` row (`new`, `old` or `trials`): its columns, unknown
    healthy_volunteers as -1."""
    return ", ".join(
        f"coalesce({table}.{c}, -1)" if c == "healthy_volunteers" else f"{table}.{c}"
        for c in FACET_KEY_COLUMNS
    )


def _add_trial(row: str) -> str:
    """Trigger statements counting the `trials` row `row` in both totals."""
    return f"""insert into facet_totals ({_FACET_KEY}, trials)
                values ({_facet_key(row)}, 1)
                on conflict ({_FACET_KEY}) do update set
                    trials = trials + 1;
                insert into country_facet_totals (country, other, {_FACET_KEY}, trials)
                select
                    one.country, other.country, {_facet_key(row)}, 1
                from trial_countries as one
                join trial_countries as other on other.nct_id = one.nct_id
                where one.nct_id = {row}.nct_id
                on conflict (country, other, {_FACET_KEY}) do update set
                    trials = trials + 1;"""


def _remove_trial(row: str) -> str:
    """Trigger statements taking the `trials` row `row` out of both totals."""
    return f"""update facet_totals
                set trials = trials - 1
                where ({_FACET_KEY}) = ({_facet_key(row)});
                update country_facet_totals
                set trials = trials - 1
                where (country, other, {_FACET_KEY}) in (
                    select
                        one.country, other.country, {_facet_key(row)}
                    from trial_countries as one
                    join trial_countries as other on other.nct_id = one.nct_id
                    where one.nct_id = {row}.nct_id
                );"""


def _rowid_batches(db: sqlite3.Connection, table: str) -> Iterator[list[int]]:
    """Yield the rowids of ``table`` (a name from this module) in ascending batches of 5,000."""
    last = 0
    while rowids := [
        row[0]
        for row in db.execute(
            f"""
            select rowid
            from {table}
            where rowid > :last
            order by rowid
            limit 5000
            """,
            {"last": last},
        )
    ]:
        yield rowids
        last = rowids[-1]


def _fill_0007(db: sqlite3.Connection) -> None:
    """Migration 0007's rows: the condition index and every trial's facet key, in batches."""
    for rowids in _rowid_batches(db, "trials_fts"):
        insert_condition_rows(db, rowids)
    for rowids in _rowid_batches(db, "trials"):
        refresh_facet_keys(db, rowids)


_COUNTRY_WALK_COLUMNS = """last_update_posted, overall_status, study_type, sex,
                healthy_volunteers, has_results, std_ages, phases, minimum_age_years,
                maximum_age_years"""
"""The `trials` columns that migration 0012 copies into `trial_countries` (written out there)."""

_COUNTRY_WALK_COPY = f"""update trial_countries
                set ({_COUNTRY_WALK_COLUMNS}) = (
                    select {_COUNTRY_WALK_COLUMNS}
                    from trials
                    where trials.nct_id = new.nct_id
                )
                where nct_id = new.nct_id;"""
"""Trigger statement of 0012: the trial `new`'s columns into its `trial_countries` rows."""


def _country_walk_fill(row: str) -> str:
    """Set clause of 0012: the first site in the country and the trial's columns of the
    `trial_countries` row `row`."""
    return f"""first_position = (
                    select locations.position
                    from locations
                    join sites on sites.site_id = locations.site_id
                    where locations.nct_id = {row}.nct_id
                        and lower(sites.country) = lower({row}.country)
                    order by locations.position
                    limit 1
                ),
                ({_COUNTRY_WALK_COLUMNS}) = (
                    select {_COUNTRY_WALK_COLUMNS}
                    from trials
                    where trials.nct_id = {row}.nct_id
                )"""


SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        name="0001_initial",
        statements=(
            """
            create table trials (
                nct_id text primary key,
                brief_title text not null,
                official_title text not null,
                acronym text not null,
                overall_status text not null,
                study_type text not null,
                phases text not null,
                sex text not null,
                minimum_age_years real,
                maximum_age_years real,
                std_ages text not null,
                healthy_volunteers integer,
                has_results integer not null,
                enrollment_count integer,
                start_date text not null,
                first_posted text not null,
                last_update_posted text not null,
                lead_sponsor text not null,
                raw_sha256 text not null,
                record blob not null
            )
            """,
            "create index trials_status on trials (overall_status)",
            "create index trials_last_update on trials (last_update_posted)",
            """
            create table trial_conditions (
                nct_id text not null references trials (nct_id),
                term text not null,
                kind text not null
            )
            """,
            "create index trial_conditions_nct on trial_conditions (nct_id)",
            "create index trial_conditions_term on trial_conditions (term collate nocase)",
            """
            create table trial_interventions (
                nct_id text not null references trials (nct_id),
                type text not null,
                name text not null,
                kind text not null
            )
            """,
            "create index trial_interventions_nct on trial_interventions (nct_id)",
            """
            create table trial_phases (
                nct_id text not null references trials (nct_id),
                phase text not null
            )
            """,
            "create index trial_phases_nct on trial_phases (nct_id)",
            "create index trial_phases_phase on trial_phases (phase)",
            """
            create table sites (
                site_id text primary key,
                name text not null,
                city text not null,
                state text not null,
                zip text not null,
                country text not null,
                lat real,
                lon real
            )
            """,
            "create index sites_country_city on sites (country, city)",
            """
            create table locations (
                nct_id text not null references trials (nct_id),
                position integer not null,
                site_id text not null references sites (site_id),
                status text not null,
                lat real,
                lon real,
                primary key (nct_id, position)
            )
            """,
            "create index locations_site on locations (site_id)",
            "create index locations_lat on locations (lat)",
            """
            create table raw_records (
                nct_id text primary key references trials (nct_id),
                format text not null,
                origin text not null,
                position text not null,
                sha256 text not null,
                data blob not null
            )
            """,
            """
            create table quarantine (
                id integer primary key,
                origin text not null,
                position text not null,
                code text not null,
                reason text not null,
                sha256 text not null,
                data blob not null,
                unique (origin, position, sha256)
            )
            """,
            """
            create virtual table trials_fts using fts5 (
                title, conditions, interventions, keywords, summary, criteria,
                tokenize = 'porter unicode61 remove_diacritics 2'
            )
            """,
            """
            create table state (
                key text primary key,
                value text not null
            )
            """,
        ),
    ),
    Migration(
        name="0002_trial_criteria",
        statements=(
            # The criteria engine's reading of each trial (msgspec JSON of ParsedCriteria), and
            # the few numbers a search filters on. `engine_version` says which rules read it.
            """
            create table trial_criteria (
                nct_id text primary key references trials (nct_id),
                engine_version text not null,
                min_age_years real,
                max_age_years real,
                ecog_max real,
                egfr_min real,
                data blob not null
            )
            """,
            "create index trial_criteria_ecog_max on trial_criteria (ecog_max)",
            "create index trial_criteria_egfr_min on trial_criteria (egfr_min)",
        ),
    ),
    Migration(
        name="0003_search_geo_countries",
        statements=(
            # Distance searches: an R*Tree over every located site of every trial. It carries
            # the trial's rowid and the exact coordinates, so a search near a place reads
            # neither `locations` nor `trials` until it has its page. Triggers keep it (and
            # `trial_countries`) in step with `locations`, whatever writes them.
            """
            create virtual table locations_geo using rtree (
                id,
                min_lat, max_lat,
                min_lon, max_lon,
                +trial_rowid,
                +lat,
                +lon
            )
            """,
            """
            insert into locations_geo (
                id, min_lat, max_lat, min_lon, max_lon, trial_rowid, lat, lon
            )
            select
                locations.rowid, locations.lat, locations.lat, locations.lon, locations.lon,
                trials.rowid, locations.lat, locations.lon
            from locations
            join trials on trials.nct_id = locations.nct_id
            where locations.lat is not null
                and locations.lon is not null
            """,
            """
            create trigger locations_geo_insert after insert on locations
            when new.lat is not null and new.lon is not null
            begin
                insert into locations_geo (
                    id, min_lat, max_lat, min_lon, max_lon, trial_rowid, lat, lon
                )
                values (
                    new.rowid, new.lat, new.lat, new.lon, new.lon,
                    (select rowid from trials where nct_id = new.nct_id), new.lat, new.lon
                );
            end
            """,
            """
            create trigger locations_geo_delete after delete on locations
            begin
                delete from locations_geo where id = old.rowid;
            end
            """,
            # Country filters and the country facet: each trial's distinct site countries
            # (a site's country never changes: it is part of the site's id).
            """
            create table trial_countries (
                nct_id text not null,
                country text not null,
                primary key (nct_id, country)
            ) without rowid
            """,
            """
            insert or ignore into trial_countries (nct_id, country)
            select locations.nct_id, sites.country
            from locations
            join sites on sites.site_id = locations.site_id
            where sites.country != ''
            """,
            "create index trial_countries_country on trial_countries (lower(country), nct_id)",
            """
            create trigger trial_countries_insert after insert on locations
            begin
                insert or ignore into trial_countries (nct_id, country)
                select new.nct_id, sites.country
                from sites
                where sites.site_id = new.site_id
                    and sites.country != '';
            end
            """,
            """
            create trigger trial_countries_delete after delete on locations
            begin
                delete from trial_countries where nct_id = old.nct_id;
            end
            """,
        ),
    ),
    Migration(
        name="0004_search_indexes_written_in_bulk",
        statements=(
            # The store now fills locations_geo and trial_countries per trial in bulk.
            "drop trigger locations_geo_insert",
            "drop trigger locations_geo_delete",
            "drop trigger trial_countries_insert",
            "drop trigger trial_countries_delete",
        ),
    ),
    Migration(
        name="0005_search_geo_grid",
        statements=(
            # Distance searches read `trial_geo` instead of the R*Tree: every located site once,
            # clustered by its cell of a 0.01° grid (row × 40,000 + column), with its trial's
            # rowid and exact coordinates, so the cells of a circle are a few b-tree ranges and
            # the cells wholly inside it need no distance computed (store/sqlite_geo.py).
            """
            create table trial_geo (
                cell integer not null,
                trial_rowid integer not null,
                location_rowid integer not null,
                lat real not null,
                lon real not null,
                primary key (cell, trial_rowid, location_rowid)
            ) without rowid
            """,
            """
            insert into trial_geo (cell, trial_rowid, location_rowid, lat, lon)
            select
                cast(floor((locations.lat + 90.0) * 100.0) as integer) * 40000
                    + cast(floor((locations.lon + 180.0) * 100.0) as integer),
                trials.rowid,
                locations.rowid,
                locations.lat,
                locations.lon
            from locations
            join trials on trials.nct_id = locations.nct_id
            where locations.lat is not null
                and locations.lon is not null
            order by 1, 2, 3
            """,
            "drop table locations_geo",
        ),
    ),
    Migration(
        name="0006_search_filter_index_and_facet_totals",
        statements=(
            # Filters only, newest first: the walk along the last update reads the filtered
            # columns from this index, not from the wide trial rows (~4 µs a row each).
            """
            create index trials_update_filters on trials (
                last_update_posted, overall_status, study_type, sex, healthy_volunteers,
                has_results, std_ages, minimum_age_years, maximum_age_years, nct_id
            )
            """,
            "drop index trials_last_update",
            # Facets and counts of filters on these columns alone, without reading the
            # matching trials: trials per combination of the facet columns (healthy_volunteers
            # -1 when unknown), and per pair of one trial's site countries (country = other
            # counts a trial once per country). Kept in step by triggers, whatever writes
            # `trials` or `trial_countries`; a combination no trial has any more stays, at 0.
            f"""
            create table facet_totals (
                {_FACET_KEY_DDL},
                trials integer not null,
                primary key ({_FACET_KEY})
            ) without rowid
            """,
            f"""
            create table country_facet_totals (
                country text not null,
                other text not null,
                {_FACET_KEY_DDL},
                trials integer not null,
                primary key (country, other, {_FACET_KEY})
            ) without rowid
            """,
            "create index country_facet_totals_country on country_facet_totals (lower(country))",
            f"""
            insert into facet_totals ({_FACET_KEY}, trials)
            select
                {_facet_key("trials")}, count(*)
            from trials
            group by {_facet_key("trials")}
            """,
            f"""
            insert into country_facet_totals (country, other, {_FACET_KEY}, trials)
            select
                one.country, other.country, {_facet_key("trials")}, count(*)
            from trials
            join trial_countries as one on one.nct_id = trials.nct_id
            join trial_countries as other on other.nct_id = trials.nct_id
            group by one.country, other.country, {_facet_key("trials")}
            """,
            f"""
            create trigger facet_totals_insert after insert on trials
            begin
                {_add_trial("new")}
            end
            """,
            f"""
            create trigger facet_totals_delete after delete on trials
            begin
                {_remove_trial("old")}
            end
            """,
            f"""
            create trigger facet_totals_update after update on trials
            when ({_facet_key("old")}, old.nct_id) is not ({_facet_key("new")}, new.nct_id)
            begin
                {_remove_trial("old")}
                {_add_trial("new")}
            end
            """,
            # A trial's new (lost) country pairs with itself and with each other country the
            # trial has; a country not yet (no longer) in `trials` counts nowhere.
            f"""
            create trigger country_facet_totals_insert after insert on trial_countries
            begin
                insert into country_facet_totals (country, other, {_FACET_KEY}, trials)
                select
                    new.country, countries.country, {_facet_key("trials")}, 1
                from trials
                join trial_countries as countries on countries.nct_id = trials.nct_id
                where trials.nct_id = new.nct_id
                union all
                select
                    countries.country, new.country, {_facet_key("trials")}, 1
                from trials
                join trial_countries as countries on countries.nct_id = trials.nct_id
                where trials.nct_id = new.nct_id
                    and countries.country != new.country
                on conflict (country, other, {_FACET_KEY}) do update set
                    trials = trials + 1;
            end
            """,
            f"""
            create trigger country_facet_totals_delete after delete on trial_countries
            begin
                update country_facet_totals
                set trials = trials - 1
                where (country, other, {_FACET_KEY}) in (
                    select
                        old.country, old.country, {_facet_key("trials")}
                    from trials
                    where trials.nct_id = old.nct_id
                    union all
                    select
                        old.country, countries.country, {_facet_key("trials")}
                    from trials
                    join trial_countries as countries on countries.nct_id = trials.nct_id
                    where trials.nct_id = old.nct_id
                    union all
                    select
                        countries.country, old.country, {_facet_key("trials")}
                    from trials
                    join trial_countries as countries on countries.nct_id = trials.nct_id
                    where trials.nct_id = old.nct_id
                );
            end
            """,
            """
            create trigger country_facet_totals_update after update on trial_countries
            begin
                select raise(abort, 'trial_countries rows are deleted and inserted, not updated');
            end
            """,
        ),
    ),
    Migration(
        name="0007_search_condition_index_and_facet_keys",
        statements=(
            # What query.cond, query.intr and query.titles search, in an index of its own:
            # their phrases are walked without the position lists of summaries and criteria.
            # `pad` holds one token per token of the trial's summary and criteria, so bm25
            # gives the scores of `trials_fts` exactly (store/sqlite_text.py); contentless,
            # so the pad takes no room as text. Filled by the store with `trials_fts`.
            """
            create virtual table trials_cond_fts using fts5 (
                title, conditions, interventions, keywords, pad,
                content = '',
                tokenize = 'porter unicode61 remove_diacritics 2'
            )
            """,
            # Facets of text and place searches: each trial's combination of the facet
            # columns and site countries, by trial rowid (store/sqlite_facet_keys.py).
            f"""
            create table facet_keys (
                key integer primary key,
                {_FACET_KEY_DDL},
                countries text not null,
                unique ({_FACET_KEY}, countries)
            )
            """,
            """
            create table facet_key_countries (
                key integer not null,
                country text not null,
                primary key (key, country)
            ) without rowid
            """,
            """
            create table trial_facet_keys (
                trial_rowid integer primary key,
                key integer not null
            )
            """,
            """
            create trigger trial_facet_keys_delete after delete on trials
            begin
                delete from trial_facet_keys
                where trial_rowid = old.rowid;
            end
            """,
        ),
        fill=_fill_0007,
    ),
    Migration(
        name="0008_search_trial_areas",
        statements=(
            # Each trial once per 0.25° area (25 × 25 cells) holding one of its sites, so a
            # circle's whole areas yield trials, not sites (store/sqlite_geo.py). Area id
            # = 25 × 1e9 + area row × 40,000 + area column, from `trial_geo`'s cells
            # (sqlite_geo.AREA_CELLS, written out); the store keeps it with `trial_geo`.
            """
            create table trial_areas (
                area integer not null,
                trial_rowid integer not null,
                primary key (area, trial_rowid)
            ) without rowid
            """,
            """
            insert into trial_areas (area, trial_rowid)
            select distinct
                25 * 1000000000 + cell / 40000 / 25 * 40000 + cell % 40000 / 25,
                trial_rowid
            from trial_geo
            order by 1, 2
            """,
        ),
    ),
    Migration(
        name="0009_search_trial_areas_1_degree",
        statements=(
            # A coarser level of `trial_areas`: each trial once per 1° area (100 × 100 cells,
            # 4 × 4 areas of 0.25°) holding one of its sites, so circles of ~100 miles list
            # fewer rows (store/sqlite_geo.py, AREA_CELLS). Area id = 100 × 1e9 + area row ×
            # 40,000 + area column, read from the 0.25° areas.
            """
            insert into trial_areas (area, trial_rowid)
            select distinct
                100 * 1000000000
                    + (area - 25 * 1000000000) / 40000 / 4 * 40000
                    + (area - 25 * 1000000000) % 40000 / 4,
                trial_rowid
            from trial_areas
            where area between 25 * 1000000000 and 26 * 1000000000 - 1
            order by 1, 2
            """,
        ),
    ),
    Migration(
        name="0010_text_index_log",
        statements=(
            # The change log of the tantivy text index (store/sqlite_tantivy.py): every trial
            # written or deleted, in the same transaction; the index records the last seq it
            # applied. `autoincrement` keeps the last seq in `sqlite_sequence` when applied
            # entries are deleted. The store id tells a rebuilt store from the one an index
            # was made of.
            """
            create table text_index_log (
                seq integer primary key autoincrement,
                nct_id text not null
            )
            """,
            """
            create table text_index_store (
                store_id text not null
            )
            """,
            "insert into text_index_store (store_id) values (lower(hex(randomblob(16))))",
            """
            create trigger trials_text_index_insert after insert on trials
            begin
                insert into text_index_log (nct_id) values (new.nct_id);
            end
            """,
            """
            create trigger trials_text_index_update after update on trials
            begin
                insert into text_index_log (nct_id) values (new.nct_id);
            end
            """,
            """
            create trigger trials_text_index_delete after delete on trials
            begin
                insert into text_index_log (nct_id) values (old.nct_id);
            end
            """,
        ),
    ),
    Migration(
        name="0011_search_trial_phases_by_trial",
        statements=(
            # A phase filter without words walks the trials newest first and tests each one's
            # phases: with the phase in the index, one seek a trial instead of two (index,
            # then the row). "Spain, open, phase 3, age 70" at 500k studies: the walk of its
            # last window 19–26 → 15–22 ms CPU, 3 interleaved runs (the index built in a side file).
            "create index trial_phases_by_trial on trial_phases (nct_id, phase)",
            "drop index trial_phases_nct",
        ),
    ),
    Migration(
        name="0012_search_country_walk",
        statements=(
            # Filters only, with a country, newest first (store/sqlite_search.py): each
            # `trial_countries` row carries its trial's filter columns and last update, and
            # an index walks them by country, newest first, reading nothing else; before, the
            # walk along `trials_update_filters` tested every trial's countries with a seek.
            # The row also holds the position of the trial's first site in the country (case
            # folded, as the filter is), as PostgreSQL's 0005 does: a page's sites are one
            # seek a trial, not a walk through its 170–330 sites. Triggers keep the copies in
            # step, whatever writes `trials` or `trial_countries` (a row inserted with its
            # first position and copies is left as it is); rows are still never updated in
            # their trial or country.
            "drop trigger country_facet_totals_update",
            """
            create trigger country_facet_totals_update after update of nct_id, country
                on trial_countries
            begin
                select raise(abort, 'trial_countries rows are deleted and inserted, not updated');
            end
            """,
            *(
                f"alter table trial_countries add column {column}"
                for column in (
                    "first_position integer",
                    "last_update_posted text",
                    "overall_status text",
                    "study_type text",
                    "sex text",
                    "healthy_volunteers integer",
                    "has_results integer",
                    "std_ages text",
                    "phases text",
                    "minimum_age_years real",
                    "maximum_age_years real",
                )
            ),
            # Each trial's sites read once (not once per country), then its columns.
            """
            update trial_countries
            set first_position = firsts.position
            from (
                select locations.nct_id, lower(sites.country) as country,
                    min(locations.position) as position
                from locations
                join sites on sites.site_id = locations.site_id
                group by locations.nct_id, lower(sites.country)
            ) as firsts
            where firsts.nct_id = trial_countries.nct_id
                and firsts.country = lower(trial_countries.country)
            """,
            f"""
            update trial_countries
            set ({_COUNTRY_WALK_COLUMNS}) = (
                select {_COUNTRY_WALK_COLUMNS}
                from trials
                where trials.nct_id = trial_countries.nct_id
            )
            """,
            """
            create index trial_countries_walk on trial_countries (
                lower(country), last_update_posted, overall_status, study_type, sex,
                healthy_volunteers, has_results, std_ages, phases, minimum_age_years,
                maximum_age_years, nct_id
            )
            """,
            f"""
            create trigger trial_countries_walk_insert after insert on trial_countries
            when new.first_position is null
                or new.last_update_posted is null
            begin
                update trial_countries
                set {_country_walk_fill("new")}
                where nct_id = new.nct_id
                    and lower(country) = lower(new.country);
            end
            """,
            f"""
            create trigger trials_country_walk_insert after insert on trials
            begin
                {_COUNTRY_WALK_COPY}
            end
            """,
            f"""
            create trigger trials_country_walk_update after update of
                {_COUNTRY_WALK_COLUMNS} on trials
            begin
                {_COUNTRY_WALK_COPY}
            end
            """,
        ),
    ),
)


POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        name="0001_initial",
        statements=(
            # Extensions are database-wide; `if not exists` lets several schemas share them.
            "create extension if not exists cube",
            "create extension if not exists earthdistance",
            "create extension if not exists pg_trgm",
            "create extension if not exists unaccent",
            # Like SQLite's `porter unicode61 remove_diacritics 2`: stemmed, accents folded,
            # and no stop words (a phrase such as "not yet recruiting" keeps every word).
            """
            create text search dictionary trialfinder_stem (
                template = snowball,
                language = english
            )
            """,
            """
            create text search configuration trialfinder_english (
                copy = english
            )
            """,
            """
            alter text search configuration trialfinder_english
                alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part
                with unaccent, trialfinder_stem
            """,
            """
            alter text search configuration trialfinder_english
                alter mapping for numword, numhword, hword_numpart
                with unaccent, simple
            """,
            """
            create table trials (
                nct_id text collate "C" primary key,
                brief_title text not null,
                official_title text not null,
                acronym text not null,
                overall_status text not null,
                study_type text not null,
                phases text not null,
                sex text not null,
                minimum_age_years double precision,
                maximum_age_years double precision,
                std_ages text not null,
                healthy_volunteers boolean,
                has_results boolean not null,
                enrollment_count integer,
                start_date text collate "C" not null,
                first_posted text collate "C" not null,
                last_update_posted text collate "C" not null,
                lead_sponsor text not null,
                raw_sha256 text not null,
                document tsvector not null,
                record bytea not null
            )
            """,
            "create index trials_status on trials (overall_status)",
            "create index trials_last_update on trials (last_update_posted)",
            "create index trials_document on trials using gin (document)",
            """
            create index trials_lead_sponsor on trials using gin (lower(lead_sponsor) gin_trgm_ops)
            """,
            """
            create table trial_conditions (
                nct_id text collate "C" not null references trials (nct_id) on delete cascade,
                term text not null,
                kind text not null
            )
            """,
            "create index trial_conditions_nct on trial_conditions (nct_id)",
            "create index trial_conditions_term on trial_conditions (lower(term))",
            """
            create table trial_interventions (
                nct_id text collate "C" not null references trials (nct_id) on delete cascade,
                type text not null,
                name text not null,
                kind text not null
            )
            """,
            "create index trial_interventions_nct on trial_interventions (nct_id)",
            """
            create table trial_phases (
                nct_id text collate "C" not null references trials (nct_id) on delete cascade,
                phase text not null
            )
            """,
            "create index trial_phases_nct on trial_phases (nct_id)",
            "create index trial_phases_phase on trial_phases (phase)",
            """
            create table sites (
                site_id text primary key,
                name text not null,
                city text not null,
                state text not null,
                zip text not null,
                country text not null,
                lat double precision,
                lon double precision,
                earth cube generated always as (ll_to_earth(lat, lon)::cube) stored
            )
            """,
            "create index sites_country_city on sites (country, city)",
            "create index sites_earth on sites using gist (earth)",
            """
            create index sites_words on sites using gin (
                lower(name || ' ' || city || ' ' || state || ' ' || zip || ' ' || country)
                gin_trgm_ops
            )
            """,
            """
            create table locations (
                nct_id text collate "C" not null references trials (nct_id) on delete cascade,
                position integer not null,
                site_id text not null references sites (site_id),
                status text not null,
                lat double precision,
                lon double precision,
                earth cube generated always as (ll_to_earth(lat, lon)::cube) stored,
                primary key (nct_id, position)
            )
            """,
            "create index locations_site on locations (site_id)",
            "create index locations_earth on locations using gist (earth)",
            """
            create table raw_records (
                nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
                format text not null,
                origin text not null,
                position text not null,
                sha256 text not null,
                data bytea not null
            )
            """,
            """
            create table quarantine (
                id bigint generated always as identity primary key,
                origin text not null,
                position text not null,
                code text not null,
                reason text not null,
                sha256 text not null,
                data bytea not null,
                unique (origin, position, sha256)
            )
            """,
            """
            create table state (
                key text primary key,
                value text not null
            )
            """,
        ),
    ),
    Migration(
        name="0002_trial_criteria",
        statements=(
            # Same table as SQLite's 0002: the criteria engine's reading of each trial.
            """
            create table trial_criteria (
                nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
                engine_version text not null,
                min_age_years double precision,
                max_age_years double precision,
                ecog_max double precision,
                egfr_min double precision,
                data bytea not null
            )
            """,
            "create index trial_criteria_ecog_max on trial_criteria (ecog_max)",
            "create index trial_criteria_egfr_min on trial_criteria (egfr_min)",
        ),
    ),
    Migration(
        name="0003_search_columns_and_indexes",
        statements=(
            # Country filters and the country facet, as SQLite's 0003: each trial's distinct
            # site countries (a site's country is part of its id, so it never changes). The
            # store writes it with the trial's locations.
            """
            create table trial_countries (
                nct_id text collate "C" not null references trials (nct_id) on delete cascade,
                country text not null,
                primary key (nct_id, country)
            )
            """,
            """
            insert into trial_countries (nct_id, country)
            select distinct locations.nct_id, sites.country
            from locations
            join sites on sites.site_id = locations.site_id
            where sites.country != ''
            """,
            "create index trial_countries_country on trial_countries (lower(country), nct_id)",
            # Searches of the title, conditions, keywords or interventions (weights A-C, as
            # query.cond and query.intr ask): the document without summary and criteria is
            # short enough to stay in the row, so the index recheck and the rank of each hit
            # do not read the whole document from TOAST. Positions are the document's.
            """
            alter table trials add column core_document tsvector
                generated always as (ts_filter(document, '{a,b,c}')) stored
            """,
            "create index trials_core_document on trials using gin (core_document)",
            # Distance searches read the trial, position and coordinates of every located site
            # in the circle's box from the index alone (as SQLite's R*Tree carries them),
            # not from thousands of scattered `locations` pages.
            "drop index locations_earth",
            """
            create index locations_earth on locations using gist (earth)
                include (nct_id, position, lat, lon)
            """,
        ),
    ),
    Migration(
        name="0004_search_filter_index",
        statements=(
            # Filters only, newest first (as SQLite's 0006): walked in page order, the filters
            # are tested on this narrow index, not on the wide trial rows (a full scan of
            # `trials` for "Brazil, open, healthy volunteers": 165 ms at 100k studies).
            """
            create index trials_update_filters on trials (last_update_posted desc, nct_id)
                include (
                    overall_status, study_type, sex, healthy_volunteers, has_results, std_ages,
                    phases, minimum_age_years, maximum_age_years, start_date
                )
            """,
            "drop index trials_last_update",
        ),
    ),
    Migration(
        name="0005_search_first_country_site",
        statements=(
            # The position of each trial's first site in each of its countries: a page of a
            # country search shows that site, found with one lookup instead of a walk through
            # the trial's sites in position order (182 sites a trial for a page of "Spain").
            "alter table trial_countries add column first_position integer",
            """
            update trial_countries
            set first_position = firsts.position
            from (
                select locations.nct_id, lower(sites.country) as country,
                    min(locations.position) as position
                from locations
                join sites on sites.site_id = locations.site_id
                group by locations.nct_id, lower(sites.country)
            ) as firsts
            where firsts.nct_id = trial_countries.nct_id
                and firsts.country = lower(trial_countries.country)
            """,
        ),
    ),
    Migration(
        name="0006_search_trial_filters_by_id",
        statements=(
            # The filters of one trial by its id, from a narrow index: a place search tests
            # the status (and other filters) of each trial in its circle here, not in the
            # 1.2 kB trial rows, whose pages full-text searches keep pushing out of memory.
            """
            create index trials_filters_by_id on trials (nct_id)
                include (
                    overall_status, study_type, sex, healthy_volunteers, has_results, std_ages,
                    phases, minimum_age_years, maximum_age_years, start_date, last_update_posted
                )
            """,
        ),
    ),
    Migration(
        name="0007_search_trial_documents",
        statements=(
            # Free text ranks every hit by its whole `document` (~4.3 kB): read from TOAST,
            # that is an index lookup and two or three chunk reads a hit, half of a broad
            # search's time. A copy kept in the rows of a table of its own (storage main, rows
            # up to a page) is read with its row; `trials` stays narrow for the searches that
            # read its rows (conditions, filters), and `trials.document` stays the source of
            # `core_document`. Free text searches the copy, so only the copy is indexed. The
            # trial's status rides along, so that the index finds the hits in the statuses
            # asked (half the free-text searches ask for open trials) before any is read.
            """
            create table trial_documents (
                nct_id text collate "C" primary key
                    references trials (nct_id) on delete cascade,
                overall_status text not null,
                document tsvector not null
            ) with (toast_tuple_target = 8160)
            """,
            "alter table trial_documents alter column document set storage main",
            """
            insert into trial_documents (nct_id, overall_status, document)
            select nct_id, overall_status, document
            from trials
            order by nct_id
            """,
            "create index trial_documents_document on trial_documents using gin (document)",
            "create index trial_documents_status on trial_documents (overall_status)",
            "drop index trials_document",
        ),
    ),
    Migration(
        name="0008_search_trial_areas",
        statements=(
            # A circle near a big city holds ~100k located sites at 100k studies: read from
            # the GiST index one by one, each with its distance computed. As in SQLite (0005,
            # 0008, 0009; store/geo_cells.py), the circle is read by grid instead: whole areas
            # give trials, cells wholly inside give sites with no distance computed, and only
            # border cells' sites are measured (store/postgres_geo.py). The cell of a site:
            # 0.01° rows and columns, row × 40,000 + column (geo_cells.LOCATION_CELL).
            """
            create index locations_cell on locations ((
                cast(floor((locations.lat + 90.0) * 100.0) as integer) * 40000
                + cast(floor((locations.lon + 180.0) * 100.0) as integer)
            ))
                include (nct_id, lat, lon)
                where lat is not null and lon is not null
            """,
            # Each trial once per 1° and 0.25° area (100 × 100 and 25 × 25 cells) holding one
            # of its sites. Area id = cells per side × 1e9 + area row × 40,000 + area column.
            # The store writes a trial's rows with its locations and deletes them by key.
            """
            create table trial_areas (
                area bigint not null,
                nct_id text collate "C" not null
            )
            """,
            """
            insert into trial_areas (area, nct_id)
            select distinct
                side * 1000000000::bigint + cell / 40000 / side * 40000 + cell % 40000 / side,
                nct_id
            from (
                select
                    cast(floor((lat + 90.0) * 100.0) as integer) * 40000
                        + cast(floor((lon + 180.0) * 100.0) as integer) as cell,
                    nct_id
                from locations
                where lat is not null and lon is not null
            ) as located
            cross join (values (100), (25)) as levels (side)
            order by 1, 2
            """,
            "alter table trial_areas add primary key (area, nct_id)",
        ),
    ),
    Migration(
        name="0009_search_country_filters",
        statements=(
            # A country with filters that leave few of its trials ("Brazil, open, healthy
            # volunteers": none of 10k) walked every trial along the last-update index, testing
            # each. Each country row now carries its trial's filter columns (written with it,
            # as the trial's other child rows), so such a filter reads the country's rows of
            # one narrow index, testing them there, and finds the few trials or none
            # (store/postgres_filters.py, `sparse_country_trials`). `country` is included as
            # well: without it the planner reads `lower(country)` from the rows, not the index.
            """
            alter table trial_countries
                add column overall_status text,
                add column study_type text,
                add column sex text,
                add column std_ages text,
                add column phases text,
                add column healthy_volunteers boolean,
                add column has_results boolean
            """,
            """
            update trial_countries
            set
                overall_status = trials.overall_status,
                study_type = trials.study_type,
                sex = trials.sex,
                std_ages = trials.std_ages,
                phases = trials.phases,
                healthy_volunteers = trials.healthy_volunteers,
                has_results = trials.has_results
            from trials
            where trials.nct_id = trial_countries.nct_id
            """,
            """
            create index trial_countries_filters on trial_countries (lower(country), nct_id)
                include (
                    country, overall_status, study_type, sex, std_ages, phases,
                    healthy_volunteers, has_results
                )
            """,
            "drop index trial_countries_country",
        ),
    ),
    Migration(
        name="0010_search_trial_place_areas",
        statements=(
            # Words and a place: every trial the words' index finds was read and rechecked
            # (phrases and columns need its document) before the circle cut it, ~64k rows for
            # "non-small cell lung cancer" at 600k studies, of which the circle kept 7.6k. Each
            # trial now lists the 1° areas of its located sites (its 1° `trial_areas` rows)
            # under a GIN index, so the areas around a circle cut the words' hits before any
            # row is read (store/postgres_geo.py, `near_areas`). The store writes the list
            # with the trial's row (store/_postgres_write.py). A trial with sites in many
            # places lists many areas (up to ~500): its row may then pass the size at which
            # PostgreSQL moves its largest values out of the row, and every hit's check reads
            # `core_document` and `place_areas` (2–4 more pages a hit from TOAST). Both stay
            # in the row (`main`: compressed there, moved out only past a page).
            "alter table trials alter column core_document set storage main",
            "alter table trials add column place_areas bigint[]",
            "alter table trials alter column place_areas set storage main",
            "set local work_mem = '256MB'",
            "set local maintenance_work_mem = '256MB'",
            """
            update trials
            set place_areas = areas.ids
            from (
                select nct_id, array_agg(area order by area) as ids
                from trial_areas
                where area between 100000000000 and 100999999999
                group by nct_id
            ) as areas
            where areas.nct_id = trials.nct_id
            """,
            "create index trials_place_areas on trials using gin (place_areas)",
        ),
    ),
    Migration(
        name="0011_search_facet_keys",
        statements=(
            # Facets of all open trials read each of them and joined its countries (2–3 s at
            # 600k studies). As SQLite's 0006/0007: one row per combination of the facet
            # columns and the site countries, counting its trials, and each trial's key. A
            # filter-only facet set adds up the counts of the keys it keeps; any other set
            # counts its matching trials per key (store/postgres_facet_keys.py). The store
            # refreshes the keys of the trials it writes, in the same transaction.
            """
            create table facet_keys (
                key integer generated always as identity primary key,
                overall_status text not null,
                study_type text not null,
                sex text not null,
                std_ages text not null,
                phases text not null,
                healthy_volunteers boolean,
                has_results boolean not null,
                countries text[] not null,
                trials integer not null default 0,
                unique nulls not distinct (
                    overall_status, study_type, sex, std_ages, phases, healthy_volunteers,
                    has_results, countries
                )
            )
            """,
            """
            create table trial_facet_keys (
                nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
                key integer not null
            )
            """,
            "set local work_mem = '256MB'",
            """
            create temporary table trial_signatures on commit drop as
            select
                trials.nct_id, trials.overall_status, trials.study_type, trials.sex,
                trials.std_ages, trials.phases, trials.healthy_volunteers, trials.has_results,
                coalesce(countries.names, '{}') as countries
            from trials
            left join (
                select nct_id, array_agg(country order by country) as names
                from trial_countries
                group by nct_id
            ) as countries on countries.nct_id = trials.nct_id
            """,
            """
            insert into facet_keys (
                overall_status, study_type, sex, std_ages, phases, healthy_volunteers,
                has_results, countries, trials
            )
            select
                overall_status, study_type, sex, std_ages, phases, healthy_volunteers,
                has_results, countries, count(*)
            from trial_signatures
            group by
                overall_status, study_type, sex, std_ages, phases, healthy_volunteers,
                has_results, countries
            order by 1, 2, 3, 4, 5, 6, 7, 8
            """,
            """
            insert into trial_facet_keys (nct_id, key)
            select trial_signatures.nct_id, facet_keys.key
            from trial_signatures
            join facet_keys
                on facet_keys.overall_status = trial_signatures.overall_status
                and facet_keys.study_type = trial_signatures.study_type
                and facet_keys.sex = trial_signatures.sex
                and facet_keys.std_ages = trial_signatures.std_ages
                and facet_keys.phases = trial_signatures.phases
                and facet_keys.healthy_volunteers
                    is not distinct from trial_signatures.healthy_volunteers
                and facet_keys.has_results = trial_signatures.has_results
                and facet_keys.countries = trial_signatures.countries
            order by trial_signatures.nct_id
            """,
        ),
    ),
    Migration(
        name="0012_search_trial_search_rows",
        statements=(
            # Counts and facets of words in the title, conditions, keywords and interventions
            # (`core_document`) read every hit's `trials` row for its id (and its document, to
            # check a phrase or a column): "cancer" is 134k hits in 87k pages of that wide
            # table at 600k studies.
            # One narrow row per trial holds what such a search reads, under the same column
            # names as in `trials` (so the search SQL reads it in place of `trials`), with
            # the trial's facet key: ~10 rows a page, a third of the pages of `trials`, and
            # no join to find the keys (store/postgres_search.py, `search_rows_table`). The
            # store writes it with the trial and its facet key, in the same transaction.
            """
            create table trial_search (
                nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
                overall_status text not null,
                facet_key integer not null,
                place_areas bigint[],
                core_document tsvector not null
            )
            """,
            "alter table trial_search alter column core_document set storage main",
            "alter table trial_search alter column place_areas set storage main",
            "set local work_mem = '256MB'",
            "set local maintenance_work_mem = '256MB'",
            """
            insert into trial_search (
                nct_id, overall_status, facet_key, place_areas, core_document
            )
            select
                trials.nct_id, trials.overall_status, trial_facet_keys.key, trials.place_areas,
                trials.core_document
            from trials
            join trial_facet_keys on trial_facet_keys.nct_id = trials.nct_id
            order by trials.nct_id
            """,
            "create index trial_search_core_document on trial_search using gin (core_document)",
            "create index trial_search_place_areas on trial_search using gin (place_areas)",
            "create index trial_search_status on trial_search (overall_status)",
        ),
    ),
    Migration(
        name="0013_search_country_walk",
        statements=(
            # A filters-only page with a country whose filters leave many of its trials
            # ("Spain, open, phase 3, age 70": ~9k trials tested at 100k studies, 55-85 ms)
            # walked `trials` along the last update, probing each trial's countries. Each
            # country row now also carries its trial's last update and age limits (written
            # with it), and one index holds them by country and last update, so such a page
            # is the first rows of one index range that pass its tests there, as in SQLite's
            # 0012 (store/postgres_search.py, `search_rows_table`). `country` is included for
            # the reason 0009 gives.
            """
            alter table trial_countries
                add column last_update_posted text collate "C",
                add column minimum_age_years double precision,
                add column maximum_age_years double precision
            """,
            """
            update trial_countries
            set
                last_update_posted = trials.last_update_posted,
                minimum_age_years = trials.minimum_age_years,
                maximum_age_years = trials.maximum_age_years
            from trials
            where trials.nct_id = trial_countries.nct_id
            """,
            "set local maintenance_work_mem = '256MB'",
            """
            create index trial_countries_walk
                on trial_countries (lower(country), last_update_posted desc, nct_id)
                include (
                    country, overall_status, study_type, sex, std_ages, phases,
                    healthy_volunteers, has_results, minimum_age_years, maximum_age_years
                )
            """,
        ),
    ),
    Migration(
        name="0014_search_words_status_index",
        statements=(
            # A search with words and a status ("open": 63k of 100k trials) ANDed bitmaps of
            # separate indexes: the words' GIN, the status btree (2-6 ms to build the status
            # bitmap alone before any hit was read) and, near a place, the 1° areas' GIN.
            # Each words index now holds the trial's status as a column (`array[overall_status]`:
            # a GIN takes the overlap of arrays, not `= any`), and the narrow and trial rows'
            # one also its 1° areas, so one index scan finds the hits in the statuses asked
            # around the place (store/postgres_search.py, `words_status_condition`). They
            # replace the words-only and areas-only indexes, which answered nothing the new
            # ones do not (the areas are only ever tested beside words).
            "set local maintenance_work_mem = '256MB'",
            """
            create index trial_documents_words_status
                on trial_documents using gin (document, (array[overall_status]))
            """,
            "drop index trial_documents_document",
            """
            create index trial_search_words_areas_status
                on trial_search using gin (core_document, place_areas, (array[overall_status]))
            """,
            "drop index trial_search_core_document",
            "drop index trial_search_place_areas",
            """
            create index trials_words_areas_status
                on trials using gin (core_document, place_areas, (array[overall_status]))
            """,
            "drop index trials_core_document",
            "drop index trials_place_areas",
        ),
    ),
    Migration(
        name="0015_search_trial_words_document_keys",
        statements=(
            # Counts and facets of words in the title, conditions and keywords (`query.cond`,
            # labels A and B) read `trial_search` rows, whose bitmap of hits must be checked
            # again row by row: the index does not know a word's label. At 100k studies
            # "cancer" read 9.7k pages of `trial_search` and checked 22k documents (26 ms).
            # One row per trial holds those words without labels or positions, so the index
            # alone answers words that are not phrases, with the columns such a search reads
            # under their `trials` names: about half the pages and no check (12 ms; phrases
            # stay with `trial_search`, store/postgres_search.py, `search_rows_table`). The
            # store writes it with the trial and its facet key, in the same transaction.
            """
            create table trial_words (
                nct_id text collate "C" primary key references trials (nct_id) on delete cascade,
                overall_status text not null,
                facet_key integer not null,
                place_areas bigint[],
                words tsvector not null
            )
            """,
            "alter table trial_words alter column words set storage main",
            "alter table trial_words alter column place_areas set storage main",
            "set local maintenance_work_mem = '256MB'",
            """
            insert into trial_words (nct_id, overall_status, facet_key, place_areas, words)
            select
                trial_search.nct_id, trial_search.overall_status, trial_search.facet_key,
                trial_search.place_areas,
                strip(ts_filter(trial_search.core_document, '{a,b}'))
            from trial_search
            order by trial_search.nct_id
            """,
            "create index trial_words_words on trial_words using gin (words)",
            "create index trial_words_place_areas on trial_words using gin (place_areas)",
            "create index trial_words_status on trial_words (overall_status)",
            # Facets of words in the whole document joined each hit to `trial_facet_keys`
            # (the planner walked all of it: "quality of life" + open, 7.3k hits, ~30 ms at
            # 100k studies, 16 ms with the key in the row). `trial_documents` is copied anew
            # with its trial's facet key (a new column in place would rewrite every ~4 kB row
            # and its index entries), written by the store with the key.
            """
            create table trial_documents_keyed (
                nct_id text collate "C" primary key
                    references trials (nct_id) on delete cascade,
                overall_status text not null,
                facet_key integer not null,
                document tsvector not null
            ) with (toast_tuple_target = 8160)
            """,
            "alter table trial_documents_keyed alter column document set storage main",
            """
            insert into trial_documents_keyed (nct_id, overall_status, facet_key, document)
            select
                trial_documents.nct_id, trial_documents.overall_status, trial_facet_keys.key,
                trial_documents.document
            from trial_documents
            join trial_facet_keys on trial_facet_keys.nct_id = trial_documents.nct_id
            order by trial_documents.nct_id
            """,
            "drop table trial_documents",
            "alter table trial_documents_keyed rename to trial_documents",
            "alter index trial_documents_keyed_pkey rename to trial_documents_pkey",
            """
            alter table trial_documents
                rename constraint trial_documents_keyed_nct_id_fkey to trial_documents_nct_id_fkey
            """,
            # The words' index holds the status too (migration 0014).
            """
            create index trial_documents_words_status
                on trial_documents using gin (document, (array[overall_status]))
            """,
            "create index trial_documents_status on trial_documents (overall_status)",
        ),
    ),
    Migration(
        name="0016_search_bm25_top_k",
        # A free-text page ranked by relevance read, rechecked and ranked every hit its words'
        # GIN bitmap yields (~6-10 us a row): pages of 7k-17k hits set issue #3's p95 (3.2-3.6x
        # SQLite's at 100k studies). Each trial's words now also have BM25 impact rows, read
        # best first by a threshold-stopping top-k in the server, for the pages whose yield a
        # sample of trials says is large (store/postgres_bm25.py, its docstring: the tables,
        # the mean length frozen at this fill, what the write path keeps exact).
        statements=BM25_SCHEMA,
    ),
    Migration(
        name="0017_search_bm25_exact_statistics",
        # 0016 froze the mean document length at its fill: after writes, BM25 pages drifted
        # from BM25 at the current statistics, and a store filled by writes answered unlike one
        # rebuilt. Each impact row now keeps its term frequency and each trial its length, the
        # stats row their sum (kept by the write path); the top-k scores at the current mean,
        # its bounds widened by max(1, mean now / mean of the rows' order)
        # (store/postgres_bm25.py, `CURRENT_STATISTICS`). The rows are made anew.
        statements=BM25_EXACT_SCHEMA,
    ),
    Migration(
        name="0018_search_gin_pending_entries",
        # The store now moves its GIN indexes' pending entries into the indexes after every
        # batch it writes (store/_postgres_write.py, `CLEAN_PENDING_INDEX_ENTRIES`: a scan
        # reads the whole pending list, 75-398 pages per index at 100k studies, 2-4.5 ms of
        # server CPU a count or facet set near a place); existing stores start with none.
        statements=(CLEAN_PENDING_INDEX_ENTRIES,),
    ),
    Migration(
        name="0019_answers_change_notifications",
        # A repeated count or facet set asked the server for its snapshot to check its
        # remembered answer (a round trip, 0.4-0.7 ms p50 at 100k studies against SQLite's
        # 0.1 ms). Every table a count or facet set reads now notifies a channel when a
        # transaction writing it commits, and the store's listening thread tells it its answers
        # are stale (store/postgres_changes.py: what is exact, the fallbacks).
        statements=CHANGES_SCHEMA,
    ),
    Migration(
        name="0020_drop_unused_indexes",
        # Indexes that no statement of the store reads, each kept up by every write (issue #3:
        # the store's size at the whole registry's). Evidence per index (`idx_scan` and the
        # plans of the backends bench mix, of a re-ingest at 100k studies and of the store, API
        # and search tests; the SQL): the status of `trial_documents`, `trial_search` and
        # `trial_words` is only ever tested as `array[overall_status]` in their words' GIN
        # indexes (migration 0014: those rows are read only for searches with words);
        # `trial_phases` and `trial_conditions` rows are read by trial (their `_nct` indexes,
        # the delete of a replaced trial), never by phase or term; and a site search filters
        # `lower(sites.country)`, which `(country, city)` cannot answer. (`trial_criteria`'s
        # `ecog_max` and `egfr_min` indexes stay: `filter.ecog` and `filter.egfr` read them.)
        statements=(
            "drop index if exists trial_documents_status",
            "drop index if exists trial_search_status",
            "drop index if exists trial_words_status",
            "drop index if exists trial_phases_phase",
            "drop index if exists trial_conditions_term",
            "drop index if exists sites_country_city",
        ),
    ),
    Migration(
        name="0021_facet_keys_kept_by_the_database",
        # A count of countries and filters read every matching trial (Germany 23 ms, "United
        # States" open 63 ms at 100k studies, against SQLite's 0.7 ms from its totals); summed
        # from the facet keys' counts it takes 2-3 ms, but only the store's own writes kept
        # them, so a write by plain SQL (a trial deleted) left the keys' counts, and the facets
        # summed from them, wrong. The database now keeps them: triggers list the trials a
        # statement writes, their keys are refreshed before the transaction commits, and the
        # keys' counts follow `trial_facet_keys` (store/postgres_facet_keys.py, its docstring).
        # The counts are recounted and every trial's key refreshed once.
        statements=FACET_KEYS_KEPT_SCHEMA,
    ),
    Migration(
        name="0022_search_trial_word_ids",
        # Counts and facets of title, conditions and keywords words with no place read about
        # one `trial_words` page per hit for its facet key ("cancer": 6,760 of 6,801 pages at
        # 100k studies, 14 ms warm, 48 ms once the pool had lost them). Each trial's status,
        # key and word ids (`impact_words`) now sit in a row of ~a third of the width under
        # a GIN index; the statement reads them where they answer the query exactly
        # (store/postgres_word_ids.py), and the write path keeps them with the trial's rows.
        # Counts and facets read the table: its writes notify (migration 0019); the database's
        # refresh of facet keys (0021) copies a changed key into its rows too.
        statements=(*WORD_IDS_SCHEMA, notify_on_change(WORD_IDS_TABLE), REFRESH_FUNCTION_0022),
    ),
)
