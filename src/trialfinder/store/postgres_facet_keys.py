"""PostgreSQL facet keys: facets and counts tallied per combination of facet columns and countries.

The twin of SQLite's `sqlite_facet_keys.py` and facet totals. Migration 0011 gives every trial a
facet key (`trial_facet_keys`): one row of `facet_keys` per combination of the facet columns and
the trial's site countries, carrying how many trials have it. A filter-only facet set (status,
type, sex, phase, age group, volunteers, results, countries) adds up the counts of the keys the
filter keeps, a few hundred rows, instead of reading every matching trial and joining its
countries (2–3 s for all open trials at 600k studies); so does the count of such a filter (one
country read every trial of it: 13k for Germany at 100k studies, 23 ms). Any other set counts
its matching trials per key, one narrow index row each, and splits the few keys; beside words
or a place, the filters a key answers (its columns, its countries) are tested on the keys rather
than on each hit (`split_key_filters`), and a place alone is counted from the circle's trial ids
without reading a trial row.

The database keeps the keys right whatever writes the tables (migration 0021, `SCHEMA_0021`;
before it only the store's own writes refreshed them, so a trial deleted by plain SQL stayed in
its key's count, and in the facets and counts summed from it):

- a statement writing `trials` (insert, update) or `trial_countries` (any) lists the trials it
  wrote in `facet_keys_pending`; before the transaction commits, a deferred trigger refreshes
  their keys once (`trialfinder_refresh_pending_facet_keys()`: new combinations added, each
  trial's key set, and copied into the rows that carry it). The store calls that function
  itself once a batch's trials and countries are written (`REFRESH_PENDING_KEYS`): it writes
  those rows next;
- `facet_keys.trials` follows the `trial_facet_keys` rows by statement triggers on that table,
  so a trial deleted (its key row goes by `on delete cascade`) or a truncate leaves the count.

Keys no trial has any more stay, with a count of 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg

from trialfinder.store.base import GeoArea, StudyFilter
from trialfinder.store.postgres_filters import column_conditions
from trialfinder.store.postgres_search import (
    SEARCH_ROW_FIELDS,
    circle_set,
    search_rows_table,
    study_search_sql,
)
from trialfinder.store.postgres_word_ids import TABLE as WORD_IDS_TABLE
from trialfinder.store.postgres_word_ids import answers_by_word_ids
from trialfinder.store.postgres_word_ids import hits_sql as word_id_hits_sql
from trialfinder.store.rows import FILTER_COLUMNS

Connection = psycopg.Connection[Any]

KEY_COLUMNS = FILTER_COLUMNS
"""The `trials` columns of a facet key, besides its sorted site countries."""

_KEY = ", ".join(KEY_COLUMNS)

_SIGNATURES = f"""
        select
            trials.nct_id,
            {", ".join(f"trials.{c}" for c in KEY_COLUMNS)},
            array(
                select trial_countries.country
                from trial_countries
                where trial_countries.nct_id = trials.nct_id
                order by trial_countries.country
            ) as countries
        from trials
        where trials.nct_id = any(nct_ids)"""
"""The facet key values of the trials `nct_ids` (the refreshing function's argument)."""

_EQUAL_COLUMNS = "\n            and ".join(
    f"facet_keys.{c} = signatures.{c}" for c in KEY_COLUMNS if c != "healthy_volunteers"
)
"""The key columns that are never null, equal."""

_KEY_COPIES_0021 = ("trial_search", "trial_words", "trial_documents")
"""Tables whose rows carry their trial's facet key, for searches with words (migrations 0012
and 0015), as migration 0021 first copied the keys into them."""

KEY_COPIES = (*_KEY_COPIES_0021, WORD_IDS_TABLE)
"""Every table whose rows carry their trial's facet key: since migration 0022 also
`trial_word_ids` (store/postgres_word_ids.py)."""


def _copy_keys(table: str) -> str:
    """Statement of the refreshing function: the keys just changed into `table`'s rows."""
    return f"""
        update {table}
        set facet_key = changed.key
        from unnest(changed_ids, changed_keys) as changed (nct_id, key)
        where {table}.nct_id = changed.nct_id
            and {table}.facet_key <> changed.key;"""


_REFRESH_FUNCTION = "trialfinder_refresh_facet_keys"


def _create_refresh_function(copies: tuple[str, ...], *, replace: bool = False) -> str:
    """The statement creating `_REFRESH_FUNCTION`, copying changed keys into `copies`."""
    create = "create or replace function" if replace else "create function"
    return f"""
    {create} {_REFRESH_FUNCTION}(nct_ids text[]) returns void
    language plpgsql
    set search_path from current
    as $$
    declare
        changed_ids text[];
        changed_keys integer[];
    begin
        insert into facet_keys ({_KEY}, countries)
        select distinct {_KEY}, countries
        from ({_SIGNATURES}
        ) as signatures
        order by {_KEY}, countries
        on conflict do nothing;
        with changed as (
            insert into trial_facet_keys (nct_id, key)
            select signatures.nct_id, facet_keys.key
            from ({_SIGNATURES}
            ) as signatures
            join facet_keys
                on {_EQUAL_COLUMNS}
                and facet_keys.healthy_volunteers
                    is not distinct from signatures.healthy_volunteers
                and facet_keys.countries = signatures.countries
            order by signatures.nct_id
            on conflict (nct_id) do update set
                key = excluded.key
            where trial_facet_keys.key <> excluded.key
            returning trial_facet_keys.nct_id, trial_facet_keys.key
        )
        select array_agg(nct_id order by nct_id), array_agg(key order by nct_id)
        into changed_ids, changed_keys
        from changed;
        if changed_ids is null then
            return;
        end if;{"".join(_copy_keys(table) for table in copies)}
    end
    $$
    """


_CREATE_REFRESH_FUNCTION = _create_refresh_function(_KEY_COPIES_0021)
"""`_REFRESH_FUNCTION(nct_ids)`: set the facet key of these trials from their `trials` and
`trial_countries` rows, adding the keys not seen before, and copy the keys that changed into
the `KEY_COPIES` rows (a trial with none yet gets its key when the store writes them). A trial
no longer stored is skipped: its `trial_facet_keys` row went with it (`on delete cascade`).
The counts follow `trial_facet_keys` by its own triggers (`_CREATE_COUNTING_FUNCTION`)."""

REFRESH_FUNCTION_0022 = _create_refresh_function(KEY_COPIES, replace=True)
"""Migration 0022's re-creation of `_REFRESH_FUNCTION`, copying the keys into `trial_word_ids`
too (0021's could not name it: the table did not exist yet)."""

_COUNTING_FUNCTION = "trialfinder_count_facet_keys"

_CREATE_COUNTING_FUNCTION = f"""
    create function {_COUNTING_FUNCTION}() returns trigger
    language plpgsql
    set search_path from current
    as $$
    declare
        moved_keys integer[];
        deltas integer[];
    begin
        if tg_op = 'TRUNCATE' then
            update facet_keys set trials = 0 where trials <> 0;
            return null;
        elsif tg_op = 'INSERT' then
            select array_agg(key order by key), array_agg(delta order by key)
            into moved_keys, deltas
            from (select key, count(*)::integer as delta from added group by key) as moved;
        elsif tg_op = 'DELETE' then
            select array_agg(key order by key), array_agg(delta order by key)
            into moved_keys, deltas
            from (select key, -count(*)::integer as delta from removed group by key) as moved;
        else
            select array_agg(key order by key), array_agg(delta order by key)
            into moved_keys, deltas
            from (
                select key, sum(delta)::integer as delta
                from (
                    select key, 1 as delta from added
                    union all
                    select key, -1 as delta from removed
                ) as moves
                group by key
                having sum(delta) <> 0
            ) as moved;
        end if;
        -- Locked in key order, so that concurrent writers never wait on each other in a circle.
        perform
        from facet_keys
        where key = any(moved_keys)
        order by key
        for update;
        update facet_keys
        set trials = facet_keys.trials + moved.delta
        from unnest(moved_keys, deltas) as moved (key, delta)
        where facet_keys.key = moved.key;
        return null;
    end
    $$
    """
"""The trigger function keeping `facet_keys.trials` the number of `trial_facet_keys` rows of
each key, whatever writes them (the refreshing function, a trial's delete cascading, a
truncate). Its triggers name their transition tables `added` and `removed`."""

_PENDING_FUNCTION = "trialfinder_facet_keys_pending"

_CREATE_PENDING_FUNCTION = f"""
    create function {_PENDING_FUNCTION}() returns trigger
    language plpgsql
    set search_path from current
    as $$
    begin
        if tg_op = 'INSERT' then
            insert into facet_keys_pending (nct_id)
            select distinct nct_id from added
            order by nct_id
            on conflict do nothing;
        elsif tg_op = 'UPDATE' then
            insert into facet_keys_pending (nct_id)
            select nct_id from added
            union
            select nct_id from removed
            order by nct_id
            on conflict do nothing;
        elsif tg_op = 'DELETE' then
            insert into facet_keys_pending (nct_id)
            select distinct nct_id from removed
            order by nct_id
            on conflict do nothing;
        else
            insert into facet_keys_pending (nct_id)
            select nct_id from trials
            order by nct_id
            on conflict do nothing;
        end if;
        return null;
    end
    $$
    """
"""The trigger function listing the trials whose key may have changed (a `trials` or
`trial_countries` row written) in `facet_keys_pending`, to be refreshed before the transaction
commits."""

_REFRESH_PENDING_FUNCTION = "trialfinder_refresh_pending_facet_keys"

_CREATE_REFRESH_PENDING_FUNCTION = f"""
    create function {_REFRESH_PENDING_FUNCTION}() returns void
    language plpgsql
    set search_path from current
    as $$
    declare
        pending text[];
    begin
        with refreshed as (
            delete from facet_keys_pending
            returning nct_id
        )
        select array_agg(nct_id order by nct_id) into pending from refreshed;
        if pending is not null then
            perform {_REFRESH_FUNCTION}(pending);
        end if;
    end
    $$
    """
"""`_REFRESH_PENDING_FUNCTION()`: refresh the keys of the trials the transaction listed as
pending, and empty the list (only the transaction's own rows: another's are uncommitted)."""

_AT_COMMIT_FUNCTION = "trialfinder_refresh_facet_keys_at_commit"

_CREATE_AT_COMMIT_FUNCTION = f"""
    create function {_AT_COMMIT_FUNCTION}() returns trigger
    language plpgsql
    set search_path from current
    as $$
    begin
        -- The first of a transaction's events refreshes every pending trial; the others find
        -- theirs done.
        if exists (select from facet_keys_pending where nct_id = new.nct_id) then
            perform {_REFRESH_PENDING_FUNCTION}();
        end if;
        return null;
    end
    $$
    """


def _statement_trigger(table: str, event: str, function: str) -> str:
    """A trigger calling `function` after each statement writing `table` by `event`, its rows
    in the transition tables `added` (insert, update) and `removed` (update, delete)."""
    tables = {
        "insert": "referencing new table as added",
        "update": "referencing old table as removed new table as added",
        "delete": "referencing old table as removed",
        "truncate": "",
    }[event]
    return f"""
    create trigger {function}_{event}
        after {event} on {table}
        {tables}
        for each statement
        execute function {function}()
    """


SCHEMA_0021 = (
    """
    create table facet_keys_pending (
        nct_id text collate "C" primary key
    )
    """,
    _CREATE_REFRESH_FUNCTION,
    _CREATE_COUNTING_FUNCTION,
    _CREATE_PENDING_FUNCTION,
    _CREATE_REFRESH_PENDING_FUNCTION,
    _CREATE_AT_COMMIT_FUNCTION,
    *(
        _statement_trigger("trial_facet_keys", event, _COUNTING_FUNCTION)
        for event in ("insert", "update", "delete", "truncate")
    ),
    *(_statement_trigger("trials", event, _PENDING_FUNCTION) for event in ("insert", "update")),
    *(
        _statement_trigger("trial_countries", event, _PENDING_FUNCTION)
        for event in ("insert", "update", "delete", "truncate")
    ),
    f"""
    create constraint trigger {_AT_COMMIT_FUNCTION}
        after insert on facet_keys_pending
        deferrable initially deferred
        for each row
        execute function {_AT_COMMIT_FUNCTION}()
    """,
    # Counts as they are (a trial deleted by plain SQL left its key's count one too high),
    # then every trial's key refreshed (one written by plain SQL had none or an old one).
    """
    update facet_keys
    set trials = coalesce(counted.trials, 0)
    from facet_keys as every_key
    left join (
        select key, count(*)::integer as trials
        from trial_facet_keys
        group by key
    ) as counted on counted.key = every_key.key
    where facet_keys.key = every_key.key
        and facet_keys.trials <> coalesce(counted.trials, 0)
    """,
    "set local work_mem = '256MB'",
    f"select {_REFRESH_FUNCTION}(array(select nct_id from trials order by nct_id))",
)
"""Migration 0021: the facet keys kept by the database (module docstring)."""

REFRESH_PENDING_KEYS = f"select {_REFRESH_PENDING_FUNCTION}()"
"""Refresh the keys of the trials written so far in the transaction (the store, before it
writes the rows that carry them)."""


_SPLIT_KEYS = """
select 'overallStatus', overall_status, sum(trials)
from keyed
group by 2
union all
select 'studyType', study_type, sum(trials)
from keyed
group by 2
union all
select 'sex', sex, sum(trials)
from keyed
group by 2
union all
select 'stdAge', age_group, sum(trials)
from keyed
cross join unnest(array['CHILD', 'ADULT', 'OLDER_ADULT']) as age_group
where age_group = any(string_to_array(std_ages, ','))
group by 2
union all
select 'phase', phase, sum(trials)
from keyed
cross join unnest(array(
    select distinct listed
    from unnest(coalesce(string_to_array(nullif(phases, ''), ','), array['NONE'])) as listed
)) as phase
group by 2
union all
select 'country', country, sum(trials)
from keyed
cross join unnest(countries) as country
group by 2
"""
"""Facet counts from `keyed`: facet keys, each with how many matching trials have it."""

_FILTER_FIELDS = (
    "statuses",
    "study_types",
    "sexes",
    "phases",
    "age_groups",
    "healthy_volunteers",
    "has_results",
    "countries",
)
"""The `StudyFilter` fields a facet key answers by itself."""


def answered_by_keys(where: StudyFilter) -> bool:
    """Whether `where` filters only on facet key columns and countries (its facets are the
    sums of the counts of the keys it keeps)."""
    blank = StudyFilter()
    kept = {name: getattr(blank, name) for name in _FILTER_FIELDS}
    return dataclasses.replace(where, **kept) == blank


def split_key_filters(where: StudyFilter) -> tuple[StudyFilter, StudyFilter]:
    """(hits, keys): `where` split into what its hits must be searched for and what the facet
    keys of the hits can test instead (`where` and a blank filter when nothing is moved).

    A trial's key holds its key columns and its site countries, so testing them on the key
    counts the same trials. They move when what stays is words or a place that narrow rows
    or the area grid answer (`postgres_search.SEARCH_ROW_FIELDS`): the hits are then read
    from `trial_search` or `trial_documents` rows, or not read at all (a place), where a
    key column sent them to `trials`, and without a country probe each ("diabetes" in the
    United States joined every hit to the country's `trial_countries` rows). Countries stay
    with a place or location words (one site must meet them together); the status stays
    with words (the rows carry it under an index whose bitmap, ANDed with the words', leaves
    fewer rows to read: "quality of life" + open, 1.4k of 2.2k pages of `trial_documents`
    at 20k studies).
    """
    moved = [name for name in _FILTER_FIELDS if name != "countries"]
    if where.geo is None and not where.location_words:
        moved.append("countries")
    if where.text:
        moved.remove("statuses")
    blank = StudyFilter()
    hits = dataclasses.replace(where, **{name: getattr(blank, name) for name in moved})
    row_fields = {name: getattr(blank, name) for name in SEARCH_ROW_FIELDS}
    if not (hits.text or hits.geo) or dataclasses.replace(hits, **row_fields) != blank:
        return where, blank
    keys = dataclasses.replace(blank, **{name: getattr(where, name) for name in moved})
    return hits, keys


def _key_conditions(where: StudyFilter, params: dict[str, Any]) -> list[str]:
    """Conditions on `facet_keys` for the key columns and countries of `where`."""
    conditions = column_conditions(where, params, "facet_keys")
    if where.countries:
        params["key_countries"] = [country.lower() for country in where.countries]
        conditions.append(
            """exists (
        select
        from unnest(facet_keys.countries) as country
        where lower(country) = any(%(key_countries)s::text[])
    )"""
        )
    return conditions


def _keyed(where: StudyFilter) -> tuple[str, dict[str, Any]]:
    """(sql, params): common table expressions ending in `keyed`, the facet keys of the trials
    matching `where` (their columns and countries) with how many of them have each: the counts
    of the keys `where` keeps when it filters only on key columns (`answered_by_keys`), else
    the keys of its hits, the filters the keys answer tested on them (`split_key_filters`)."""
    params: dict[str, Any] = {}
    if answered_by_keys(where):
        conditions = ["facet_keys.trials > 0", *_key_conditions(where, params)]
        kept = f"""with keyed as (
    select {_KEY}, countries, trials
    from facet_keys
    where {(chr(10) + "        and ").join(conditions)}
)
"""
        return kept, params
    hit_filter, key_filter = split_key_filters(where)
    place = dataclasses.replace(hit_filter, geo=None, countries=(), location_words=())
    if hit_filter.geo is not None and place == StudyFilter():
        hits, hit_keys = _place_hit_keys(hit_filter, hit_filter.geo, params)
    else:
        hits, hit_keys, params = _hit_keys(hit_filter)
    join_on = ["facet_keys.key = hit_keys.key", *_key_conditions(key_filter, params)]
    keyed = f""",
hit_keys as ({hit_keys}
),
keyed as (
    select {", ".join(f"facet_keys.{c}" for c in KEY_COLUMNS)}, facet_keys.countries,
        hit_keys.trials
    from hit_keys
    join facet_keys on {(chr(10) + "        and ").join(join_on)}
)
"""
    return hits + keyed, params


def keyed_count_sql(where: StudyFilter) -> tuple[str, dict[str, Any]] | None:
    """Return (sql, params) giving how many trials match `where`, summed from the counts of
    the keys it keeps, when it filters only on key columns and countries (`answered_by_keys`:
    a few hundred keys, where counting read every trial of a country); None otherwise. A trial
    in two countries asked has one key listing both: counted once.

    Words beside countries are not counted over the hits' keys as their facets are: the key of
    each hit is read from its row (one ~4 kB `trial_documents` row a hit), as many rows as the
    count reads for the hits' ids, which saves only the countries' hash for a large country
    and loses to the planner's walk from a small one ("cancer" in Iceland: 10 ms counted, 287
    ms by the keys at 100k studies)."""
    if not answered_by_keys(where):
        return None
    sql, params = _keyed(where)
    return sql + "select coalesce(sum(trials), 0) from keyed", params


def facet_keys_sql(where: StudyFilter) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) giving rows (facet, value, trials) for the trials matching `where`:
    from the keys' counts when `where` only filters on key columns, else per matching trial."""
    sql, params = _keyed(where)
    return sql + _SPLIT_KEYS, params


def _hit_keys(where: StudyFilter) -> tuple[str, str, dict[str, Any]]:
    """(`hits` common table expression, `hit_keys` query, params): the trials matching `where`,
    and how many of them have each key."""
    # The narrow rows carry their trial's key: no join to find it.
    has_keys = search_rows_table(where, None) in ("trial_search", "trial_words", "trial_documents")
    if answers_by_word_ids(where):
        # Fewer pages than the `trial_words` rows: their word ids (migration 0022).
        hits, params = word_id_hits_sql(where)
    else:
        columns = "trials.nct_id as nct_id" + (", trials.facet_key as key" if has_keys else "")
        sql, params = study_search_sql(where, None, columns)
        if sql.startswith("with "):
            hits = sql.replace("\nselect\n", ",\nhits as (\nselect\n", 1) + ")\n"
        else:
            hits = "with hits as (\n" + sql + ")\n"
    hit_keys = (
        """
    select hits.key, count(*) as trials
    from hits
    group by hits.key"""
        if has_keys
        else """
    select trial_facet_keys.key, count(*) as trials
    from hits
    join trial_facet_keys on trial_facet_keys.nct_id = hits.nct_id
    group by trial_facet_keys.key"""
    )
    return hits, hit_keys, params


def _place_hit_keys(where: StudyFilter, geo: GeoArea, params: dict[str, Any]) -> tuple[str, str]:
    """(`hits` common table expression, `hit_keys` query) of a place with no words or ids: the
    circle's trials, as one array of distinct ids, looked up in `trial_facet_keys` by id.
    No `trials` row is read (the planner merged the circle with every trial's id and hashed
    every trial's key: Houston 50 mi took 44 ms of CPU at 100k studies, 18 ms this way)."""
    circle = circle_set(where, geo, params).replace("\n", "\n            ")
    hits = f"""with hits as materialized (
    select array(
        select distinct circle.nct_id
        from (
            {circle}
        ) as circle (nct_id)
    ) as nct_ids
)
"""
    hit_keys = """
    select trial_facet_keys.key, count(*) as trials
    from trial_facet_keys
    where trial_facet_keys.nct_id = any((select hits.nct_ids from hits)::text[])
    group by trial_facet_keys.key"""
    return hits, hit_keys
