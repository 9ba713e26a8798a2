"""PostgreSQL SQL for searching trials: tsvector, filters and distance (sites: `postgres_sites`).

The twin of `sqlite_search.py`, answering the same questions the same way. Full text is one
weighted `tsvector` per trial under a GIN index (`trial_documents`, kept in its row, not in
TOAST), and its title/conditions/keywords/interventions part (`trials.core_document`) under
another, each index also holding the trial's status (and the second its 1° areas: migration
0014, so that words, a status and a place are found in one scan); only the trials that pass
every filter are ranked. A place is a `cube` point (earthdistance) under a GiST index, narrowed
with `earth_box` and then measured with the same haversine formula as SQLite; countries come
from `trial_countries`; site and sponsor words use `pg_trgm` indexes. A page's sites are looked
up after the page is cut (a nearest-first page's in the same statement). A search by words that
filters on nothing else of the trial reads narrow rows in place of `trials`: `trial_search` for
`core_document` (`trial_words` for a count or facets of words that are not phrases in the title,
conditions and keywords, migration 0015), `trial_documents` for the whole document
(`search_rows_table`). Every value is bound (`%(name)s`); lists travel as arrays, so a
statement's text depends only on which filters are set.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import psycopg
import psycopg.errors

from trialfinder.errors import QueryError
from trialfinder.store.base import (
    GeoArea,
    Site,
    StudyFilter,
    StudyHit,
    StudySort,
    TextSearch,
    TextTerm,
)
from trialfinder.store.postgres_filters import column_conditions, sparse_country_trials
from trialfinder.store.postgres_geo import (
    circle_trials,
    covering_box,
    near_areas_condition,
    probed_circle,
)
from trialfinder.store.postgres_plan import plan_settings, time_limit
from trialfinder.store.rows import COUNTRY_WALK_FIELDS
from trialfinder.store.search_order import criteria_conditions, growing_radii, order_by
from trialfinder.store.sqlite_text import label_weights

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

LABEL_WEIGHTS = label_weights(TEXT_LABELS)
"""ts_rank weights of labels D, C, B, A, from SQLite's bm25 table (`sqlite_text.FTS_WEIGHTS`)
scaled to the heaviest column = 1, a shared label taking the mean of its columns."""

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

SITE_DISTANCE_KM = _DISTANCE_KM.replace("locations.", "sites.")

SITE_WORDS = (
    "lower(sites.name || ' ' || sites.city || ' ' || sites.state || ' ' "
    "|| sites.zip || ' ' || sites.country)"
)
"""The text a site's words are found in; the same expression as the `sites_words` index."""


# -- full-text query ----------------------------------------------------------------------------


def _operand(word: str, suffix: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + suffix


def _phrase_operands(words: tuple[str, ...], is_prefix: bool, labels: str) -> list[str]:
    """The operands of a phrase's words, each with `labels` (the last one a prefix if
    `is_prefix`)."""
    last = len(words) - 1
    return [
        _operand(word, ":" + ("*" if is_prefix and i == last else "") + labels)
        if labels or (is_prefix and i == last)
        else _operand(word, "")
        for i, word in enumerate(words)
    ]


def _phrase(words: tuple[str, ...], is_prefix: bool, labels: str) -> str:
    """The words of a phrase (`_phrase_operands`), one after the other (`<->`)."""
    parts = _phrase_operands(words, is_prefix, labels)
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


def _text_search(search: TextSearch, labeled: bool) -> str:
    labels = _labels(search.columns) if labeled else ""
    positive = [_term(t, labels) for t in search.terms if not t.is_negated]
    negative = [_term(t, labels) for t in search.terms if t.is_negated]
    if not positive:
        raise QueryError("a search needs at least one word that is not excluded with '-'")
    expression = " & ".join(positive)
    if negative:
        expression = f"({expression}) & !({' | '.join(negative)})"
    return f"({expression})"


CORE_LABELS = "ABC"
"""The labels `trials.core_document` holds: title, conditions, keywords and interventions."""


def text_column(searches: tuple[TextSearch, ...]) -> str:
    """The tsvector to search: `trials.core_document` when every search names only columns it
    holds (it is short, so rechecking and ranking a hit is cheap), else the whole document,
    `trial_documents.document` (kept in its row, not in TOAST: migration 0007).
    """
    labels = [_labels(s.columns) for s in searches]
    core = all(found and set(found) <= set(CORE_LABELS) for found in labels)
    return "trials.core_document" if labels and core else "trial_documents.document"


def tsquery(searches: tuple[TextSearch, ...], labeled: bool = True) -> str | None:
    """Return the `to_tsquery` text for parsed text searches (None when there are none);
    without labels when not `labeled` (for `trial_words.words`, which holds only the
    searched labels' words: `_in_word_rows`).

    Each word is written as a quoted operand, so no user text is ever read as tsquery syntax.
    """
    if not searches:
        return None
    return " & ".join(_text_search(s, labeled) for s in searches)


def candidate_tsquery(searches: tuple[TextSearch, ...]) -> str | None:
    """The `to_tsquery` text of a looser query that every hit of `tsquery(searches)` matches:
    the same words without labels, a phrase's words anywhere (`&`), or None when a search
    excludes words (a word excluded from some columns may be in others, so no looser test
    drops it) or there are no searches.

    The words' GIN index answers such a query alone, where labels or a phrase make it
    recheck every hit on its row; a page then tests the exact query only on the hits it
    reads (`_exactly_matched`). Each word is read by `to_tsquery` as in the exact query, so
    it stands for the same lexemes.
    """
    if not searches or any(t.is_negated for s in searches for t in s.terms):
        return None
    return " & ".join("(" + " & ".join(_loose_term(t) for t in s.terms) + ")" for s in searches)


def _loose_term(term: TextTerm) -> str:
    """A term of `candidate_tsquery`: its alternatives' words anywhere, the words they share
    written once (`_factored`)."""
    alternatives = [
        tuple(_phrase_operands(words, term.is_prefix, "")) for words in term.alternatives if words
    ]
    if not alternatives:
        raise QueryError("a search term has no words")
    return _factored(alternatives)


def _factored(alternatives: list[tuple[str, ...]]) -> str:
    """`alternatives` (each operands that must all match) ORed, in an equal boolean form with
    shared operands written once: `(a & b & c) | (a & b & d)` is `(a & b) & (c | d)`, and an
    alternative holding every operand of another adds nothing (`(a & b) | (a & b & c)` is
    `a & b`).

    A condition's synonyms often repeat its words ("non-small cell lung cancer" | "nsclc" |
    "carcinoma, non-small cell lung"): written once, the GIN scan tests each hit against
    fewer operands (the NSCLC scan near Boston, 5.5 → 4.6 ms of server CPU at 100k studies)
    and finds the same rows.
    """
    shared = list(
        dict.fromkeys(word for word in alternatives[0] if all(word in o for o in alternatives))
    )
    rest = [tuple(word for word in words if word not in shared) for words in alternatives]
    if shared:
        both = shared[0] if len(shared) == 1 else "(" + " & ".join(shared) + ")"
        if any(not words for words in rest):
            return both
        return f"({both} & {_factored(rest)})"
    counts: dict[str, int] = {}
    for words in alternatives:
        for word in set(words):
            counts[word] = counts.get(word, 0) + 1
    common = max(counts, key=lambda word: (counts[word], -_first_seen(alternatives, word)))
    if counts[common] < 2:
        return "(" + " | ".join(_factored([words]) for words in alternatives) + ")"
    having = [words for words in alternatives if common in words]
    others = [words for words in alternatives if common not in words]
    return f"({_factored(having)} | {_factored(others)})"


def _first_seen(alternatives: list[tuple[str, ...]], word: str) -> int:
    """The place of `word`'s first appearance in `alternatives` (read in order)."""
    return [w for words in alternatives for w in words].index(word)


WORD_ROW_LABELS = "AB"
"""The labels whose words `trial_words.words` holds, without labels or positions (migration
0015): title, conditions and keywords, what `query.cond` searches."""


def _in_word_rows(searches: tuple[TextSearch, ...]) -> bool:
    """Whether `trial_words.words` answers these searches: every one names exactly the
    columns of `WORD_ROW_LABELS` and has no phrase (it needs positions). The GIN index alone
    then decides the hits, where `core_document`'s needs each hit's row to check a label."""
    return bool(searches) and all(
        _labels(s.columns) == WORD_ROW_LABELS
        and all(len(words) < 2 for term in s.terms for words in term.alternatives)
        for s in searches
    )


# -- study search SQL ---------------------------------------------------------------------------


def _like(word: str) -> str:
    """A `like` pattern finding `word` anywhere (its own % and _ taken literally)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def geo_params(geo: GeoArea) -> dict[str, float]:
    """The bound values of a circle: centre, radius, and the side of its `earth_box`."""
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


def lower_all(values: tuple[str, ...]) -> list[str]:
    """The values in lower case, as the `lower(...)` indexes hold them."""
    return [v.lower() for v in values]


def word_conditions(
    params: dict[str, Any], name: str, expression: str, words: tuple[str, ...]
) -> list[str]:
    """One indexed `like` test per word: every word must appear in `expression`."""
    conditions = []
    for i, word in enumerate(words):
        params[f"{name}_{i}"] = _like(word.lower())
        conditions.append(f"{expression} like %({name}_{i})s")
    return conditions


def _site_conditions(where: StudyFilter, params: dict[str, Any]) -> list[str]:
    """Conditions on `sites` for the country and location-word filters (binding their values)."""
    conditions = []
    if where.countries:
        params["countries"] = lower_all(where.countries)
        conditions.append("lower(sites.country) = any(%(countries)s::text[])")
    return conditions + word_conditions(params, "location_word", SITE_WORDS, where.location_words)


def _in_circle(
    where: StudyFilter, geo: GeoArea, params: dict[str, Any], *, by_box: bool = True
) -> tuple[str, str]:
    """(from, where) of the located sites inside the circle that meet the site filters, found
    through the GiST index on `locations.earth` (which carries nct_id, position, lat, lon).

    Without `by_box` the circle's box is not tested, so the sites are found by the other
    conditions' index (the distance alone decides: the box holds the circle); for a few
    trials' sites, looked up by trial.
    """
    params.update(geo_params(geo))
    site_conditions = _site_conditions(where, params)
    conditions = [
        *(
            ["earth_box(ll_to_earth(%(geo_lat)s, %(geo_lon)s), %(geo_box_m)s) @> locations.earth"]
            if by_box
            else []
        ),
        f"{_DISTANCE_KM.strip()} <= %(geo_radius_km)s",
        *site_conditions,
    ]
    join = "\n    join sites on sites.site_id = locations.site_id" if site_conditions else ""
    return f"locations{join}", (chr(10) + "        and ").join(conditions)


def _nearest_cte(where: StudyFilter, geo: GeoArea, params: dict[str, Any]) -> str:
    """`nearest`: each trial's nearest located site inside the circle (the first stored of equally
    near ones), for pages ordered by distance.
    """
    source, conditions = _in_circle(where, geo, params)
    return f"""nearest as materialized (
    select distinct on (locations.nct_id)
        locations.nct_id as nct_id,
        locations.position as position,
        {_DISTANCE_KM.strip()} as distance_km
    from {source}
    where {conditions}
    order by locations.nct_id, distance_km, locations.position
)"""


def circle_set(
    where: StudyFilter, geo: GeoArea, params: dict[str, Any], *, whole_areas_apart: bool = False
) -> str:
    """SQL listing the nct_id of each trial with a located site inside the circle meeting the
    site filters (a trial may be listed more than once).

    Without site filters the circle is read by grid (`postgres_geo`): whole areas give their
    trials, so a dense circle costs about its trials, not its sites; with `whole_areas_apart`
    the whole 1° areas are left to the caller (`circle_trials`). With site filters every site
    is tested, through the GiST index.
    """
    if not (where.countries or where.location_words):
        params.update(geo_params(geo))
        return circle_trials(geo, _DISTANCE_KM, params, whole_areas_apart=whole_areas_apart)
    source, conditions = _in_circle(where, geo, params)
    return f"""select locations.nct_id
    from {source}
    where {conditions}"""


def _place_condition(where: StudyFilter, geo: GeoArea, params: dict[str, Any]) -> str:
    """The trial has a located site inside the circle meeting the site filters (no distance
    order: pages not ordered by distance find their trials' nearest sites after the cut)."""
    return f"""trials.nct_id in (
    {circle_set(where, geo, params)}
)"""


def _trial_site_condition(where: StudyFilter, params: dict[str, Any]) -> str:
    """Without a place: the trial has a site in one of the countries, matching the words."""
    if not where.location_words:
        params["countries"] = lower_all(where.countries)
        return """exists (
        select 1
        from trial_countries
        where trial_countries.nct_id = trials.nct_id
            and lower(trial_countries.country) = any(%(countries)s::text[])
    )"""
    conditions = _site_conditions(where, params)
    return f"""exists (
        select 1
        from locations
        join sites on sites.site_id = locations.site_id
        where locations.nct_id = trials.nct_id
            and {(chr(10) + "            and ").join(conditions)}
    )"""


def words_status_condition(where: StudyFilter, params: dict[str, Any], in_documents: bool) -> str:
    """The status test of a search with words (binding the statuses), written as the words'
    GIN index holds the status (migration 0014): `array[overall_status]`, on
    `trial_documents` when the words are searched there.

    The index then finds the hits in the statuses asked in one scan. As a btree test the
    status was a bitmap of its own, ANDed with the words': "open" is 63k rows at 100k
    studies, 2-6 ms to build before any hit is read, and the `= any` form cannot be a GIN
    index condition (GIN takes no array of values); the overlap of a one-element array with
    the statuses is the same test.
    """
    params["statuses"] = list(where.statuses)
    table = "trial_documents" if in_documents else "trials"
    return f"array[{table}.overall_status] && %(statuses)s::text[]"


SEARCH_ROW_FIELDS = ("text", "statuses", "countries", "location_words", "geo", "nct_ids")
"""The `StudyFilter` fields a search can answer from `trial_search` rows: the words and status
in the row, the others tested by the trial's id in tables of their own."""


def _walks_one_country(where: StudyFilter, sort: StudySort | None) -> bool:
    """Whether a page of `where` is read from one country's `trial_countries` rows along the
    last update (migration 0013): one country, no words, and no filter but those the rows'
    copied columns answer (`COUNTRY_WALK_FIELDS`), ordered by last update (relevance without
    words or a place falls back to it)."""
    if sort is None or sort.key not in ("last_update", "relevance") or len(where.countries) != 1:
        return False
    return dataclasses.replace(where, **COUNTRY_WALK_FIELDS) == StudyFilter()


def search_rows_table(where: StudyFilter, sort: StudySort | None) -> str | None:
    """The narrow table a search reads in place of `trials`, if any: a page of one country
    ordered by last update reads that country's `trial_countries` rows (migration 0013),
    which copy the trial's filter columns; `trial_search` (migration
    0012) when its words are all searched in `core_document`, `trial_documents` when they are
    searched in the whole document and it has no place (those rows list no areas); in both,
    filters only on `SEARCH_ROW_FIELDS` and an order (none, relevance or distance) that needs
    no other column. A count or facets (no order) of words, no phrase, all searched in the
    title, conditions and keywords read `trial_words` (migration 0015) instead of
    `trial_search`.

    Such a row has the columns the search reads from `trials` under the same names
    (`trial_documents.document` standing for the document), so the same SQL runs with the
    table named `trials`: a broad word's hits are read from fewer, narrower pages ("cancer":
    134k hits in 58k pages, 87k of `trials`, at 600k studies), and whole-document hits are
    not looked up in `trials` one by one.
    """
    if _walks_one_country(where, sort):
        return "trial_countries"
    if not where.text or (sort is not None and sort.key not in ("relevance", "distance")):
        return None
    is_core = text_column(where.text) == "trials.core_document"
    blank = StudyFilter()
    kept = {name: getattr(blank, name) for name in SEARCH_ROW_FIELDS}
    if dataclasses.replace(where, **kept) != blank:
        return None
    if is_core:
        return "trial_words" if sort is None and _in_word_rows(where.text) else "trial_search"
    return "trial_documents" if where.geo is None else None


def study_search_sql(
    where: StudyFilter, sort: StudySort | None, columns: str = "trials.nct_id as nct_id"
) -> tuple[str, dict[str, Any]]:
    """Return (sql, params) selecting matching trials; with `sort`, ordered and paged.

    With `sort` the columns are nct_id, score (higher is better), position (in `locations` of
    the nearest site in a place search ordered by distance, else null; `search_trials` finds
    the page's nearest sites of other place searches) and distance_km. Without `sort` they are
    `columns` (by default nct_id; each named, `expression as name`) of `trials` (of the
    `search_rows_table`, named `trials`, when there is one), with no order or limit. The text
    rank is computed only for the trials that pass every filter (with a place, every filter
    but the place: the words' hits around it, `postgres_geo.probed_circle`), and only when
    sorting.
    """
    params: dict[str, Any] = {}
    ctes: list[str] = []
    narrow = search_rows_table(where, sort)
    sources = [f"{narrow} as trials" if narrow else "trials"]
    conditions: list[str] = []

    query = tsquery(where.text, labeled=narrow != "trial_words")
    document = {"trial_documents": "trials.document", "trial_words": "trials.words"}.get(
        narrow or "", text_column(where.text)
    )
    in_documents = query is not None and document.startswith("trial_documents.")
    if query is not None:
        params["tsquery"] = query
        sources.append(f"to_tsquery('{TEXT_CONFIG}', %(tsquery)s) as query")

    nearest = where.geo is not None and sort is not None and _sorts_by_distance(where, sort)
    # Words and a place, not ordered by distance: the circle is probed with the words' hits
    # (below, once every other condition is known).
    probed = where.geo is not None and not nearest and query is not None
    if where.geo is not None and nearest:
        ctes.append(_nearest_cte(where, where.geo, params))
        sources[0] += "\njoin nearest on nearest.nct_id = trials.nct_id"
    elif where.geo is not None and not probed:
        conditions.append(_place_condition(where, where.geo, params))
    elif narrow == "trial_countries":
        params["country"] = where.countries[0].lower()
        conditions.append("lower(trials.country) = %(country)s")
    elif where.geo is None and _has_site_filter(where):
        conditions.append(_trial_site_condition(where, params))

    if in_documents:
        sources[0] += "\njoin trial_documents on trial_documents.nct_id = trials.nct_id"

    if where.nct_ids:
        params["nct_ids"] = [n.upper() for n in where.nct_ids]
        conditions.append("trials.nct_id = any(%(nct_ids)s::text[])")
    if where.id_words:
        params["id_words"] = lower_all(where.id_words)
        conditions.append(
            """(
        lower(trials.nct_id) = any(%(id_words)s::text[])
        or lower(trials.acronym) = any(%(id_words)s::text[])
    )"""
        )
    conditions += word_conditions(
        params, "sponsor_word", "lower(trials.lead_sponsor)", where.sponsor_words
    )
    if query is not None and where.statuses:
        conditions.append(words_status_condition(where, params, in_documents))
        conditions += column_conditions(dataclasses.replace(where, statuses=()), params, "trials")
    else:
        conditions += column_conditions(where, params, "trials")
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
    criteria_params, criteria_where = criteria_conditions(where, lambda name: f"%({name})s")
    params.update(criteria_params)
    conditions.extend(criteria_where)
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

    words_test = f"{document} @@ query"
    if query is not None:
        # Last: a trial's filter tests run in this order, and this one reads its document.
        conditions.append(words_test)
    if sort is not None:
        # ts_rank (term frequency by weight, nearness for AND), like bm25 a rank of how often
        # and where the words occur, not ts_rank_cd: its cover search costs ~30 us a hit with
        # phrases and synonyms ("nsclc OR sclc": 3.4k hits, 125 ms against 34 ms at 20k).
        weights = ", ".join(f"{w:g}" for w in LABEL_WEIGHTS)
        score = (
            f"ts_rank('{{{weights}}}', {document}, query, 1)" if query is not None else "null::real"
        )
        columns = f"""trials.nct_id as nct_id,
    {score} as score,
    {"nearest.position" if nearest else "null::integer"} as position,
    {"nearest.distance_km" if nearest else "null::double precision"} as distance_km"""

    if probed and where.geo is not None:
        hits = [*near_areas_condition(where.geo, params), *conditions]
        # The hits are cut to the areas around the circle (so its whole 1° areas are few):
        # those of its whole 1° areas are found from their rows (`probed_circle`).
        circle = circle_set(where, where.geo, params, whole_areas_apart="geo_near_areas" in params)
        whole_areas = bool(params.get("geo_whole_areas"))
        # A relevance page of words in `core_document` finds its hits by a looser query and
        # tests the exact one only on the hits the page reads (`_exactly_matched`).
        loose_query = (
            candidate_tsquery(where.text)
            if sort is not None and sort.key == "relevance" and document == "trials.core_document"
            else None
        )
        if sort is not None and loose_query is not None:
            ctes += probed_circle(
                [*sources, f"to_tsquery('{TEXT_CONFIG}', %(candidate_tsquery)s) as candidates"],
                [*(c for c in hits if c != words_test), f"{document} @@ candidates"],
                circle,
                f"{columns},\n    trials.ctid as row_id",
                whole_areas=whole_areas,
            )
            params["candidate_tsquery"] = loose_query
            sources, conditions, columns = _exactly_matched(
                narrow or "trials", _column_names(columns), _page_order(where, sort, True)
            )
        elif sort is None or sort.key == "relevance":
            # The hits carry every column asked (the rank too), so the found ones are kept
            # from them, not read again by key: at 100k studies, "non-small cell lung
            # cancer" open near Boston (25 mi) read its 1.3k found trials' rows again (10k
            # index and table pages, 6 ms in EXPLAIN ANALYZE); ranking all 1.7k hits costs
            # ~0.3 ms more.
            ctes += probed_circle(sources, hits, circle, columns, whole_areas=whole_areas)
            sources = ["word_hits as trials"]
            conditions = ["trials.nct_id in (select unnest(found.nct_ids) from found)"]
            columns = ", ".join(f"trials.{name}" for name in _column_names(columns))
        else:
            ctes += probed_circle(
                sources, hits, circle, "trials.nct_id as nct_id", whole_areas=whole_areas
            )
            conditions = ["trials.nct_id = any((select found.nct_ids from found)::text[])"]
            if in_documents:
                conditions.append(
                    "trial_documents.nct_id = any((select found.nct_ids from found)::text[])"
                )

    sql = ("with " + ",\n".join(ctes) + "\n") if ctes else ""
    sql += f"select\n    {columns}\nfrom " + ",\n".join(sources) + "\n"
    if conditions:
        sql += "where " + "\n    and ".join(conditions) + "\n"
    if sort is not None:
        sql += f"order by {_page_order(where, sort, query is not None)}\n"
        sql += "limit %(limit)s offset %(offset)s\n"
    return sql, params


def _page_order(where: StudyFilter, sort: StudySort, has_text: bool) -> str:
    """The ORDER BY terms of a page, the score named `score` (the shared ORDER BY names it
    `matched.score`; here it is the output column)."""
    order = order_by(where, sort, has_text, best_score_first="desc")
    return ", ".join(o.replace("matched.score", "score") for o in order)


def _exactly_matched(table: str, names: list[str], order: str) -> tuple[list[str], list[str], str]:
    """(sources, conditions, columns) of a relevance page of words and a place whose hits were
    found by `candidate_tsquery` (`word_hits`, with each hit's `row_id`, its `ctid` in
    `table`): the found hits in page order, each tested against the exact query (labels,
    phrases) on its row only as the page is read, so that only the hits up to the page's end
    are tested.

    The exact query's GIN scan rechecks every hit on its row, labels and phrase positions
    (~4 us a hit): at 100k studies, "non-small cell lung cancer" open near Boston 25 mi read
    and rechecked 1.7k rows for a page of 11 (7 ms of its 25 ms of server CPU); the looser
    query finds the same 1.7k from the index alone. Every exact hit is a candidate and keeps
    its rank, so the page is the same; the subquery's `offset 0` keeps the test above the
    sort, and the outer ORDER BY is the subquery's, so PostgreSQL adds no sort of its own.
    """
    hit_columns = ", ".join(f"trials.{name}" for name in names)
    sources = [
        f"""(
    select {hit_columns}, trials.row_id
    from word_hits as trials
    where trials.nct_id in (select unnest(found.nct_ids) from found)
    order by {order}
    offset 0
) as trials"""
    ]
    conditions = [
        f"""(
        select exact.core_document @@ query
        from {table} as exact, to_tsquery('{TEXT_CONFIG}', %(tsquery)s) as query
        where exact.ctid = trials.row_id
    )"""
    ]
    return sources, conditions, hit_columns


_COLUMN_NAME = re.compile(r"\bas (\w+)\s*(?:,|$)")


def _column_names(columns: str) -> list[str]:
    """The output names of a select list whose every column is named (`expression as name`,
    as `study_search_sql` takes them)."""
    names = _COLUMN_NAME.findall(columns)
    if not names:
        raise ValueError(f"every column must be named (expression as name): {columns!r}")
    return names


SITE_COLUMNS = "sites.site_id, sites.name, sites.city, sites.state, sites.zip, sites.country"


TopKPage = Callable[[Connection, StudyFilter, StudySort, int, int], list[tuple[Any, ...]] | None]
"""A page of `study_search_sql`'s rows from another path (`postgres_bm25.top_k_page`: a
relevance page by BM25 top-k), or None where the product's SQL answers it."""


def search_trials(
    conn: Connection,
    where: StudyFilter,
    sort: StudySort,
    limit: int,
    offset: int,
    time_limit_s: float,
    top_k: TopKPage | None = None,
) -> list[StudyHit]:
    """Return one page of trials matching `where` (see `PostgresStore.search_trials`): by
    `top_k` where it answers the page, else by `study_search_sql`."""
    with time_limit(conn, time_limit_s, where):
        narrowed = sparse_country_trials(conn, where)
        sql, params = study_search_sql(narrowed or where, sort)
        params.update(limit=limit, offset=offset)
        rows: list[tuple[Any, ...]] = []
        located: dict[str, tuple[Site, str]] = {}
        if narrowed is not None and where.geo is not None and _nearest_first(where, sort):
            rows, located = _nearest_page(conn, where.geo, sql, params)
        elif narrowed is not None:
            found = None if top_k is None else top_k(conn, narrowed, sort, limit, offset)
            rows = conn.execute(sql, params).fetchall() if found is None else found
            if plan_settings(where):
                # The page's sites are a few key lookups: plan them as usual.
                conn.execute("; ".join(f"reset {name}" for name in plan_settings(where)))
            if where.geo is not None and not _sorts_by_distance(where, sort) and rows:
                rows, located = _with_nearest_sites(conn, where, where.geo, rows)
            elif _has_site_filter(where) and rows:
                located = _page_sites(conn, where, rows)
    hits = []
    for nct_id, score, _, distance in rows:
        site, status = located.get(nct_id, (None, ""))
        hits.append(
            StudyHit(
                nct_id=nct_id,
                score=None if score is None else float(score),
                site=site,
                site_status=status,
                distance_km=distance,
            )
        )
    return hits


def _nearest_first(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the page is ordered nearest first (asked, or relevance without words)."""
    return (sort.key == "distance" and not sort.is_descending) or (
        sort.key == "relevance" and not where.text
    )


def _sorts_by_distance(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the page's order needs each trial's distance (see `search_order.order_by`)."""
    return sort.key == "distance" or (sort.key == "relevance" and not where.text)


def _nearest_page(
    conn: Connection, geo: GeoArea, sql: str, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Site, str]]]:
    """The page of a nearest-first search, with the site shown with each trial (its nearest,
    as `_page_sites` finds it) read in the same statement (`_shown_sites`). The circle starts
    at 1/64 of the radius and doubles until it holds the page: a trial with no site in the
    smaller circle is farther than every trial with one, so the page is the same as the whole
    circle's (as in `sqlite_search`).
    """
    shown = _shown_sites(sql)
    found: list[tuple[Any, ...]] = []
    for near_km in growing_radii(geo.radius_km):
        smaller = geo_params(GeoArea(geo.lat, geo.lon, near_km))
        found = conn.execute(shown, {**params, **smaller}).fetchall()
        if len(found) == params["limit"]:
            break
    located = {row[0]: (Site(*row[5:]), str(row[4] or "")) for row in found}
    return [row[:4] for row in found], located


def _shown_sites(sql: str) -> str:
    """`sql`, a nearest-first page (`study_search_sql`'s columns, ordered by distance, then
    nct_id), with each trial's shown site (`_PAGE_SITE_COLUMNS`, as `_page_sites` reads it).

    One statement, not a second one for the sites after the page: a round trip of ~0.3 ms
    of server and client CPU a page.
    """
    page = sql.strip().replace("\n", "\n    ")
    return f"""select page.nct_id, page.score, page.position, page.distance_km, {_PAGE_SITE_COLUMNS}
from (
    {page}
) as page
{_PAGE_SITE_JOIN.format(page="page")}
order by page.distance_km, page.nct_id"""


def nearest_sites_sql(
    where: StudyFilter, geo: GeoArea, nct_ids: list[str]
) -> tuple[str, dict[str, Any]]:
    """(sql, params) of each trial's nearest site in the circle meeting the site filters, for
    the trials `nct_ids` of a page not ordered by distance: nct_id, position and distance (the
    first stored of equally near sites).

    The sites are read by trial and each measured, without the circle's box: ANDed with the
    box's GiST bitmap, the lookup read every located site in the box (106k for New York
    100 mi at 100k studies, 28 ms) to keep the page's ten. A site outside the circle's
    latitude/longitude box (`covering_box`) is dropped before its distance is computed, as
    in SQLite: the ten "breast cancer" trials near Houston have 7.5k sites, 20 in the
    circle (2.1 → 1.1 ms at 100k studies).
    """
    box = covering_box(geo)
    params: dict[str, Any] = {
        "nct_ids": nct_ids,
        "geo_lat_low": box.lat_low,
        "geo_lat_high": box.lat_high,
        "geo_lon_low": box.lon_low,
        "geo_lon_high": box.lon_high,
    }
    source, conditions = _in_circle(where, geo, params, by_box=False)
    sql = f"""
            select distinct on (locations.nct_id)
                locations.nct_id,
                locations.position,
                {_DISTANCE_KM.strip()} as distance_km
            from {source}
            where locations.nct_id = any(%(nct_ids)s::text[])
                and locations.lat between %(geo_lat_low)s and %(geo_lat_high)s
                and locations.lon between %(geo_lon_low)s and %(geo_lon_high)s
                and {conditions}
            order by locations.nct_id, distance_km, locations.position
            """
    return sql, params


def _with_nearest_sites(
    conn: Connection, where: StudyFilter, geo: GeoArea, rows: list[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Site, str]]]:
    """`rows` of a page not ordered by distance, with each trial's nearest site in the circle
    (position and distance), looked up for the page only (`nearest_sites_sql`), and that site
    shown with each trial (as `_page_sites`): one statement, not one for the sites' positions
    and another for their details.
    """
    sql, params = nearest_sites_sql(where, geo, [row[0] for row in rows])
    nearest: dict[str, tuple[Any, Any]] = {}
    located: dict[str, tuple[Site, str]] = {}
    for nct_id, position, distance, status, *site in conn.execute(
        f"""
            select nearest.nct_id, nearest.position, nearest.distance_km, {_PAGE_SITE_COLUMNS}
            from ({sql}) as nearest (nct_id, position, distance_km)
            {_PAGE_SITE_JOIN.format(page="nearest")}
            """,
        params,
    ):
        nearest[nct_id] = (position, distance)
        located[nct_id] = (Site(*site), str(status or ""))
    return [(nct_id, score, *nearest[nct_id]) for nct_id, score, _, _ in rows], located


_PAGE_SITE_COLUMNS = f"locations.status, {SITE_COLUMNS}, sites.lat, sites.lon"
"""A page's shown site: its location status and the site (`Site`'s fields in order)."""

_PAGE_SITE_JOIN = f"""cross join lateral (
                select locations.status, locations.site_id
                from locations
                where locations.nct_id = {{page}}.nct_id
                    and locations.position = {{page}}.position
            ) as locations
            cross join lateral (
                select {SITE_COLUMNS}, sites.lat, sites.lon
                from sites
                where sites.site_id = locations.site_id
            ) as sites"""
"""The located site at each `{page}` row's (nct_id, position), with its site: two key
lookups a row, lateral so that they stay so under a search's plan settings (which rule out
nested loops wherever the planner has another way), as when the page and its sites are read
in one statement (`_shown_sites`)."""


def _page_sites(
    conn: Connection, where: StudyFilter, rows: list[tuple[Any, ...]]
) -> dict[str, tuple[Site, str]]:
    """The site (and location status) shown with each trial of a page: the nearest one in a
    place search, else the first (by position) in the countries and matching the words.
    Found after the page is cut, so only for the page's trials.
    """
    params: dict[str, Any] = {"nct_ids": [row[0] for row in rows]}
    if where.geo is not None:
        params["positions"] = [row[2] for row in rows]
        sql = f"""
            select page.nct_id, {_PAGE_SITE_COLUMNS}
            from unnest(%(nct_ids)s::text[], %(positions)s::integer[]) as page (nct_id, position)
            {_PAGE_SITE_JOIN.format(page="page")}
            """
    elif not where.location_words:
        # The first site in the countries, from the trial's first position in each country.
        params["countries"] = lower_all(where.countries)
        sql = f"""
            select
                locations.nct_id, locations.status, {SITE_COLUMNS}, sites.lat, sites.lon
            from unnest(%(nct_ids)s::text[]) as page (nct_id)
            cross join lateral (
                select min(trial_countries.first_position) as position
                from trial_countries
                where trial_countries.nct_id = page.nct_id
                    and lower(trial_countries.country) = any(%(countries)s::text[])
            ) as first
            join locations
                on locations.nct_id = page.nct_id
                and locations.position = first.position
            join sites on sites.site_id = locations.site_id
            """
    else:
        conditions = _site_conditions(where, params)
        # Each trial's sites in position order, stopping at the first that matches: a trial
        # with thousands of sites is read whole only when none of them matches.
        sql = f"""
            select
                first.nct_id, first.status, first.site_id, first.name, first.city, first.state,
                first.zip, first.country, first.lat, first.lon
            from unnest(%(nct_ids)s::text[]) as page (nct_id)
            cross join lateral (
                select
                    locations.nct_id, locations.status, {SITE_COLUMNS}, sites.lat, sites.lon
                from locations
                join sites on sites.site_id = locations.site_id
                where locations.nct_id = page.nct_id
                    and {" and ".join(conditions)}
                order by locations.position
                limit 1
            ) as first
            """
    return {row[0]: (Site(*row[2:]), str(row[1] or "")) for row in conn.execute(sql, params)}
