"""The server store: PostgreSQL through a psycopg 3 connection pool, for several app processes.

Every batch is one transaction, so readers (other connections, other processes) see a trial
either as it was or as it is after the batch, never half-written. Writers take a transaction
advisory lock per NCT id, in NCT id order, before they read what is stored: two ingests running
at once then judge each record against what the other committed, as SQLite's single writer does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from trialfinder.errors import StoreError
from trialfinder.model import Trial
from trialfinder.store import postgres_bm25, postgres_counts, postgres_search, postgres_sites
from trialfinder.store._postgres_write import (
    CLEAN_PENDING_INDEX_ENTRIES,
    UPSERT_CRITERIA,
    quote_identifier,
    search_words,
    write,
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
from trialfinder.store.migrations import POSTGRES_MIGRATIONS
from trialfinder.store.postgres_changes import ChangeWatcher
from trialfinder.store.postgres_indexes import IndexRebuild, rebuild_indexes
from trialfinder.store.rows import decode_screening, decode_trial, decompress

Connection = psycopg.Connection[Any]

_log = logging.getLogger(__name__)

__all__ = ["PostgresStore", "quote_identifier", "safe_url", "search_words"]

_MIGRATION_LOCK = (0x7472_6961, 1)
"""Advisory lock (two int4 keys, apart from the per-trial bigint keys) held while migrating."""

_PASSWORD = re.compile(r"(://[^:/@]*):[^@/]*@")


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return _PASSWORD.sub(r"\1:***@", url)


_SESSION_SETTINGS = {
    "jit": "off",
    "plan_cache_mode": "force_custom_plan",
    "max_parallel_workers_per_gather": "0",
}
"""Settings of every pooled connection. JIT compiling costs a broad search or facet count more
(tens to hundreds of ms) than it saves. psycopg prepares a statement run five times; a generic
plan would not see the searched words or place, so each run is planned for its own values.
No parallel workers: starting them costs a short search ~10 ms (a 2 ms filters-only page took
14 ms with two), and the app's concurrent requests already use the server's cores."""


def configure_session(conn: Connection) -> None:
    """Apply `_SESSION_SETTINGS` to a new connection (the pool's; benchmarks' own, to run the
    store's SQL as the store does)."""
    for name, value in _SESSION_SETTINGS.items():
        conn.execute(
            "select set_config(%(name)s, %(value)s, false)", {"name": name, "value": value}
        )


class LastReturnedFirstPool(ConnectionPool[Connection]):
    """A `ConnectionPool` that hands out the connection returned last (LIFO), not the one idle
    longest (psycopg_pool's FIFO, which it offers no option to change).

    Why: a server process keeps per-connection caches (catalog and relation caches, the
    statements psycopg prepared on that connection); handing out each of 8 connections in turn
    keeps all 8 lukewarm (and most statements unprepared: psycopg prepares one on its fifth run
    on a connection). Last returned first, a quiet process uses one hot connection and a busy
    one as many as it runs at once: one caller's bench queries at 20,000 studies took 26-42 %
    less server CPU and ~30 % less client CPU than handed out in turn (BENCHMARKS.md).

    How: psycopg_pool appends a returned connection on the right of its deque of idle ones
    (`_add_to_pool`) and takes from the left (`_get_ready_connection`, under the pool's lock);
    turning the deque by one first puts the last returned on the left, the others' order kept.
    These are psycopg_pool internals (3.2, 3.3): `tests/store/test_postgres_pool.py` checks the
    order, so a psycopg_pool that changes them fails a test rather than quietly going FIFO."""

    def _get_ready_connection(self, timeout: float | None) -> Connection | None:
        self._pool.rotate(1)
        return super()._get_ready_connection(timeout)


class PostgresStore:
    """A `Store` in a PostgreSQL database. Safe to share between threads (a connection pool).

    Besides its pool of `pool_size` connections, a store that remembers counts and facets
    (`count_cache_size` > 0) holds one more from its first count or facet set on: its
    `ChangeWatcher`'s, listening for writes.
    """

    def __init__(
        self,
        url: str,
        *,
        read_only: bool = False,
        pool_size: int = 8,
        count_cache_size: int = 256,
    ) -> None:
        self.url = url
        self._safe_url = safe_url(url)
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                if read_only:
                    self._check_schema(conn)
                else:
                    self._migrate(conn)
        except psycopg.OperationalError as error:
            raise StoreError(
                f"{self._safe_url}: cannot connect to PostgreSQL ({str(error).strip()}). "
                "Is the server running? `scripts/pg start DIR` starts a throwaway one."
            ) from None
        except psycopg.Error as error:
            raise StoreError(
                f"{self._safe_url}: cannot open as a trialfinder store ({str(error).strip()})"
            ) from None
        self._answers = AnswerCache(count_cache_size)
        self._pool: ConnectionPool[Connection] = LastReturnedFirstPool(
            url,
            # Every connection opened up front: a pool growing under load opens them from
            # its worker threads, which CPU-bound request threads (criteria parsing) starve of
            # the GIL, leaving every request waiting for a connection.
            min_size=pool_size,
            max_size=pool_size,
            kwargs={"autocommit": True},
            configure=configure_session,
            open=True,
            name="trialfinder",
        )
        self._changes = ChangeWatcher(url) if count_cache_size > 0 else None

    # -- schema -------------------------------------------------------------------------------

    def _migrate(self, conn: Connection) -> None:
        with conn.transaction():
            # Several app processes may open a new database at once: one migrates, the rest wait.
            conn.execute("select pg_advisory_xact_lock(%s, %s)", _MIGRATION_LOCK)
            conn.execute(
                """
                create table if not exists schema_migrations (
                    name text primary key,
                    applied_at text not null
                )
                """
            )
            applied = {
                row[0] for row in conn.execute("select name from schema_migrations").fetchall()
            }
            unknown = applied - {m.name for m in POSTGRES_MIGRATIONS}
            if unknown:
                raise StoreError(
                    f"{self._safe_url}: schema has migrations this version does not know "
                    f"({', '.join(sorted(unknown))}); upgrade trialfinder"
                )
            for migration in POSTGRES_MIGRATIONS:
                if migration.name in applied:
                    continue
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(
                    """
                    insert into schema_migrations (name, applied_at)
                    values (%(name)s, %(at)s)
                    """,
                    {"name": migration.name, "at": datetime.now(UTC).isoformat()},
                )

    def _check_schema(self, conn: Connection) -> None:
        row = conn.execute("select to_regclass('schema_migrations') is not null").fetchone()
        if not row or not row[0]:
            raise StoreError(f"{self._safe_url}: not a trialfinder store (no schema)")

    @property
    def schema_version(self) -> str:
        """Name of the newest applied migration."""
        with self._pool.connection() as conn:
            row = conn.execute("select max(name) from schema_migrations").fetchone()
        return str(row[0] or "") if row else ""

    # -- writing ------------------------------------------------------------------------------

    def write_batch(
        self, records: Sequence[StoredRecord], quarantined: Sequence[QuarantineEntry]
    ) -> WriteCounts:
        """Upsert trials (newer last-update wins) and quarantine entries in one transaction,
        then move the GIN indexes' pending entries into the indexes (`CLEAN_PENDING_INDEX_ENTRIES`:
        searches would read them whole until a later clean-up)."""
        counts = WriteCounts()
        try:
            with self._pool.connection() as conn, conn.transaction():
                write(conn, records, quarantined, counts)
        except psycopg.Error as error:
            raise StoreError(f"{self._safe_url}: write failed ({str(error).strip()})") from None
        self._note_write()
        self._clean_pending_index_entries()
        return counts

    def _note_write(self) -> None:
        """After a commit that may change counts or facets: remembered answers go at once
        (others' writes go when their notification arrives; `postgres_changes.py`)."""
        if self._changes is not None:
            self._changes.note_write()

    def _clean_pending_index_entries(self) -> None:
        """Run `CLEAN_PENDING_INDEX_ENTRIES` after a committed batch. The batch is saved either
        way and a failure here only leaves searches reading the pending lists until a later
        clean-up (autovacuum), so it is logged, not raised as a failed write."""
        try:
            with self._pool.connection() as conn:
                conn.execute(CLEAN_PENDING_INDEX_ENTRIES)
        except psycopg.Error as error:
            _log.warning(
                "%s: moving GIN pending entries failed (%s); searches read them until autovacuum",
                self._safe_url,
                str(error).strip(),
            )

    # -- reading ------------------------------------------------------------------------------

    def _read(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchall()
        except psycopg.Error as error:
            raise StoreError(f"{self._safe_url}: read failed ({str(error).strip()})") from None

    def get_trial(self, nct_id: str) -> Trial | None:
        """Return the stored trial, or None."""
        rows = self._read(
            """
            select record
            from trials
            where nct_id = %(nct_id)s
            """,
            {"nct_id": nct_id},
        )
        return decode_trial(rows[0][0]) if rows else None

    def get_raw(self, nct_id: str) -> tuple[str, bytes] | None:
        """Return (format, raw bytes) of the record a trial was built from, or None."""
        rows = self._read(
            """
            select format, data
            from raw_records
            where nct_id = %(nct_id)s
            """,
            {"nct_id": nct_id},
        )
        return (rows[0][0], decompress(rows[0][1])) if rows else None

    def get_trials_many(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, in the order asked."""
        rows = self._read(
            """
            select trials.nct_id, trials.record
            from unnest(%(nct_ids)s::text[]) with ordinality as asked (nct_id, n)
            join trials on trials.nct_id = asked.nct_id
            order by asked.n
            """,
            {"nct_ids": list(nct_ids)},
        )
        return {nct_id: decode_trial(bytes(record)) for nct_id, record in rows}

    def get_raw_many(self, nct_ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """Return (format, raw bytes) of those of `nct_ids` that are stored, in one read, in
        the order asked."""
        rows = self._read(
            """
            select raw_records.nct_id, raw_records.format, raw_records.data
            from unnest(%(nct_ids)s::text[]) with ordinality as asked (nct_id, n)
            join raw_records on raw_records.nct_id = asked.nct_id
            order by asked.n
            """,
            {"nct_ids": list(nct_ids)},
        )
        return {nct_id: (format_, decompress(bytes(data))) for nct_id, format_, data in rows}

    def iter_trials(self) -> Iterator[Trial]:
        """Yield every stored trial in NCT id order, reading in pages to keep memory flat."""
        last = ""
        while True:
            rows = self._read(
                """
                select nct_id, record
                from trials
                where nct_id > %(last)s
                order by nct_id
                limit 500
                """,
                {"last": last},
            )
            if not rows:
                return
            for nct_id, blob in rows:
                yield decode_trial(blob)
                last = nct_id

    def iter_raw_records(self) -> Iterator[StoredRaw]:
        """Yield the raw record of every stored trial, with where it came from, in NCT id order."""
        last = ""
        while True:
            rows = self._read(
                """
                select nct_id, format, origin, position, sha256, data
                from raw_records
                where nct_id > %(last)s
                order by nct_id
                limit 500
                """,
                {"last": last},
            )
            if not rows:
                return
            for nct_id, format_, origin, position, digest, data in rows:
                yield StoredRaw(nct_id, format_, origin, position, digest, decompress(data))
                last = nct_id

    def list_quarantine(self, limit: int = 100, code: str | None = None) -> list[QuarantineEntry]:
        """Return quarantined records, oldest first, optionally only one reason code."""
        rows = self._read(
            """
            select origin, position, code, reason, data
            from quarantine
            where %(code)s::text is null or code = %(code)s::text
            order by id
            limit %(limit)s
            """,
            {"code": code, "limit": limit},
        )
        return [QuarantineEntry(o, p, c, r, decompress(d)) for o, p, c, r, d in rows]

    def stats(self) -> StoreStats:
        """Return counts and sizes."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                # One repeatable-read snapshot, so the counts agree with each other.
                conn.execute("set transaction isolation level repeatable read")

                def one(sql: str) -> Any:
                    row = conn.execute(sql).fetchone()
                    return row[0] if row else None

                def pairs(sql: str) -> dict[str, int]:
                    rows = conn.execute(sql).fetchall()
                    return {str(k): int(v) for k, v in rows}

                stats = StoreStats(
                    trials=one("select count(*) from trials"),
                    sites=one(
                        """
                        select count(*)
                        from sites
                        where site_id in (select site_id from locations)
                        """
                    ),
                    locations=one("select count(*) from locations"),
                    quarantined=one("select count(*) from quarantine"),
                    by_status=pairs(
                        """
                        select overall_status, count(*)
                        from trials
                        group by 1
                        order by 2 desc, 1
                        """
                    ),
                    by_study_type=pairs(
                        """
                        select study_type, count(*)
                        from trials
                        group by 1
                        order by 2 desc, 1
                        """
                    ),
                    quarantine_by_code=pairs(
                        """
                        select code, count(*)
                        from quarantine
                        group by 1
                        order by 2 desc, 1
                        """
                    ),
                    last_update_posted=one("select max(last_update_posted) from trials") or "",
                    size_bytes=int(
                        one(
                            """
                            select coalesce(sum(pg_total_relation_size(pg_class.oid)), 0)
                            from pg_class
                            where pg_class.relnamespace = current_schema()::regnamespace
                                and pg_class.relkind = 'r'
                            """
                        )
                    ),
                    schema_version=one("select max(name) from schema_migrations") or "",
                )
        except psycopg.Error as error:
            raise StoreError(f"{self._safe_url}: read failed ({str(error).strip()})") from None
        return stats

    def get_state(self, key: str) -> str | None:
        """Return a saved progress value (a sync's page token, say), or None."""
        rows = self._read("select value from state where key = %(key)s", {"key": key})
        return str(rows[0][0]) if rows else None

    def set_state(self, key: str, value: str | None) -> None:
        """Save (or with None, forget) a progress value."""
        try:
            with self._pool.connection() as conn:
                if value is None:
                    conn.execute("delete from state where key = %(key)s", {"key": key})
                else:
                    conn.execute(
                        """
                        insert into state (key, value)
                        values (%(key)s, %(value)s)
                        on conflict (key) do update set value = excluded.value
                        """,
                        {"key": key, "value": value},
                    )
        except psycopg.Error as error:
            raise StoreError(f"{self._safe_url}: write failed ({str(error).strip()})") from None

    def list_state(self) -> dict[str, str]:
        """Return every saved progress value by key, in key order."""
        rows = self._read("select key, value from state order by key", {})
        return {str(key): str(value) for key, value in rows}

    def save_criteria(self, rows: Sequence[StoredCriteria]) -> None:
        """Upsert the criteria readings of trials (one row per nct_id) in one transaction."""
        values = [row.as_row() for row in rows]
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(UPSERT_CRITERIA, values)
        except psycopg.Error as error:
            raise StoreError(f"{self._safe_url}: write failed ({str(error).strip()})") from None
        self._note_write()

    def get_criteria(self, nct_id: str) -> StoredCriteria | None:
        """Return the stored criteria reading of a trial, or None."""
        rows = self._read(
            """
            select nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min, data
            from trial_criteria
            where nct_id = %(nct_id)s
            """,
            {"nct_id": nct_id},
        )
        if not rows:
            return None
        nct, version, min_age, max_age, ecog_max, egfr_min, data = rows[0]
        return StoredCriteria(
            nct, version, min_age, max_age, ecog_max, egfr_min, decompress(bytes(data))
        )

    def get_criteria_many(self, nct_ids: Sequence[str]) -> dict[str, StoredCriteria]:
        """Return the stored criteria readings of those of `nct_ids` that have one, in one read."""
        rows = self._read(
            """
            select nct_id, engine_version, min_age_years, max_age_years, ecog_max, egfr_min, data
            from trial_criteria
            where nct_id = any(%(nct_ids)s::text[])
            """,
            {"nct_ids": list(nct_ids)},
        )
        return {
            nct: StoredCriteria(nct, version, low, high, ecog, egfr, decompress(bytes(data)))
            for nct, version, low, high, ecog, egfr, data in rows
        }

    def get_screening_trials(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, with only the fields that
        eligibility screening reads (`rows.SCREENING_FIELDS`); the others keep their defaults."""
        rows = self._read(
            """
            select nct_id, record
            from trials
            where nct_id = any(%(nct_ids)s::text[])
            """,
            {"nct_ids": list(nct_ids)},
        )
        return {nct_id: decode_screening(bytes(record)) for nct_id, record in rows}

    def rebuild_indexes(
        self, on_progress: Callable[[int, int], None] | None = None
    ) -> IndexRebuild:
        """Rebuild every index packed, one at a time, while reads and writes go on
        (`postgres_indexes.py`: why, after a bulk load or a migration that updated every row);
        `on_progress(done, total)` after each index."""
        try:
            return rebuild_indexes(self.url, on_progress)
        except psycopg.Error as error:
            raise StoreError(
                f"{self._safe_url}: rebuilding indexes failed ({str(error).strip()})"
            ) from None

    def reindex(self, on_progress: Callable[[int, int], None] | None = None) -> Reindexed:
        """Rebuild every index packed while reads and writes go on (`rebuild_indexes`)."""
        rebuilt = self.rebuild_indexes(on_progress)
        return Reindexed(
            summary=(
                f"rebuilt {rebuilt.indexes:,} indexes in {rebuilt.seconds:.1f} s: "
                f"{rebuilt.bytes_before / 2**20:,.1f} MiB -> {rebuilt.bytes_after / 2**20:,.1f} MiB"
            ),
            figures=dict(rebuilt.as_dict()),
        )

    def close(self) -> None:
        """Close every pooled connection and stop listening for writes."""
        if self._changes is not None:
            self._changes.close()
        self._pool.close()

    # -- search (SQL in store/postgres_search.py and postgres_sites.py) -------------------------

    def search_trials(
        self,
        where: StudyFilter,
        sort: StudySort,
        limit: int,
        offset: int,
        time_limit_s: float,
    ) -> list[StudyHit]:
        """Return one page of trials matching `where`, best (per `sort`) first.

        Free text by relevance takes the hybrid path (`postgres_bm25.top_k_page`): a page whose
        words' GIN yield is small (at most `PRODUCT_YIELD_MAX` rows, by the words' trial counts
        or a 1-in-64 sample of trials) is ranked by `ts_rank`, every hit; a heavier one by BM25,
        its first hits read from impact-ordered lists (threshold top-k). So light and heavy
        pages rank by different functions: the measured trade-off of issue #3 (session 12:
        free-text CPU p95 0.78-0.91x SQLite's at 100k studies, #8's ranking rule passed on the
        mix; BENCHMARKS.md). Other sorts, totals and facets are unchanged."""
        with self._pool.connection() as conn:
            return postgres_search.search_trials(
                conn, where, sort, limit, offset, time_limit_s, postgres_bm25.top_k_page
            )

    def count_trials(self, where: StudyFilter, time_limit_s: float) -> int:
        """Return how many trials match `where`."""
        return postgres_counts.count_trials(
            self._pool, self._answers, self._changes, where, time_limit_s
        )

    def facet_counts(self, where: StudyFilter, time_limit_s: float) -> dict[str, dict[str, int]]:
        """Return value → count of matching trials for each facet (status, phase, ... country)."""
        return postgres_counts.facet_counts(
            self._pool, self._answers, self._changes, where, time_limit_s
        )

    def search_sites(
        self, where: SiteFilter, limit: int, offset: int, time_limit_s: float
    ) -> tuple[list[tuple[Site, float | None]], int]:
        """Return one page of (site, distance km) nearest or most used first, and the total."""
        with self._pool.connection() as conn:
            return postgres_sites.search_sites(conn, where, limit, offset, time_limit_s)

    def get_site(self, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
        """Return a site and its (nct_id, location status) pairs, or None."""
        with self._pool.connection() as conn:
            return postgres_sites.get_site(conn, site_id)

    def record_sizes(self) -> list[tuple[str, int]]:
        """Return (nct_id, size in bytes of the raw record) for every stored trial."""
        with self._pool.connection() as conn:
            return postgres_sites.record_sizes(conn)
