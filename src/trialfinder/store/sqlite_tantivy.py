"""A tantivy text index beside an SQLite store: derived from it, never the source of truth.

The index (`<db>.tantivy/`) holds each trial's text columns (those of `trials_fts`, as FTS5's
own tokens: `sqlite_tantivy_words`), its filter columns as fast fields and its 0.25° areas (as
`trial_areas` lists them), keyed by trial rowid and NCT id; for the page walk, the NCT id's
number (ties in NCT id order without SQLite) and whether the trial's text splits into words
as FTS5's does (if not, a page holding it is confirmed by FTS5). Its layout is versioned
(`INDEX_FORMAT`): an index of another format counts as none. SQLite stays the truth: every
insert, update or delete of a trial appends its NCT id to `text_index_log` in the same
transaction (triggers of migration 0010). The process that writes applies the log after its
commit (`catch_up`: delete by NCT id, add the trial as stored, one tantivy commit) and then
records the last sequence number applied in `trialfinder.json`. Readers use the index only
while that number equals the log's last one (`TextIndexReader.current`); else they search FTS5,
so a reader never sees text the store does not hold, and a writer killed between its SQLite and
tantivy commits is caught up by the next writer, or by `rebuild` (`trialfinder reindex`).

`TRIALFINDER_TEXT_INDEX` (`tantivy`, the default, or `fts5`) says whether a store keeps and
reads the index at all. tantivy is the default since its ranking passed a cross-validated test
against FTS5's on the judged TREC 2021 topics and only it reaches filtered pages within 30 ms
at 500,000 studies (BENCHMARKS.md, "can tantivy rank by default?").
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

from trialfinder.errors import StoreError
from trialfinder.store import sqlite_tantivy_words
from trialfinder.store.geo_cells import LOCATION_CELL, area_sql
from trialfinder.store.sqlite_text import FTS_COLUMNS

TEXT_INDEX_SETTING = "TRIALFINDER_TEXT_INDEX"
"""The setting that picks the full-text engine of SQLite stores: `fts5` or `tantivy`."""

TEXT_INDEX_CHOICES = ("fts5", "tantivy")

AREA_SIDE = 25
"""The `trial_areas` level the index holds: 0.25° areas (25 × 25 cells of 0.01°)."""

_META = "trialfinder.json"
"""The file (in the index folder) naming the store and the last log entry the index holds."""

INDEX_FORMAT = 2
"""The index's layout, recorded in its meta file; an index of another format is read as no
index at all (readers search FTS5, the next writer rebuilds it). 2: `nct_number` and
`fts5_check` fast fields (format 1, without them, wrote no number)."""

NO_NCT_NUMBER = 0
"""`nct_number` of a trial whose id is not `NCT` + 8 digits (its NCT id is read from SQLite)."""

_TOKENIZER = "fts5_tokens"
"""The text fields' tokenizer: whitespace, over text already turned into FTS5's tokens."""

WRITER_HEAP_BYTES = 128_000_000
"""Memory of the one index-writing thread before it flushes a segment."""

_BATCH = 500
"""Trials read, and their words tokenized by FTS5, at a time."""


def text_index_setting() -> str:
    """`tantivy` or `fts5`, from $TRIALFINDER_TEXT_INDEX (default tantivy)."""
    value = os.environ.get(TEXT_INDEX_SETTING, "").strip().lower() or "tantivy"
    if value not in TEXT_INDEX_CHOICES:
        raise StoreError(f"{TEXT_INDEX_SETTING}={value!r} is not one of fts5, tantivy")
    return value


def index_path(db_path: Path) -> Path:
    """The index folder of the store file `db_path`: `<db>.tantivy`."""
    return db_path.with_name(db_path.name + ".tantivy")


def _token_analyzer() -> tantivy.TextAnalyzer:
    """The text fields hold FTS5's tokens, space-separated (`sqlite_tantivy_words`)."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def schema() -> tantivy.Schema:
    """Text fields (`FTS_COLUMNS`, with positions), filter fast fields, areas, keys."""
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("rowid", stored=True, indexed=False, fast=True)
    builder.add_text_field("nct_id", stored=True, tokenizer_name="raw", index_option="basic")
    # The NCT id's 8 digits, to order equal scores without asking SQLite; and 1 where the
    # index may hold other tokens than FTS5 (`WordForms.splits_alike`): such a trial on a page
    # is confirmed by FTS5.
    builder.add_unsigned_field("nct_number", stored=False, indexed=False, fast=True)
    builder.add_unsigned_field("fts5_check", stored=False, indexed=False, fast=True)
    for name in FTS_COLUMNS:
        builder.add_text_field(
            name, stored=False, tokenizer_name=_TOKENIZER, index_option="position"
        )
    for name in ("status", "study_type", "sex", "phase", "std_age", "country"):
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_float_field("min_age", indexed=True, fast=True)
    builder.add_float_field("max_age", indexed=True, fast=True)
    builder.add_integer_field("healthy", indexed=True, fast=True)
    builder.add_integer_field("results", indexed=True, fast=True)
    builder.add_unsigned_field("area", indexed=True, fast=False)
    return builder.build()


def _open(path: Path, *, create: bool = False) -> tantivy.Index:
    if not create and not tantivy.Index.exists(str(path)):
        raise StoreError(f"{path}: no text index here; run `trialfinder reindex`")
    index = tantivy.Index(schema(), path=str(path), reuse=not create)
    index.register_tokenizer(_TOKENIZER, _token_analyzer())
    return index


# -- the log and the meta file --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexState:
    """Which store an index was built from and the last `text_index_log` entry it holds."""

    store_id: str
    seq: int


def store_state(db: sqlite3.Connection) -> IndexState | None:
    """The store's id and last log sequence number; None before migration 0010 (no log)."""
    try:
        (store_id,) = db.execute("select store_id from text_index_store").fetchone()
    except sqlite3.OperationalError:
        return None
    row = db.execute(
        """
        select seq
        from sqlite_sequence
        where name = 'text_index_log'
        """
    ).fetchone()
    return IndexState(str(store_id), int(row[0]) if row else 0)


def read_meta(path: Path) -> IndexState | None:
    """The state an index folder records, or None (no index, or an unreadable meta file)."""
    try:
        data = json.loads((path / _META).read_text("utf-8"))
        if data.get("format", 1) != INDEX_FORMAT:
            return None  # another layout: as good as no index
        return IndexState(str(data["store_id"]), int(data["seq"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_meta(path: Path, state: IndexState) -> None:
    """Record `state` after the tantivy commit (a crash before leaves the older, lower seq)."""
    temporary = path / (_META + ".tmp")
    meta = {"format": INDEX_FORMAT, "store_id": state.store_id, "seq": state.seq}
    temporary.write_text(json.dumps(meta), "utf-8")
    os.replace(temporary, path / _META)


# -- documents ------------------------------------------------------------------------------------

_AREA = area_sql(LOCATION_CELL, AREA_SIDE).replace("\n", "\n" + " " * 12)

_TRIAL_ROWS = f"""
    select
        trials.rowid, trials.nct_id, trials_fts.title, trials_fts.conditions,
        trials_fts.interventions, trials_fts.keywords, trials_fts.summary, trials_fts.criteria,
        trials.overall_status, trials.study_type, trials.sex, trials.std_ages,
        trials.minimum_age_years, trials.maximum_age_years, trials.healthy_volunteers,
        trials.has_results,
        (
            select group_concat(trial_phases.phase, char(31))
            from trial_phases
            where trial_phases.nct_id = trials.nct_id
        ),
        (
            select group_concat(trial_countries.country, char(31))
            from trial_countries
            where trial_countries.nct_id = trials.nct_id
        ),
        (
            select group_concat(distinct {_AREA})
            from locations
            where locations.nct_id = trials.nct_id
                and locations.lat is not null
                and locations.lon is not null
        )
    from trials
    join trials_fts on trials_fts.rowid = trials.rowid
    """
"""A trial's text, filter columns, phases, countries and 0.25° areas (as `trial_areas` lists
them, computed from its located sites)."""

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def sqlite_lower(text: str) -> str:
    """`text` as SQLite's `lower()` writes it: only ASCII letters change."""
    return text.translate(_ASCII_LOWER)


def _documents(
    rows: Sequence[tuple[object, ...]], forms: sqlite_tantivy_words.WordForms
) -> Iterator[tantivy.Document]:
    """The index documents of some `_TRIAL_ROWS` rows, their text as FTS5's tokens."""
    width = len(FTS_COLUMNS)
    written = [str(text or "") for row in rows for text in row[2 : 2 + width]]
    texts = forms.texts(written)
    for at, row in enumerate(rows):
        is_alike = forms.splits_alike(written[at * width : (at + 1) * width])
        yield _document(row, texts[at * width : (at + 1) * width], is_alike)


def nct_number(nct_id: str) -> int:
    """The 8 digits of an `NCT` + 8 digits id as a number (ordered as the ids are), else
    `NO_NCT_NUMBER`."""
    digits = nct_id[3:]
    if nct_id.startswith("NCT") and len(digits) == 8 and digits.isascii() and digits.isdigit():
        return int(digits)
    return NO_NCT_NUMBER


def _document(row: tuple[object, ...], texts: list[str], is_alike: bool) -> tantivy.Document:
    """The index document of one `_TRIAL_ROWS` row, given its text as FTS5's tokens and
    whether those are exactly FTS5's (`WordForms.splits_alike`)."""
    rowid, nct_id = row[:2]
    status, study_type, sex, std_ages, low, high, healthy, results = row[8:16]
    phases, countries, areas = row[16:19]
    doc = tantivy.Document()
    doc.add_unsigned("rowid", int(rowid))  # type: ignore[call-overload]
    doc.add_text("nct_id", str(nct_id))
    doc.add_unsigned("nct_number", nct_number(str(nct_id)))
    doc.add_unsigned("fts5_check", 0 if is_alike else 1)
    for name, text in zip(FTS_COLUMNS, texts, strict=True):
        if text:
            doc.add_text(name, str(text))
    doc.add_text("status", str(status))
    doc.add_text("study_type", str(study_type))
    doc.add_text("sex", str(sex))
    for group in str(std_ages or "").split(","):
        if group:
            doc.add_text("std_age", group)
    if phases is not None:
        for phase in str(phases).split("\x1f"):
            doc.add_text("phase", phase)
    if countries is not None:
        for country in str(countries).split("\x1f"):
            doc.add_text("country", sqlite_lower(country))
    doc.add_float("min_age", 0.0 if low is None else float(low))  # type: ignore[arg-type]
    doc.add_float("max_age", 1000.0 if high is None else float(high))  # type: ignore[arg-type]
    doc.add_integer("healthy", -1 if healthy is None else int(healthy))  # type: ignore[call-overload]
    doc.add_integer("results", -1 if results is None else int(results))  # type: ignore[call-overload]
    for area in str(areas or "").split(","):
        if area:
            doc.add_unsigned("area", int(area))
    return doc


def _rows(
    db: sqlite3.Connection, where: str, params: dict[str, object]
) -> Iterator[tuple[object, ...]]:
    """`_TRIAL_ROWS` of the trials `where` (a fixed clause of this module) selects."""
    sql = _TRIAL_ROWS + where
    yield from db.execute(sql, params)


# -- building and catching up ---------------------------------------------------------------------


def rebuild(
    db: sqlite3.Connection,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Build the index of every stored trial into a new folder and swap it in for `path`.

    Reads one snapshot of the store (a read transaction); returns the trials indexed.
    `progress(done, total)` is called as trials are added.
    """
    temporary = path.with_name(path.name + f".building-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        index = _open(temporary, create=True)
        writer = index.writer(WRITER_HEAP_BYTES, 1)
        with _snapshot(db):
            state = store_state(db) or IndexState("", 0)
            (total,) = db.execute("select count(*) from trials").fetchone()
            done = 0
            forms = sqlite_tantivy_words.WordForms()
            rows = _rows(db, "", {})
            while batch := list(itertools.islice(rows, _BATCH)):
                for doc in _documents(batch, forms):
                    writer.add_document(doc)
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        writer.commit()
        writer.wait_merging_threads()
        _write_meta(temporary, state)
        if progress is not None:
            progress(done, total)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    old = path.with_name(path.name + f".old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(temporary, path)
    shutil.rmtree(old, ignore_errors=True)
    return int(done)


@contextlib.contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around the statements inside (unless one is open already)."""
    if db.in_transaction:
        yield
        return
    db.execute("begin")
    try:
        yield
    finally:
        db.rollback()


def catch_up(db: sqlite3.Connection, path: Path) -> int:
    """Apply the log entries the index lacks (all of them: rebuild when it is missing, broken,
    or of another store); return the trials re-indexed. Another writer holding the index
    leaves it to that writer.
    """
    state = store_state(db)
    if state is None:
        return 0
    meta = read_meta(path)
    if meta is None or meta.store_id != state.store_id or meta.seq > state.seq:
        return rebuild(db, path)
    if meta.seq == state.seq:
        return 0
    folder = path.stat().st_ino
    try:
        index = _open(path)
        writer = index.writer(WRITER_HEAP_BYTES, 1)
    except ValueError as error:
        if "lock" in str(error).lower():
            return 0  # another process writes the index: it applies the log after its commit
        return rebuild(db, path)
    with _snapshot(db):
        state = store_state(db) or state
        nct_ids = [
            row[0]
            for row in db.execute(
                """
                select distinct nct_id
                from text_index_log
                where seq > :applied
                order by nct_id
                """,
                {"applied": meta.seq},
            )
        ]
        for nct_id in nct_ids:
            writer.delete_documents_by_term("nct_id", nct_id)
        forms = sqlite_tantivy_words.WordForms()
        for start in range(0, len(nct_ids), _BATCH):
            chunk = json.dumps(nct_ids[start : start + _BATCH])
            where = "where trials.nct_id in (select value from json_each(:nct_ids))"
            for doc in _documents(list(_rows(db, where, {"nct_ids": chunk})), forms):
                writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    del writer
    if path.stat().st_ino != folder:
        return 0  # a rebuild swapped in another folder meanwhile: its meta stands
    _write_meta(path, state)
    return len(nct_ids)


def prune_log(db: sqlite3.Connection, path: Path) -> None:
    """Delete the log entries the index holds (the sequence itself keeps counting)."""
    meta = read_meta(path)
    if meta is not None:
        db.execute("delete from text_index_log where seq <= :seq", {"seq": meta.seq})


def clear_log_without_index(db: sqlite3.Connection, path: Path) -> None:
    """Delete every log entry when no index and no index build exist beside the store: a
    store searched with FTS5 alone keeps no log (the next index is built whole from the
    trials). The sequence keeps counting, so an index made earlier is never taken as current."""
    building = any(path.parent.glob(path.name + ".building-*"))
    if not path.exists() and not building:
        db.execute("delete from text_index_log")


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenIndex:
    """An index ready to search: its searcher and schema."""

    searcher: tantivy.Searcher
    schema: tantivy.Schema


def open_index(path: Path) -> OpenIndex:
    """Open the index folder `path` for searching, whatever store it was made of (readers
    check that first: `TextIndexReader`)."""
    index = _open(path)
    return OpenIndex(index.searcher(), index.schema)


class TextIndexReader:
    """The index of one store for searching, opened again when a writer has committed more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open: OpenIndex | None = None
        self._loaded: IndexState | None = None

    def current(self, db: sqlite3.Connection) -> OpenIndex | None:
        """The index holding exactly what the store holds, or None (search FTS5 then)."""
        state = store_state(db)
        if state is None:
            return None
        if self._loaded == state and self._open is not None:
            return self._open
        if read_meta(self.path) != state:
            return None
        self.close()
        try:
            self._open = open_index(self.path)
        except (OSError, ValueError, StoreError):
            return None
        # The meta file is written after the tantivy commit: what the searcher loads now
        # holds at least `state.seq` (a later commit would also raise the log's last entry).
        # A rebuild swapped in meanwhile is caught by comparing the meta again.
        if read_meta(self.path) != state:
            self.close()
            return None
        self._loaded = state
        return self._open

    def close(self) -> None:
        """Let go of the open index."""
        self._open = None
        self._loaded = None
