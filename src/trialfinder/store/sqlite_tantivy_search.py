"""A page of trials by relevance from the tantivy index (`sqlite_tantivy.py`).

Serves searches with words (`query.cond`, `query.term`, ...) ranked by relevance, best first,
with any filters and an optional place (not together with a country or location words: a site
must then meet both); `tantivy_page` returns None where it cannot, and the caller searches FTS5.

The match is FTS5's: the index holds FTS5's own tokens (`sqlite_tantivy_words`); every phrase
of a term's alternatives in the searched columns, `-` terms left out; a prefix (`word*`) or a
phrase FTS5 makes no token of goes to FTS5. A phrase scores its best column: that column's
BM25 boosted by its weight in `sqlite_text.TANTIVY_BOOSTS` (read at each search; the phrase's
other columns add nothing, as FTS5's bm25 saturates a phrase's weighted count over the
columns), and a term's phrases add up; equal scores are ordered by NCT id. The
index filters status, phase, type, sex, age, age group, healthy volunteers, results and country
itself. Near a place it lists the trials with a site in a 0.25° area the circle touches, best
first; those with a site in an area wholly inside the circle pass, the others are checked site
by site on their stored coordinates, and any other filter in SQLite, a batch at a time, only
until the page is full.
Equal scores are put in NCT id order by the index's NCT numbers, without SQLite. The page's
trials whose text holds a character tantivy splits words at and FTS5 does not (flagged at
indexing: `fts5_check`) are checked against FTS5 by rowid at last: a page FTS5 would not match
in full is dropped and FTS5 answers.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import tantivy

from trialfinder.store import sqlite_text
from trialfinder.store.base import GeoArea, StudyFilter, StudySort
from trialfinder.store.geo_cells import AREA_LEVEL_BASE, CELLS_PER_DEGREE, Box, circle_cells
from trialfinder.store.sqlite_geo import DISTANCE_KM, bounding_box
from trialfinder.store.sqlite_tantivy import AREA_SIDE, NO_NCT_NUMBER, OpenIndex, nct_number
from trialfinder.store.sqlite_tantivy_words import fts5_tokens
from trialfinder.store.sqlite_text import FTS_COLUMNS, fts_query, text_index

_SERVED = frozenset(
    {
        "text",
        "statuses",
        "phases",
        "study_types",
        "sexes",
        "age_years",
        "age_groups",
        "healthy_volunteers",
        "has_results",
        "countries",
        "geo",
    }
)
"""The `StudyFilter` fields the index answers itself; the others are checked in SQLite, a
batch of the best matches at a time (`tantivy_page`'s `check`)."""

_TERM_FILTERS = (
    ("status", "statuses"),
    ("study_type", "study_types"),
    ("sex", "sexes"),
    ("phase", "phases"),
    ("std_age", "age_groups"),
)

MAX_AREAS = 20_000
"""Most 0.25° areas a circle may touch (about 3,000 km across): wider ones go to FTS5."""

_FIRST_WALK = 1_000
"""Matches listed by the first walk when some must be checked (at least 4 pages' worth):
listing more costs little, walking again costs the whole walk."""

_CHECK_BATCH = 100
"""Matches checked at a time (circle, filters the index lacks), best first."""


def serves(where: StudyFilter, sort: StudySort) -> bool:
    """Whether the index answers this search: words, relevance best first, and no place
    together with a country or location words (a site must then meet both)."""
    if not where.text or sort.key != "relevance" or sort.is_descending:
        return False
    if where.geo is not None and (where.countries or where.location_words):
        return False
    return not any("," in group for group in where.age_groups) and "" not in where.phases


def needs_check(where: StudyFilter) -> bool:
    """Whether `where` sets a filter the index does not hold (the caller checks those)."""
    return any(
        getattr(where, name) not in (None, ())
        for name in StudyFilter.__dataclass_fields__
        if name not in _SERVED
    )


def _text_query(index: OpenIndex, where: StudyFilter) -> tantivy.Query | None:
    """Every text search as tantivy clauses, or None when one cannot be written exactly."""
    weights = dict(zip(FTS_COLUMNS, sqlite_text.TANTIVY_BOOSTS, strict=True))
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for search in where.text:
        columns = search.columns or FTS_COLUMNS
        if any(column not in weights for column in columns):
            return None
        if all(term.is_negated for term in search.terms):
            return None  # FTS5 raises the error this search deserves
        for term in search.terms:
            if term.is_prefix:
                return None
            alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
            for tokens in fts5_tokens([" ".join(words) for words in term.alternatives]):
                if not tokens:
                    return None  # what FTS5 makes of a phrase without tokens is its own
                in_columns = [
                    tantivy.Query.boost_query(_phrase(index, column, tokens), weights[column])
                    for column in columns
                ]
                best_column = tantivy.Query.disjunction_max_query(in_columns, 0.0)
                alternatives.append((tantivy.Occur.Should, best_column))
            occur = tantivy.Occur.MustNot if term.is_negated else tantivy.Occur.Must
            clauses.append((occur, tantivy.Query.boolean_query(alternatives)))
    return tantivy.Query.boolean_query(clauses)


def _phrase(index: OpenIndex, column: str, tokens: list[str]) -> tantivy.Query:
    """One phrase of FTS5 tokens in one column (a term query for a single token)."""
    if len(tokens) == 1:
        return tantivy.Query.term_query(index.schema, column, tokens[0])
    phrase: list[str | tuple[int, str]] = list(tokens)
    return tantivy.Query.phrase_query(index.schema, column, phrase)


def _filters(schema: tantivy.Schema, where: StudyFilter) -> list[tantivy.Query]:
    """The served filters as tantivy queries (scored 0 by the caller)."""
    found: list[tantivy.Query] = []
    for field, name in _TERM_FILTERS:
        values = getattr(where, name)
        if values:
            found.append(tantivy.Query.term_set_query(schema, field, list(values)))
    if where.countries:
        countries = [country.lower() for country in where.countries]
        found.append(tantivy.Query.term_set_query(schema, "country", countries))
    if where.age_years is not None:
        age = float(where.age_years)
        float_type = tantivy.FieldType.Float
        found.append(tantivy.Query.range_query(schema, "min_age", float_type, None, age))
        found.append(tantivy.Query.range_query(schema, "max_age", float_type, age, None))
    for field, flag in (("healthy", where.healthy_volunteers), ("results", where.has_results)):
        if flag is not None:
            found.append(tantivy.Query.term_query(schema, field, int(flag)))
    return found


def _query(
    schema: tantivy.Schema,
    text: tantivy.Query,
    filters: list[tantivy.Query],
    areas: list[int] | None = None,
) -> tantivy.Query:
    """The text, scored, with the filters and (given) the areas, scored 0: a filter must not
    move the text's order."""
    zero = 0.0
    clauses = [(tantivy.Occur.Must, text)]
    clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, zero)) for f in filters]
    if areas is not None:
        in_areas = tantivy.Query.term_set_query(schema, "area", areas)
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(in_areas, zero)))
    return tantivy.Query.boolean_query(clauses)


def circle_areas(geo: GeoArea) -> tuple[list[int], list[int]] | None:
    """(inside, border) ids of the 0.25° areas a circle touches: every site of an inside area
    lies in the circle; None when the circle touches more than `MAX_AREAS`."""
    bounds = bounding_box(geo)
    box = Box(
        bounds["geo_lat_low"], bounds["geo_lat_high"], bounds["geo_lon_low"], bounds["geo_lon_high"]
    )
    per_degree = CELLS_PER_DEGREE // AREA_SIDE
    inside, border = circle_cells(geo.lat, geo.lon, geo.radius_km, box, per_degree)
    if sum(last - first + 1 for first, last in inside + border) > MAX_AREAS:
        return None
    base = AREA_SIDE * AREA_LEVEL_BASE
    return (
        [base + i for first, last in inside for i in range(first, last + 1)],
        [base + i for first, last in border for i in range(first, last + 1)],
    )


_TIES = 1_000
"""Hits fetched at least once the page's last score is tied with the next hit's."""


class Hit(NamedTuple):
    """A match: its score, trial rowid, NCT number (`sqlite_tantivy.nct_number`) and whether
    FTS5 must confirm it on a page (`fts5_check`)."""

    score: float
    rowid: int
    nct_number: int
    needs_fts5: bool


class _Walk:
    """The best `count` matches of one search, best first (equal scores in the index's order):
    their scores at once, the rest of a hit only when a slice is asked for (a page near a
    place reads the first few batches of a walk of 1,000)."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query, count: int) -> None:
        result = searcher.search(query, count, count=False)
        self._searcher = searcher
        self._addresses = [address for _, address in result.hits]
        self.scores = [float(score) for score, _ in result.hits]
        self.is_complete = len(self.scores) < count  # every match is listed

    def hits(self, start: int = 0, end: int | None = None) -> list[Hit]:
        """The hits `start:end` with their fast fields."""
        addresses = self._addresses[start:end]
        if not addresses:
            return []
        values = [
            self._searcher.fast_field_values(name, addresses)
            for name in ("rowid", "nct_number", "fts5_check")
        ]
        if any(value is None for column in values for value in column):
            raise ValueError("a text index segment lacks a fast field: run `trialfinder reindex`")
        return [
            Hit(score, rowid, number, checked != 0)
            for score, rowid, number, checked in zip(self.scores[start:end], *values, strict=True)
        ]


def _hits(searcher: tantivy.Searcher, query: tantivy.Query, count: int) -> list[Hit]:
    """The best `count` hits, best first (equal scores in the index's order)."""
    return _Walk(searcher, query, count).hits()


def _best(searcher: tantivy.Searcher, query: tantivy.Query, wanted: int) -> list[Hit]:
    """The best `wanted` hits and every hit scoring the same as the last of them (the NCT id
    breaks those ties later)."""
    count = max(wanted, 1)
    while True:
        hits = _hits(searcher, query, count)
        if len(hits) < count or hits[-1].score < hits[wanted - 1].score:
            return hits
        # Each try walks every match again: a large step makes a long run of ties cheap.
        count = max(count * 16, _TIES)


_IN_CIRCLE = f"""
    select distinct
        trials.rowid
    from trials
    join locations on locations.nct_id = trials.nct_id
    where trials.rowid in (select value from json_each(:rowids))
        and locations.lat between :geo_lat_low and :geo_lat_high
        and locations.lon between :geo_lon_low and :geo_lon_high
        and {DISTANCE_KM.strip()} <= :geo_radius_km
    """
"""Which of some trials have a located site in the circle."""


_IN_AREAS = """
    select
        trial_rowid
    from trial_areas
    where area in (select value from json_each(:areas))
        and trial_rowid in (select value from json_each(:rowids))
    """
"""Which of some trials have a site in one of some areas (`trial_areas`, one key lookup per
area and trial)."""


def _in_circle(
    db: sqlite3.Connection, hits: list[Hit], inside: str, params: dict[str, Any]
) -> set[int]:
    """The rowids of `hits` with a site in the circle: those in an area wholly inside it (the
    JSON list `inside`), then the others checked site by site on their stored coordinates."""
    rowids = json.dumps([hit.rowid for hit in hits])
    found = {row[0] for row in db.execute(_IN_AREAS, {"areas": inside, "rowids": rowids})}
    rest = [hit.rowid for hit in hits if hit.rowid not in found]
    if rest:
        params["rowids"] = json.dumps(rest)
        found.update(row[0] for row in db.execute(_IN_CIRCLE, params))
    return found


Check = Callable[[list[Hit]], set[int]]
"""Which of some hits pass a condition the index cannot answer (their rowids)."""


def _passing(batch: list[Hit], checks: list[Check]) -> list[Hit]:
    for check in checks:
        passed = check(batch) if batch else set()
        batch = [hit for hit in batch if hit.rowid in passed]
    return batch


def _group_end(scores: list[float], at: int) -> int:
    """The index after the last hit scoring the same as the hit at `at`."""
    end = at + 1
    while end < len(scores) and scores[end] == scores[at]:
        end += 1
    return end


def _checked_hits(
    db: sqlite3.Connection,
    index: OpenIndex,
    query: tantivy.Query,
    wanted: int,
    checks: list[Check],
) -> list[Hit]:
    """The best `wanted` hits passing every check, ties taken in NCT id order.

    One walk lists the best matches; they are checked best first, a batch at a time, each
    batch ending where a score does, until `wanted` pass. A long run of equal scores is
    checked in NCT id order, only until the page is full.
    """
    count = max(4 * wanted, _FIRST_WALK)
    while True:
        walk = _Walk(index.searcher, query, count)
        scores = walk.scores
        passing: list[Hit] = []
        at = 0
        while at < len(scores) and len(passing) < wanted:
            end = min(at + _CHECK_BATCH, len(scores))
            while end > at and not _ends_score(scores, end, walk.is_complete):
                end -= 1
            if end > at:
                passing += _passing(walk.hits(at, end), checks)
                at = end
                continue
            # A run of equal scores from `at`, longer than a batch: in NCT id order.
            run_end = _group_end(scores, at)
            if run_end == len(scores) and not walk.is_complete:
                break  # the run may go on past the listed hits: list more
            run = _in_nct_order(db, walk.hits(at, run_end))
            for first in range(0, len(run), _CHECK_BATCH):
                passing += _passing(run[first : first + _CHECK_BATCH], checks)
                if len(passing) >= wanted:
                    break
            at = run_end
        else:
            return passing
        count *= 8  # walks every match again: take a long stride


def _ends_score(scores: list[float], at: int, is_complete: bool) -> bool:
    """Whether the hit at `at - 1` is the last of its score (past the listed hits, only when
    they are all the matches)."""
    if at == len(scores):
        return is_complete
    return scores[at - 1] != scores[at]


def _in_nct_order(db: sqlite3.Connection, hits: list[Hit]) -> list[Hit]:
    """`hits` in NCT id order: by their NCT numbers, or their ids in SQLite when one has none."""
    if all(hit.nct_number != NO_NCT_NUMBER for hit in hits):
        return sorted(hits, key=lambda hit: hit.nct_number)
    names = _nct_ids(db, [hit.rowid for hit in hits])
    return sorted(hits, key=lambda hit: names.get(hit.rowid, ""))


def _nct_ids(db: sqlite3.Connection, rowids: list[int]) -> dict[int, str]:
    return dict(
        db.execute(
            """
            select
                rowid, nct_id
            from trials
            where rowid in (select value from json_each(:rowids))
            """,
            {"rowids": json.dumps(rowids)},
        ).fetchall()
    )


def _is_other_trial(hit: Hit, nct_id: str | None) -> bool:
    """Whether the store holds another trial (or none) under the hit's rowid."""
    if nct_id is None:
        return True
    return hit.nct_number != NO_NCT_NUMBER and nct_number(nct_id) != hit.nct_number


def _fts5_agrees(db: sqlite3.Connection, where: StudyFilter, rowids: list[int]) -> bool:
    """Whether FTS5 matches the text of `where` in every one of these trials."""
    if not rowids:
        return True
    table, _ = text_index(where.text)
    (matched,) = db.execute(
        f"""
        select
            count(*)
        from {table}
        where {table} match :fts
            and rowid in (select value from json_each(:rowids))
        """,
        {"fts": fts_query(where.text), "rowids": json.dumps(rowids)},
    ).fetchone()
    return bool(matched == len(rowids))


def tantivy_page(
    db: sqlite3.Connection,
    index: OpenIndex,
    where: StudyFilter,
    limit: int,
    offset: int,
    check: Callable[[list[int]], set[int]] | None = None,
    deadline: float | None = None,
) -> list[tuple[str, float]] | None:
    """The page as (nct_id, score), best first, ties by NCT id; None: ask FTS5 instead.

    `check` (given rowids, those passing) applies the filters the index does not hold
    (`needs_check`). Past `deadline` (a `time.monotonic()` time) when the walk is done, the
    search stops as an SQLite statement past its time limit does: `sqlite3.OperationalError`
    "interrupted" (`sqlite_search.time_limit` reports it); the statements run here are
    interrupted by the time limit itself.
    """
    searcher, schema = index.searcher, index.schema
    text = _text_query(index, where)
    if text is None:
        return None
    filters = _filters(schema, where)
    wanted = offset + limit
    if wanted <= 0:
        return []
    query = _query(schema, text, filters)
    checks: list[Check] = []
    if where.geo is not None:
        areas = circle_areas(where.geo)
        if areas is None:
            return None
        inside, border = areas
        query = _query(schema, text, filters, inside + border)
        params: dict[str, Any] = bounding_box(where.geo)
        inside_json = json.dumps(inside)
        checks.append(lambda hits: _in_circle(db, hits, inside_json, params))
    if check is not None:
        checks.append(lambda hits: check([hit.rowid for hit in hits]))
    hits = (
        _checked_hits(db, index, query, wanted, checks)
        if checks
        else _best(searcher, query, wanted)
    )
    if deadline is not None and time.monotonic() > deadline:
        raise sqlite3.OperationalError("interrupted")
    ranked = _in_nct_order(db, hits)
    ranked = sorted(ranked, key=lambda hit: -hit.score)[offset:wanted]  # stable: ties in NCT order
    names = _nct_ids(db, [hit.rowid for hit in ranked])
    if any(_is_other_trial(hit, names.get(hit.rowid)) for hit in ranked):
        return None  # the index is behind the store
    confirm = [hit.rowid for hit in ranked if hit.needs_fts5]
    if not _fts5_agrees(db, where, confirm):
        return None
    return [(names[hit.rowid], hit.score) for hit in ranked]


def tantivy_matches(index: OpenIndex, where: StudyFilter) -> set[int] | None:
    """Rowids of every trial the index matches for `where` (its place left aside), or None
    when it cannot say; to compare match sets with FTS5 (tests, benchmark)."""
    searcher, schema = index.searcher, index.schema
    text = _text_query(index, where)
    if text is None:
        return None
    query = _query(schema, text, _filters(schema, where))
    return {hit.rowid for hit in _hits(searcher, query, max(searcher.num_docs, 1))}
