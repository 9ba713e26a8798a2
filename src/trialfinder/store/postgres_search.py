"""PostgreSQL SQL for searching: trials (tsvector + filters + distance), facets and sites.

The twin of `sqlite_search.py`, answering the same questions the same way. Full text is one
weighted `tsvector` per trial under a GIN index; a place is a `cube` point (earthdistance) under
a GiST index, narrowed with `earth_box` and then measured with the same haversine formula as
SQLite; site and sponsor words use `pg_trgm` indexes. Every value is bound (`%(name)s`); lists
travel as arrays, so a statement's text depends only on which filters are set.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors

from trialfinder.errors import QueryError, StoreError
from trialfinder.store.base import (
    GeoArea,
    Site,
    SiteFilter,
    StudyFilter,
    StudyHit,
    StudySort,
    TextSearch,
    TextTerm,
)
from trialfinder.store.search_order import order_by

Connection = psycopg.Connection[Any]

TEXT_LABELS = {
    "title": "A",
    "conditions": "B",
    "keywords": "B",
    "interventions": "C",
    "summary": "D",
    "criteria": "D",
}
"""The tsvector weight label of each full-text column (PostgreSQL has four labels for six)."""

LABEL_WEIGHTS = (0.15, 0.5, 0.7, 1.0)
"""ts_rank_cd weights of labels D, C, B, A: SQLite's bm25 column weights (title 10, conditions 8,
keywords 6, interventions 5, summary 2, criteria 1) scaled to title = 1, a shared label taking
the mean of its columns."""

TEXT_CONFIG = "trialfinder_english"
"""The text search configuration made by the migration: English stems, accents folded."""

EARTH_RADIUS_KM = 6371.0088
_EARTHDISTANCE_RADIUS_KM = 6378.168
"""earthdistance's sphere (`earth()`) is larger: a box measured on it must be widened."""
_NO_AGE_LIMIT = 1000.0

_DISTANCE_KM = """
            6371.0088 * 2 * asin(least(1.0, sqrt(
                power(sin(radians(locations.lat - %(geo_lat)s) / 2), 2)
                + cos(radians(%(geo_lat)s)) * cos(radians(locations.lat))
                * power(sin(radians(locations.lon - %(geo_lon)s) / 2), 2)
            )))"""

_SITE_DISTANCE_KM = _DISTANCE_KM.replace("locations.", "sites.")

_SITE_WORDS = (
    "lower(sites.name || ' ' || sites.city || ' ' || sites.state || ' ' "
    "|| sites.zip || ' ' || sites.country)"
)
"""The text a site's words are found in; the same expression as the `sites_words` index."""


# -- full-text query ----------------------------------------------------------------------------


def _operand(word: str, suffix: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + suffix


def _phrase(words: tuple[str, ...], is_prefix: bool, labels: str) -> str:
    last = len(words) - 1
    parts = [
        _operand(word, ":" + ("*" if is_prefix and i == last else "") + labels)
        if labels or (is_prefix and i == last)
        else _operand(word, "")
        for i, word in enumerate(words)
    ]
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _term(term: TextTerm, labels: str) -> str:
    parts = [_phrase(words, term.is_prefix, labels) for words in term.alternatives if words]
    if not parts:
        raise QueryError("a search term has no words")
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _labels(columns: tuple[str, ...]) -> str:
    """The weight labels that stand for exactly these columns ('' for every column)."""
    for column in columns:
        if column not in TEXT_LABELS:
            raise ValueError(f"{column!r} is not a full-text column ({', '.join(TEXT_LABELS)})")
    labels = sorted({TEXT_LABELS[c] for c in columns})
    if not columns or len(labels) == 4:
        return ""
    shared = sorted(c for c, label in TEXT_LABELS.items() if label in labels)
    if set(shared) != set(columns):
        raise QueryError(
            f"the PostgreSQL store searches {', '.join(shared)} together; "
            f"it cannot search only {', '.join(sorted(columns))}"
        )
    return "".join(labels)


def _text_search(search: TextSearch) -> str:
    labels = _labels(search.columns)
    positive = [_term(t, labels) for t in search.terms if not t.is_negated]
    negative = [_term(t, labels) for t in search.terms if t.is_negated]
    if not positive:
        raise QueryError("a search needs at least one word that is not excluded with '-'")
    expression = " & ".join(positive)
    if negative:
        expression = f"({expression}) & !({' | '.join(negative)})"
    return f"({expression})"


def tsquery(searches: tuple[TextSearch, ...]) -> str | None:
    """Return the `to_tsquery` text for parsed text searches (None when there are none).

    Each word is written as a quoted operand, so no user text is ever read as tsquery syntax.
    """
    if not searches:
        return None
    return " & ".join(_text_search(s) for s in searches)


# -- study search SQL ---------------------------------------------------------------------------


def _like(word: str) -> str:
    """A `like` pattern finding `word` anywhere (its own % and _ taken literally)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _geo_params(geo: GeoArea) -> dict[str, float]:
    # earth_box works on earthdistance's larger sphere: widen it (and a metre more) so that it
    # holds every point within the radius on ours; the haversine test then decides.
    box_m = geo.radius_km * 1000.0 * _EARTHDISTANCE_RADIUS_KM / EARTH_RADIUS_KM * 1.001 + 1.0
    return {
        "geo_lat": geo.lat,
        "geo_lon": geo.lon,
        "geo_radius_km": geo.radius_km,
        "geo_box_m": box_m,
    }


def _has_site_filter(where: StudyFilter) -> bool:
    return bool(where.countries or where.location_words or where.geo)


def _lower(values: tuple[str, ...]) -> list[str]:
    return [v.lower() for v in values]


def _word_conditions(
    params: dict[str, Any], name: str, expression: str, words: tuple[str, ...]
) -> list[str]:
    """One indexed `like` test per word: every word must appear in `expression`."""
    conditions = []
    for i, word in enumerate(words):
        params[f"{name}_{i}"] = _like(word.lower())
        conditions.append(f"{expression} like %({name}_{i})s")
    return conditions


def study_search_sql(where: StudyFilter, sort: StudySort | None) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) selecting matching trials; with `sort`, ordered and paged.

    Columns: nct_id, score (higher is better), site_id, site_status, distance_km. Without
    `sort` only nct_id is selected (for counts and facets) and there is no order or limit.
    """
    params: dict[str, Any] = {}
    ctes: list[str] = []
    joins: list[str] = []
    conditions: list[str] = []

    query = tsquery(where.text)
    if query is not None:
        params["tsquery"] = query
        weights = ", ".join(f"{w:g}" for w in LABEL_WEIGHTS)
        ctes.append(
            f"""matched as (
    select
        nct_id,
        ts_rank_cd('{{{weights}}}', document, query, 1) as score
    from trials, to_tsquery('{TEXT_CONFIG}', %(tsquery)s) as query
    where document @@ query
)"""
        )
        joins.append("join matched on matched.nct_id = trials.nct_id")

    if _has_site_filter(where):
        site_conditions = ["true"]
        rank = "locations.position"
        distance = "null::double precision"
        if where.countries:
            params["countries"] = _lower(where.countries)
            site_conditions.append("lower(sites.country) = any(%(countries)s::text[])")
        if where.location_words:
            site_conditions += _word_conditions(
                params, "location_word", _SITE_WORDS, where.location_words
            )
        if where.geo is not None:
            params.update(_geo_params(where.geo))
            site_conditions.append(
                "earth_box(ll_to_earth(%(geo_lat)s, %(geo_lon)s), %(geo_box_m)s) @> locations.earth"
            )
            rank = distance = _DISTANCE_KM.strip()
            site_conditions.append(f"{distance} <= %(geo_radius_km)s")
        ctes.append(
            f"""nearest as (
    select distinct on (locations.nct_id)
        locations.nct_id as nct_id,
        locations.site_id as site_id,
        locations.status as status,
        {distance} as distance_km
    from locations
    join sites on sites.site_id = locations.site_id
    where {(chr(10) + "        and ").join(site_conditions)}
    order by locations.nct_id, {rank}, locations.position
)"""
        )
        joins.append("join nearest on nearest.nct_id = trials.nct_id")

    if where.nct_ids:
        params["nct_ids"] = [n.upper() for n in where.nct_ids]
        conditions.append("trials.nct_id = any(%(nct_ids)s::text[])")
    if where.id_words:
        params["id_words"] = _lower(where.id_words)
        conditions.append(
            """(
        lower(trials.nct_id) = any(%(id_words)s::text[])
        or lower(trials.acronym) = any(%(id_words)s::text[])
    )"""
        )
    conditions += _word_conditions(
        params, "sponsor_word", "lower(trials.lead_sponsor)", where.sponsor_words
    )
    for name, column, values in (
        ("statuses", "trials.overall_status", where.statuses),
        ("study_types", "trials.study_type", where.study_types),
        ("sexes", "trials.sex", where.sexes),
    ):
        if values:
            params[name] = list(values)
            conditions.append(f"{column} = any(%({name})s::text[])")
    if where.phases:
        params["phases"] = list(where.phases)
        conditions.append(
            """exists (
        select 1
        from trial_phases
        where trial_phases.nct_id = trials.nct_id
            and trial_phases.phase = any(%(phases)s::text[])
    )"""
        )
    if where.age_groups:
        params["age_groups"] = list(where.age_groups)
        conditions.append("string_to_array(trials.std_ages, ',') && %(age_groups)s::text[]")
    if where.age_years is not None:
        params["age_years"] = float(where.age_years)
        params["no_age_limit"] = _NO_AGE_LIMIT
        conditions.append("coalesce(trials.minimum_age_years, 0) <= %(age_years)s")
        conditions.append("coalesce(trials.maximum_age_years, %(no_age_limit)s) >= %(age_years)s")
    for name, column, default, age_range in (
        ("minimum_age", "trials.minimum_age_years", 0.0, where.minimum_age_range),
        ("maximum_age", "trials.maximum_age_years", _NO_AGE_LIMIT, where.maximum_age_range),
    ):
        if age_range is not None:
            low, high = age_range
            params[f"{name}_default"] = default
            params[f"{name}_low"] = -1.0 if low is None else float(low)
            params[f"{name}_high"] = _NO_AGE_LIMIT if high is None else float(high)
            conditions.append(
                f"coalesce({column}, %({name}_default)s) between %({name}_low)s and %({name}_high)s"
            )
    for name, column, flag in (
        ("healthy_volunteers", "trials.healthy_volunteers", where.healthy_volunteers),
        ("has_results", "trials.has_results", where.has_results),
    ):
        if flag is not None:
            params[name] = bool(flag)
            conditions.append(f"{column} = %({name})s")
    for name, column, date_range in (
        ("start", "trials.start_date", where.start_date_range),
        ("updated", "trials.last_update_posted", where.last_update_range),
    ):
        if date_range is not None:
            date_low, date_high = date_range
            params[f"{name}_low"] = date_low or ""
            params[f"{name}_high"] = date_high or "9999"
            conditions.append(f"{column} != ''")
            conditions.append(f"{column} >= substr(%({name}_low)s::text, 1, length({column}))")
            conditions.append(
                f"substr({column}, 1, length(%({name}_high)s::text)) <= %({name}_high)s::text"
            )

    if sort is None:
        columns = "trials.nct_id as nct_id"
    else:
        score = "matched.score" if query is not None else "null::real"
        site = "nearest.site_id, nearest.status" if _has_site_filter(where) else "null, null"
        distance = "nearest.distance_km" if where.geo is not None else "null::double precision"
        columns = f"""trials.nct_id as nct_id,
    {score} as score,
    {site},
    {distance} as distance_km"""

    sql = ("with " + ",\n".join(ctes) + "\n") if ctes else ""
    sql += f"select\n    {columns}\nfrom trials\n"
    sql += "".join(join + "\n" for join in joins)
    if conditions:
        sql += "where " + "\n    and ".join(conditions) + "\n"
    if sort is not None:
        sql += (
            "order by "
            + ", ".join(order_by(where, sort, query is not None, best_score_first="desc"))
            + "\n"
        )
        sql += "limit %(limit)s offset %(offset)s\n"
    return sql, params


# -- running with a time limit ------------------------------------------------------------------


@contextmanager
def time_limit(conn: Connection, seconds: float) -> Iterator[None]:
    """Run the statements inside in one transaction, cancelled after `seconds`."""
    try:
        with conn.transaction():
            conn.execute(
                "select set_config('statement_timeout', %(ms)s, true)",
                {"ms": str(max(1, int(seconds * 1000)))},
            )
            yield
    except psycopg.errors.QueryCanceled:
        raise QueryError(
            f"the search took longer than {seconds:g} s and was stopped; "
            "add words or filters to narrow it"
        ) from None
    except psycopg.errors.SyntaxError as error:
        raise QueryError(f"the search text could not be read ({str(error).strip()})") from None
    except psycopg.Error as error:
        raise StoreError(f"search failed ({str(error).strip()})") from None


_SITE_COLUMNS = "sites.site_id, sites.name, sites.city, sites.state, sites.zip, sites.country"


def search_trials(
    conn: Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    time_limit_s: float,
) -> list[StudyHit]:
    """Return one page of trials matching `where` (see `PostgresStore.search_trials`)."""
    sql, params = study_search_sql(where, sort)
    with time_limit(conn, time_limit_s):
        rows = conn.execute(
            sql,
            {**params, "limit": limit, "offset": offset},
        ).fetchall()
        site_ids = sorted({row[2] for row in rows if row[2] is not None})
        sites = {
            s[0]: Site(*s)
            for s in conn.execute(
                f"""
                select
                    {_SITE_COLUMNS}, sites.lat, sites.lon
                from sites
                where sites.site_id = any(%(site_ids)s::text[])
                """,
                {"site_ids": site_ids},
            )
        }
    return [
        StudyHit(
            nct_id=nct_id,
            score=None if score is None else float(score),
            site=sites.get(site_id) if site_id else None,
            site_status=status or "",
            distance_km=distance,
        )
        for nct_id, score, site_id, status, distance in rows
    ]


def count_trials(conn: Connection, where: StudyFilter, time_limit_s: float) -> int:
    """Return how many trials match `where`."""
    sql, params = study_search_sql(where, None)
    with time_limit(conn, time_limit_s):
        row = conn.execute(
            f"select count(*) from (\n{sql}) as hits",
            params,
        ).fetchone()
    return int(row[0]) if row else 0


_FACET_SQL = {
    "overallStatus": """
        select trials.overall_status, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "phase": """
        select coalesce(trial_phases.phase, 'NONE'), count(distinct trials.nct_id)
        from trials
        left join trial_phases on trial_phases.nct_id = trials.nct_id
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "studyType": """
        select trials.study_type, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "sex": """
        select trials.sex, count(*)
        from trials
        where trials.nct_id in (select nct_id from hits)
        group by 1
        order by 2 desc, 1
        """,
    "stdAge": """
        select age_group, count(*)
        from trials
        cross join unnest(array['CHILD', 'ADULT', 'OLDER_ADULT']) as age_group
        where trials.nct_id in (select nct_id from hits)
            and age_group = any(string_to_array(trials.std_ages, ','))
        group by 1
        order by 2 desc, 1
        """,
    "country": """
        select sites.country, count(distinct locations.nct_id)
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id in (select nct_id from hits)
            and sites.country != ''
        group by 1
        order by 2 desc, 1
        """,
}


def facet_counts(
    conn: Connection, where: StudyFilter, time_limit_s: float
) -> dict[str, dict[str, int]]:
    """Return value → count of matching trials for status, phase, type, sex, age group, country."""
    sql, params = study_search_sql(where, None)
    if sql.startswith("with "):
        hits = sql.replace("\nselect\n", ",\nhits as (\nselect\n", 1) + ")\n"
    else:
        hits = "with hits as (\n" + sql + ")\n"
    facets: dict[str, dict[str, int]] = {}
    with time_limit(conn, time_limit_s):
        for name, facet_sql in _FACET_SQL.items():
            rows = conn.execute(hits + facet_sql, params).fetchall()
            facets[name] = {str(value): int(count) for value, count in rows}
    return facets


# -- sites ----------------------------------------------------------------------------------------


def search_sites(
    conn: Connection, where: SiteFilter, limit: int, offset: int, time_limit_s: float
) -> tuple[list[tuple[Site, float | None]], int]:
    """Return one page of (site, distance km), nearest (or busiest) first, and the total."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    conditions = ["true"]
    distance = "null::double precision"
    order = "trial_count desc, sites.name asc, sites.site_id asc"
    conditions += _word_conditions(params, "word", _SITE_WORDS, where.words)
    if where.countries:
        params["countries"] = _lower(where.countries)
        conditions.append("lower(sites.country) = any(%(countries)s::text[])")
    if where.geo is not None:
        params.update(_geo_params(where.geo))
        conditions.append(
            "earth_box(ll_to_earth(%(geo_lat)s, %(geo_lon)s), %(geo_box_m)s) @> sites.earth"
        )
        conditions.append(f"{_SITE_DISTANCE_KM.strip()} <= %(geo_radius_km)s")
        distance = _SITE_DISTANCE_KM.strip()
        order = "distance_km asc, trial_count desc, sites.site_id asc"
    sql = f"""
        select
            {_SITE_COLUMNS}, sites.lat, sites.lon,
            count(distinct locations.nct_id) as trial_count,
            {distance} as distance_km,
            count(*) over () as total
        from sites
        join locations on locations.site_id = sites.site_id
        where {" and ".join(conditions)}
        group by sites.site_id
        order by {order}
        limit %(limit)s offset %(offset)s
        """
    with time_limit(conn, time_limit_s):
        rows = conn.execute(sql, params).fetchall()
        total = rows[0][-1] if rows else _count_sites(conn, sql, params)
    return [(Site(*row[:9]), row[9]) for row in rows], int(total)


def _count_sites(conn: Connection, sql: str, params: dict[str, Any]) -> int:
    # A page past the end has no rows to carry the window total: count the pages' source.
    unpaged = sql.replace("limit %(limit)s offset %(offset)s", "")
    row = conn.execute(
        f"select count(*) from ({unpaged}) as found",
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def get_site(conn: Connection, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
    """Return a site and the (nct_id, location status) of each trial held there, or None."""
    row = conn.execute(
        f"""
        select
            {_SITE_COLUMNS}, sites.lat, sites.lon,
            (select count(distinct nct_id) from locations where site_id = sites.site_id)
        from sites
        where sites.site_id = %(site_id)s
        """,
        {"site_id": site_id},
    ).fetchone()
    if row is None:
        return None
    trials = conn.execute(
        """
        select distinct on (nct_id)
            nct_id, status
        from locations
        where site_id = %(site_id)s
        order by nct_id, position
        """,
        {"site_id": site_id},
    ).fetchall()
    return Site(*row), [(str(n), str(s)) for n, s in trials]


def record_sizes(conn: Connection) -> list[tuple[str, int]]:
    """Return (nct_id, bytes of the raw record as received) for every stored trial."""
    return [
        (str(nct_id), len(zlib.decompress(data)))
        for nct_id, data in conn.execute("select nct_id, data from raw_records order by nct_id")
    ]
