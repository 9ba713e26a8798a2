"""The embedded store: one SQLite file in WAL mode, with an FTS5 index over the trial text."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from trialfinder.errors import StoreError
from trialfinder.model import Trial
from trialfinder.store import (
    sqlite_counts,
    sqlite_search,
    sqlite_sites,
    sqlite_tantivy,
    sqlite_write,
)
from trialfinder.store.answer_cache import AnswerCache
from trialfinder.store.base import (
    QuarantineEntry,
    Reindexed,
    Site,
    SiteFilter,
    StoredCriteria,
    StoredRaw,
    StoredRecord,
    StoreStats,
    StudyFilter,
    StudyHit,
    StudySort,
    WriteCounts,
)
from trialfinder.store.migrations import SQLITE_MIGRATIONS
from trialfinder.store.rows import (
    decode_screening,
    decode_trial,
    decompress,
)

_log = logging.getLogger(__name__)

WRITE_CACHE_KIB = 256 * 1024
"""Page cache of a writing connection (SQLite's default is 2 MiB)."""


class SQLiteStore:
    """A `Store` in one SQLite file. Safe to share between threads (one connection, one lock)."""

    def __init__(
        self, path: str | Path, *, read_only: bool = False, count_cache_size: int = 256
    ) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._lock = threading.RLock()
        # Counts and facets remembered until the database changes (0: none remembered).
        self._counts = AnswerCache(count_cache_size)
        # The tantivy text index beside the file, kept and read only when the setting asks.
        self.text_index_path = sqlite_tantivy.index_path(self.path)
        self._text_index: sqlite_tantivy.TextIndexReader | None = None
        if sqlite_tantivy.text_index_setting() == "tantivy":
            self._text_index = sqlite_tantivy.TextIndexReader(self.text_index_path)
        try:
            if read_only:
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                if self.path.parent != Path(""):
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._refuse_foreign_database()
            self._db.execute("pragma journal_mode = wal")
            self._db.execute("pragma synchronous = normal")
            self._db.execute("pragma foreign_keys = off")
            self._db.execute("pragma busy_timeout = 30000")
            if not read_only:
                # Batches insert into indexes in random key order (sites, latitudes, terms):
                # a page cache that holds them saves rereading and rewriting pages. It is a
                # fixed bound (in KiB), so memory stays flat however large the store grows.
                self._db.execute(f"pragma cache_size = -{WRITE_CACHE_KIB}")
                self._migrate()
            else:
                self._check_schema()
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"{self.path}: cannot open as a trialfinder SQLite store ({error}). "
                "Is it another program's file? Point TRIALFINDER_DATABASE at a new file."
            ) from None

    # -- schema -------------------------------------------------------------------------------

    def _applied_migrations(self) -> list[str]:
        self._db.execute(
            """
            create table if not exists schema_migrations (
                name text primary key,
                applied_at text not null
            )
            """
        )
        rows = self._db.execute("select name from schema_migrations order by name").fetchall()
        return [row[0] for row in rows]

    def _refuse_foreign_database(self) -> None:
        """Raise, changing nothing, when the file holds another program's tables."""
        tables = {
            row[0]
            for row in self._db.execute("select name from sqlite_master where type = 'table'")
        }
        if tables and "schema_migrations" not in tables:
            self._db.close()
            raise StoreError(
                f"{self.path}: not a trialfinder store (it holds other tables, e.g. "
                f"{sorted(tables)[0]!r}); point TRIALFINDER_DATABASE at a new file"
            )

    def _migrate(self) -> None:
        with self._lock:
            applied = set(self._applied_migrations())
            known = {m.name for m in SQLITE_MIGRATIONS}
            unknown = applied - known
            if unknown:
                raise StoreError(
                    f"{self.path}: schema has migrations this version does not know "
                    f"({', '.join(sorted(unknown))}); upgrade trialfinder"
                )
            for migration in SQLITE_MIGRATIONS:
                if migration.name in applied:
                    continue
                # sqlite3 opens no transaction before DDL by itself: begin one explicitly, so a
                # migration killed halfway leaves no table behind and simply runs again.
                self._db.execute("begin immediate")
                try:
                    for statement in migration.statements:
                        self._db.execute(statement)
                    if migration.fill is not None:
                        migration.fill(self._db)
                    self._db.execute(
                        "insert into schema_migrations (name, applied_at) values (:name, :at)",
                        {"name": migration.name, "at": datetime.now(UTC).isoformat()},
                    )
                except BaseException:
                    self._db.rollback()
                    raise
                self._db.commit()

    def _check_schema(self) -> None:
        rows = self._db.execute("select name from schema_migrations").fetchall()
        if not rows:
            raise StoreError(f"{self.path}: not a trialfinder store (no schema)")

    @property
    def schema_version(self) -> str:
        """Name of the newest applied migration."""
        row = self._db.execute("select max(name) from schema_migrations").fetchone()
        return str(row[0] or "")

    # -- writing ------------------------------------------------------------------------------

    def write_batch(
        self, records: Sequence[StoredRecord], quarantined: Sequence[QuarantineEntry]
    ) -> WriteCounts:
        """Upsert trials (newer last-update wins) and quarantine entries in one transaction."""
        counts = WriteCounts()
        with self._lock:
            try:
                with self._db:
                    if self._text_index is not None:
                        sqlite_tantivy.prune_log(self._db, self.text_index_path)
                    sqlite_write.write_records(self._db, records, quarantined, counts)
                    if self._text_index is None:
                        sqlite_tantivy.clear_log_without_index(self._db, self.text_index_path)
            except sqlite3.Error as error:
                raise StoreError(f"{self.path}: write failed ({error})") from None
            if self._text_index is not None:
                self._catch_up_text_index()
        return counts

    def _catch_up_text_index(self) -> None:
        """Apply the committed writes to the tantivy index. A failure leaves the index behind
        the log: readers search FTS5 until the next writer or `reindex` catches it up."""
        try:
            sqlite_tantivy.catch_up(self._db, self.text_index_path)
        except (OSError, ValueError, sqlite3.Error) as error:
            _log.warning("%s: text index not updated (%s)", self.text_index_path, error)

    def rebuild_text_index(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Build the tantivy text index from the stored trials, replacing any there was;
        return the trials indexed. `progress(done, total)` follows the build."""
        with self._lock:
            try:
                return sqlite_tantivy.rebuild(self._db, self.text_index_path, progress)
            except (OSError, ValueError) as error:
                raise StoreError(
                    f"{self.text_index_path}: text index build failed ({error})"
                ) from None

    def reindex(self, on_progress: Callable[[int, int], None] | None = None) -> Reindexed:
        """Rebuild the tantivy text index from the stored trials (`rebuild_text_index`)."""
        started = time.perf_counter()
        trials = self.rebuild_text_index(on_progress)
        seconds = time.perf_counter() - started
        return Reindexed(
            summary=(
                f"indexed the text of {trials:,} trials in {seconds:.1f} s "
                f"into {self.text_index_path}"
            ),
            figures={
                "trials": trials,
                "seconds": round(seconds, 3),
                "index": str(self.text_index_path),
            },
        )

    # -- reading ------------------------------------------------------------------------------

    def get_trial(self, nct_id: str) -> Trial | None:
        """Return the stored trial, or None."""
        with self._lock:
            row = self._db.execute(
                "select record from trials where nct_id = :nct_id", {"nct_id": nct_id}
            ).fetchone()
        return decode_trial(row[0]) if row else None

    def get_raw(self, nct_id: str) -> tuple[str, bytes] | None:
        """Return (format, raw bytes) of the record a trial was built from, or None."""
        with self._lock:
            row = self._db.execute(
                "select format, data from raw_records where nct_id = :nct_id", {"nct_id": nct_id}
            ).fetchone()
        return (row[0], decompress(row[1])) if row else None

    def get_trials_many(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, in the order asked."""
        with self._lock:
            rows = self._db.execute(
                """
                select trials.nct_id, trials.record
                from json_each(:nct_ids) as asked
                join trials on trials.nct_id = asked.value
                order by asked.key
                """,
                {"nct_ids": json.dumps(list(nct_ids))},
            ).fetchall()
        return {nct_id: decode_trial(record) for nct_id, record in rows}

    def get_raw_many(self, nct_ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """Return (format, raw bytes) of those of `nct_ids` that are stored, in one read, in
        the order asked."""
        with self._lock:
            rows = self._db.execute(
                """
                select raw_records.nct_id, raw_records.format, raw_records.data
                from json_each(:nct_ids) as asked
                join raw_records on raw_records.nct_id = asked.value
                order by asked.key
                """,
                {"nct_ids": json.dumps(list(nct_ids))},
            ).fetchall()
        return {nct_id: (format_, decompress(data)) for nct_id, format_, data in rows}

    def iter_trials(self) -> Iterator[Trial]:
        """Yield every stored trial in NCT id order, reading in pages to keep memory flat."""
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    """
                    select nct_id, record
                    from trials
                    where nct_id > :last
                    order by nct_id
                    limit 500
                    """,
                    {"last": last},
                ).fetchall()
            if not rows:
                return
            for nct_id, blob in rows:
                yield decode_trial(blob)
                last = nct_id

    def list_quarantine(self, limit: int = 100, code: str | None = None) -> list[QuarantineEntry]:
        """Return quarantined records, oldest first, optionally only one reason code."""
        with self._lock:
            rows = self._db.execute(
                """
                select origin, position, code, reason, data
                from quarantine
                where :code is null or code = :code
                order by id
                limit :limit
                """,
                {"code": code, "limit": limit},
            ).fetchall()
        return [QuarantineEntry(o, p, c, r, decompress(d)) for o, p, c, r, d in rows]

    def stats(self) -> StoreStats:
        """Return counts and sizes."""
        db = self._db
        with self._lock:
            trials = db.execute("select count(*) from trials").fetchone()[0]
            sites = db.execute(
                "select count(*) from sites where site_id in (select site_id from locations)"
            ).fetchone()[0]
            locations = db.execute("select count(*) from locations").fetchone()[0]
            quarantined = db.execute("select count(*) from quarantine").fetchone()[0]
            by_status = dict(
                db.execute(
                    "select overall_status, count(*) from trials group by 1 order by 2 desc"
                ).fetchall()
            )
            by_type = dict(
                db.execute(
                    "select study_type, count(*) from trials group by 1 order by 2 desc"
                ).fetchall()
            )
            by_code = dict(
                db.execute("select code, count(*) from quarantine group by 1 order by 2 desc")
            )
            newest = db.execute("select max(last_update_posted) from trials").fetchone()[0]
            page_count = db.execute("pragma page_count").fetchone()[0]
            page_size = db.execute("pragma page_size").fetchone()[0]
        return StoreStats(
            trials=trials,
            sites=sites,
            locations=locations,
            quarantined=quarantined,
            by_status=by_status,
            by_study_type=by_type,
            quarantine_by_code=by_code,
            last_update_posted=newest or "",
            size_bytes=page_count * page_size,
            schema_version=self.schema_version,
        )

    def get_state(self, key: str) -> str | None:
        """Return a saved progress value (a sync's page token, say), or None."""
        with self._lock:
            row = self._db.execute(
                "select value from state where key = :key", {"key": key}
            ).fetchone()
        return str(row[0]) if row else None

    def set_state(self, key: str, value: str | None) -> None:
        """Save (or with None, forget) a progress value."""
        with self._lock, self._db:
            if value is None:
                self._db.execute("delete from state where key = :key", {"key": key})
            else:
                self._db.execute(
                    """
                    insert into state (key, value) values (:key, :value)
                    on conflict (key) do update set value = excluded.value
                    """,
                    {"key": key, "value": value},
                )

    def list_state(self) -> dict[str, str]:
        """Return every saved progress value by key, in key order."""
        with self._lock:
            return dict(self._db.execute("select key, value from state order by key").fetchall())

    def close(self) -> None:
        """Release the connection."""
        with self._lock:
            self._db.close()

    # -- search (SQL in store/sqlite_search.py and sqlite_sites.py) ----------------------------

    def search_trials(
        self,
        where: StudyFilter,
        sort: StudySort,
        limit: int,
        offset: int,
        time_limit_s: float,
    ) -> list[StudyHit]:
        """Return one page of trials matching `where`, best (per `sort`) first."""
        with self._lock:
            return sqlite_search.search_trials(
                self._db, where, sort, limit, offset, time_limit_s, self._text_index
            )

    def count_trials(self, where: StudyFilter, time_limit_s: float) -> int:
        """Return how many trials match `where`."""
        with self._lock:
            return sqlite_counts.count_trials(self._db, self._counts, where, time_limit_s)

    def facet_counts(self, where: StudyFilter, time_limit_s: float) -> dict[str, dict[str, int]]:
        """Return value → count of matching trials for each facet (status, phase, ... country)."""
        with self._lock:
            return sqlite_counts.facet_counts(self._db, self._counts, where, time_limit_s)

    def search_sites(
        self, where: SiteFilter, limit: int, offset: int, time_limit_s: float
    ) -> tuple[list[tuple[Site, float | None]], int]:
        """Return one page of (site, distance km) nearest or most used first, and the total."""
        with self._lock:
            return sqlite_sites.search_sites(self._db, where, limit, offset, time_limit_s)

    def get_site(self, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
        """Return a site and its (nct_id, location status) pairs, or None."""
        with self._lock:
            return sqlite_sites.get_site(self._db, site_id)

    def record_sizes(self) -> list[tuple[str, int]]:
        """Return (nct_id, size in bytes of the raw record) for every stored trial."""
        with self._lock:
            return sqlite_sites.record_sizes(self._db)

    def iter_raw_records(self) -> Iterator[StoredRaw]:
        """Yield the raw record of every stored trial, with where it came from, in NCT id order."""
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    """
                    select nct_id, format, origin, position, sha256, data
                    from raw_records
                    where nct_id > :last
                    order by nct_id
                    limit 500
                    """,
                    {"last": last},
                ).fetchall()
            if not rows:
                return
            for nct_id, format_, origin, position, digest, data in rows:
                yield StoredRaw(nct_id, format_, origin, position, digest, decompress(data))
                last = nct_id

    def save_criteria(self, rows: Sequence[StoredCriteria]) -> None:
        """Upsert the criteria readings of trials (one row per nct_id) in one transaction."""
        values = [row.as_row() for row in rows]
        with self._lock, self._db:
            self._db.executemany(sqlite_write.UPSERT_CRITERIA, values)

    def get_criteria(self, nct_id: str) -> StoredCriteria | None:
        """Return the stored criteria reading of a trial, or None."""
        with self._lock:
            row = self._db.execute(
                """
                select nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min,
                    data
                from trial_criteria
                where nct_id = :nct_id
                """,
                {"nct_id": nct_id},
            ).fetchone()
        if row is None:
            return None
        nct, version, min_age, max_age, ecog_max, egfr_min, data = row
        return StoredCriteria(nct, version, min_age, max_age, ecog_max, egfr_min, decompress(data))

    def get_criteria_many(self, nct_ids: Sequence[str]) -> dict[str, StoredCriteria]:
        """Return the stored criteria readings of those of `nct_ids` that have one, in one read."""
        with self._lock:
            rows = self._db.execute(
                """
                select nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min,
                    data
                from trial_criteria
                where nct_id in (select value from json_each(:nct_ids))
                """,
                {"nct_ids": json.dumps(list(nct_ids))},
            ).fetchall()
        return {
            nct: StoredCriteria(nct, version, low, high, ecog, egfr, decompress(data))
            for nct, version, low, high, ecog, egfr, data in rows
        }

    def get_screening_trials(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, with only the fields that
        eligibility screening reads (`rows.SCREENING_FIELDS`); the others keep their defaults."""
        with self._lock:
            rows = self._db.execute(
                """
                select nct_id, record
                from trials
                where nct_id in (select value from json_each(:nct_ids))
                """,
                {"nct_ids": json.dumps(list(nct_ids))},
            ).fetchall()
        return {nct_id: decode_screening(record) for nct_id, record in rows}
