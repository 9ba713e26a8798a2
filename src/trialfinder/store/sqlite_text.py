"""SQLite full text: FTS5 match expressions, the index each search reads, and the condition index.

`trials_fts` indexes every text column of a trial. `trials_cond_fts` (migration 0007) indexes
only the short ones that `query.cond`, `query.intr` and `query.titles` search (title,
conditions, interventions, keywords): walking a dense phrase there skips the position lists of
the long summary and criteria texts. Its last column, `pad`, holds as many tokens ("x") as the
trial's summary and criteria have in `trials_fts`, so both indexes hold the same number of rows,
the same tokens per row and in total: bm25 (same weights, same column filter) gives the same
scores bit for bit. No search ever reads `pad`.

`trials_cond_fts` is contentless: deleting a row gives FTS5 the values it was indexed with,
read back from `trials_fts` (text) and its `docsize` table (token counts) before those go.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections.abc import Mapping, Sequence

from trialfinder.errors import QueryError
from trialfinder.store.base import TextSearch, TextTerm

FTS_COLUMNS = ("title", "conditions", "interventions", "keywords", "summary", "criteria")
"""Columns of `trials_fts`, in order."""

FTS_WEIGHTS = (10.0, 8.0, 5.0, 6.0, 2.0, 1.0)
"""bm25 weight of each column in `FTS_COLUMNS`: a title or condition hit counts most. The one
table of field weights: PostgreSQL's label weights (`label_weights`) follow it. Checked on the
judged TREC 2021 topics by `bench/ranking_bench.py`: a grid tuned on odd topics did not do better
on the even ones, so these stay (BENCHMARKS.md, "Search"); bm25's k1 and b are fixed in FTS5."""

TANTIVY_BOOSTS = FTS_WEIGHTS
"""Boost of each column's BM25 in the tantivy index (`sqlite_tantivy_search`), in `FTS_COLUMNS`
order. Its own table because tantivy scores otherwise: each phrase scores its best column's
BM25 (term frequency normalised by that column's length, document frequency counted in that
column) times that column's boost, where FTS5 weights the term counts inside one BM25 of the
whole record. Measured on the judged TREC 2021 topics by `bench/ranking_bench.py --engine
tantivy --tune` and `--folds 5`: tuning did not pay out of fold, so these (FTS5's weights) stay
(BENCHMARKS.md, "Search")."""


def label_weights(
    labels: Mapping[str, str], weights: Sequence[float] = FTS_WEIGHTS
) -> tuple[float, float, float, float]:
    """Return the ts_rank weights of labels D, C, B, A for columns labelled `labels`: each
    label's mean column weight in `weights`, over the heaviest column's (ts_rank takes 0..1)."""
    by_column = dict(zip(FTS_COLUMNS, weights, strict=True))
    heaviest = max(weights)
    d, c, b, a = (
        statistics.fmean(w for column, w in by_column.items() if labels[column] == label) / heaviest
        for label in "DCBA"
    )
    return d, c, b, a


CONDITION_COLUMNS = FTS_COLUMNS[:4]
"""Columns of `trials_cond_fts` before `pad`: the first four of `trials_fts`, in order."""

_PAD_TOKEN = "x "
"""One token of `pad`: a trial's pad holds one per token of its summary and criteria."""


# -- match expressions ----------------------------------------------------------------------------


def _phrase(words: tuple[str, ...]) -> str:
    return '"' + " ".join(word.replace('"', '""') for word in words) + '"'


def _term(term: TextTerm) -> str:
    star = " *" if term.is_prefix else ""
    parts = [_phrase(words) + star for words in term.alternatives if words]
    if not parts:
        raise QueryError("a search term has no words")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _text_search(search: TextSearch) -> str:
    positive = [_term(t) for t in search.terms if not t.is_negated]
    negative = [_term(t) for t in search.terms if t.is_negated]
    if not positive:
        raise QueryError("a search needs at least one word that is not excluded with '-'")
    expression = " AND ".join(positive)
    if negative:
        expression = f"({expression}) NOT ({' OR '.join(negative)})"
    if not search.columns:
        return f"({expression})"
    for column in search.columns:
        if column not in FTS_COLUMNS:
            raise ValueError(f"{column!r} is not a full-text column ({', '.join(FTS_COLUMNS)})")
    return "{" + " ".join(search.columns) + "} : (" + expression + ")"


def fts_query(searches: tuple[TextSearch, ...]) -> str | None:
    """Return the FTS5 match expression for parsed text searches (None when there are none).

    Each word is written as a quoted FTS5 string, so no user text is ever read as FTS5 syntax.
    """
    if not searches:
        return None
    return " AND ".join(_text_search(s) for s in searches)


def text_index(searches: tuple[TextSearch, ...]) -> tuple[str, str]:
    """(FTS5 table, its bm25 weights as SQL) that `searches` read: the condition index when
    every search names only its columns, else the index of all the text."""
    if all(s.columns and set(s.columns) <= set(CONDITION_COLUMNS) for s in searches):
        weights = (*FTS_WEIGHTS[: len(CONDITION_COLUMNS)], 0.0)
        return "trials_cond_fts", ", ".join(f"{w:g}" for w in weights)
    return "trials_fts", ", ".join(f"{w:g}" for w in FTS_WEIGHTS)


# -- the condition index --------------------------------------------------------------------------


def _varints(blob: bytes) -> list[int]:
    """The integers of an FTS5 `docsize` blob (SQLite varints: 7 bits a byte, the 9th byte 8)."""
    values: list[int] = []
    at = 0
    while at < len(blob):
        value = 0
        for index in range(9):
            byte = blob[at]
            at += 1
            if index == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


_CONDITION_ROWS = """
    select
        trials_fts.rowid, trials_fts.title, trials_fts.conditions, trials_fts.interventions,
        trials_fts.keywords, trials_fts_docsize.sz
    from trials_fts
    join trials_fts_docsize on trials_fts_docsize.id = trials_fts.rowid
    where trials_fts.rowid in (select value from json_each(:rowids))
    """
"""The `trials_cond_fts` values of some rows of `trials_fts` (the pad from its token counts)."""


def _condition_rows(db: sqlite3.Connection, rowids: Sequence[object]) -> list[tuple[object, ...]]:
    """The `trials_cond_fts` values of these rows of `trials_fts`."""
    rows: list[tuple[object, ...]] = []
    params = {"rowids": json.dumps(list(rowids))}
    for rowid, title, conditions, interventions, keywords, sizes in db.execute(
        _CONDITION_ROWS, params
    ):
        counts = _varints(sizes)
        pad = _PAD_TOKEN * sum(counts[len(CONDITION_COLUMNS) :])
        rows.append((rowid, title, conditions, interventions, keywords, pad))
    return rows


def insert_condition_rows(db: sqlite3.Connection, rowids: Sequence[object]) -> None:
    """Index in `trials_cond_fts` these rows of `trials_fts` (just inserted)."""
    rows = _condition_rows(db, rowids)
    db.executemany(
        """
        insert into trials_cond_fts (rowid, title, conditions, interventions, keywords, pad)
        values (?, ?, ?, ?, ?, ?)
        """,
        rows,
    )


def delete_condition_rows(db: sqlite3.Connection, rowids: Sequence[object]) -> None:
    """Take these rows out of `trials_cond_fts`; call it before they leave `trials_fts`."""
    rows = _condition_rows(db, rowids)
    db.executemany(
        """
        insert into trials_cond_fts (
            trials_cond_fts, rowid, title, conditions, interventions, keywords, pad
        )
        values ('delete', ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )
