"""The embedded store: one SQLite file in WAL mode, with an FTS5 index over the trial text."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from trialfinder.errors import StoreError
from trialfinder.model import Trial
from trialfinder.store.base import QuarantineEntry, StoredRecord, StoreStats, WriteCounts
from trialfinder.store.migrations import SQLITE_MIGRATIONS
from trialfinder.store.rows import (
    compress,
    condition_terms,
    decode_trial,
    decompress,
    intervention_terms,
    search_text,
    sha256,
)

_CHILD_TABLES = ("trial_conditions", "trial_interventions", "trial_phases", "locations")


class SQLiteStore:
    """A `Store` in one SQLite file. Safe to share between threads (one connection, one lock)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._lock = threading.RLock()
        try:
            if read_only:
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                if self.path.parent != Path(""):
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("pragma journal_mode = wal")
            self._db.execute("pragma synchronous = normal")
            self._db.execute("pragma foreign_keys = off")
            self._db.execute("pragma busy_timeout = 30000")
            if not read_only:
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
                with self._db:
                    for statement in migration.statements:
                        self._db.execute(statement)
                    self._db.execute(
                        "insert into schema_migrations (name, applied_at) values (:name, :at)",
                        {"name": migration.name, "at": datetime.now(UTC).isoformat()},
                    )

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
                    self._write(records, quarantined, counts)
            except sqlite3.Error as error:
                raise StoreError(f"{self.path}: write failed ({error})") from None
        return counts

    def _write(
        self,
        records: Sequence[StoredRecord],
        quarantined: Sequence[QuarantineEntry],
        counts: WriteCounts,
    ) -> None:
        db = self._db
        nct_ids = sorted({r.trial.nct_id for r in records})
        stored: dict[str, tuple[str, str]] = {}
        for start in range(0, len(nct_ids), 500):
            chunk = nct_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for nct_id, last_update, digest in db.execute(
                "select nct_id, last_update_posted, raw_sha256 from trials "
                f"where nct_id in ({marks})",
                chunk,
            ):
                stored[nct_id] = (last_update, digest)
        for record in records:
            trial = record.trial
            digest = record.raw_sha256
            previous = stored.get(trial.nct_id)
            if previous is None:
                counts.new += 1
            elif previous[1] == digest or trial.last_update_posted < previous[0]:
                counts.unchanged += 1
                continue
            else:
                counts.updated += 1
                self._delete_children(trial.nct_id)
            self._insert_trial(record, digest)
            stored[trial.nct_id] = (trial.last_update_posted, digest)
        for entry in quarantined:
            cursor = db.execute(
                """
                insert or ignore into quarantine (origin, position, code, reason, sha256, data)
                values (:origin, :position, :code, :reason, :sha256, :data)
                """,
                {
                    "origin": entry.origin,
                    "position": entry.position,
                    "code": entry.code,
                    "reason": entry.reason,
                    "sha256": sha256(entry.raw),
                    "data": compress(entry.raw),
                },
            )
            counts.quarantined += 1
            del cursor

    def _delete_children(self, nct_id: str) -> None:
        db = self._db
        for table in _CHILD_TABLES:
            db.execute(f"delete from {table} where nct_id = :nct_id", {"nct_id": nct_id})
        db.execute(
            """
            delete from trials_fts
            where rowid = (select rowid from trials where nct_id = :nct_id)
            """,
            {"nct_id": nct_id},
        )

    def _insert_trial(self, record: StoredRecord, digest: str) -> None:
        db = self._db
        trial = record.trial
        nct_id = trial.nct_id
        row = {
            "nct_id": nct_id,
            "brief_title": trial.brief_title,
            "official_title": trial.official_title,
            "acronym": trial.acronym,
            "overall_status": trial.overall_status,
            "study_type": trial.study_type,
            "phases": ",".join(trial.phases),
            "sex": trial.sex,
            "minimum_age_years": trial.minimum_age_years,
            "maximum_age_years": trial.maximum_age_years,
            "std_ages": ",".join(trial.std_ages),
            "healthy_volunteers": trial.healthy_volunteers,
            "has_results": trial.has_results,
            "enrollment_count": trial.enrollment_count,
            "start_date": trial.start_date,
            "first_posted": trial.first_posted,
            "last_update_posted": trial.last_update_posted,
            "lead_sponsor": trial.lead_sponsor.name if trial.lead_sponsor else "",
            "raw_sha256": digest,
            "record": record.trial_blob,
        }
        db.execute(
            """
            insert into trials (
                nct_id, brief_title, official_title, acronym, overall_status, study_type, phases,
                sex, minimum_age_years, maximum_age_years, std_ages, healthy_volunteers,
                has_results, enrollment_count, start_date, first_posted, last_update_posted,
                lead_sponsor, raw_sha256, record
            )
            values (
                :nct_id, :brief_title, :official_title, :acronym, :overall_status, :study_type,
                :phases, :sex, :minimum_age_years, :maximum_age_years, :std_ages,
                :healthy_volunteers, :has_results, :enrollment_count, :start_date, :first_posted,
                :last_update_posted, :lead_sponsor, :raw_sha256, :record
            )
            on conflict (nct_id) do update set
                brief_title = excluded.brief_title,
                official_title = excluded.official_title,
                acronym = excluded.acronym,
                overall_status = excluded.overall_status,
                study_type = excluded.study_type,
                phases = excluded.phases,
                sex = excluded.sex,
                minimum_age_years = excluded.minimum_age_years,
                maximum_age_years = excluded.maximum_age_years,
                std_ages = excluded.std_ages,
                healthy_volunteers = excluded.healthy_volunteers,
                has_results = excluded.has_results,
                enrollment_count = excluded.enrollment_count,
                start_date = excluded.start_date,
                first_posted = excluded.first_posted,
                last_update_posted = excluded.last_update_posted,
                lead_sponsor = excluded.lead_sponsor,
                raw_sha256 = excluded.raw_sha256,
                record = excluded.record
            """,
            row,
        )
        (rowid,) = db.execute(
            "select rowid from trials where nct_id = :nct_id", {"nct_id": nct_id}
        ).fetchone()
        text = search_text(trial)
        db.execute(
            """
            insert into trials_fts (
                rowid, title, conditions, interventions, keywords, summary, criteria
            )
            values (:rowid, :title, :conditions, :interventions, :keywords, :summary, :criteria)
            """,
            {"rowid": rowid, **text},
        )
        db.executemany(
            "insert into trial_conditions (nct_id, term, kind) values (?, ?, ?)",
            [(nct_id, term, kind) for term, kind in condition_terms(trial)],
        )
        db.executemany(
            "insert into trial_interventions (nct_id, type, name, kind) values (?, ?, ?, ?)",
            [(nct_id, type_, name, kind) for type_, name, kind in intervention_terms(trial)],
        )
        db.executemany(
            "insert into trial_phases (nct_id, phase) values (?, ?)",
            [(nct_id, phase) for phase in trial.phases],
        )
        sites = []
        locations = []
        for position, (location, sid) in enumerate(
            zip(trial.locations, record.site_ids, strict=True)
        ):
            lat = location.geo.lat if location.geo else None
            lon = location.geo.lon if location.geo else None
            sites.append(
                (
                    sid,
                    location.facility,
                    location.city,
                    location.state,
                    location.zip,
                    location.country,
                    lat,
                    lon,
                )
            )
            locations.append((nct_id, position, sid, location.status, lat, lon))
        db.executemany(
            """
            insert into sites (site_id, name, city, state, zip, country, lat, lon)
            values (?, ?, ?, ?, ?, ?, ?, ?)
            on conflict (site_id) do update set
                lat = coalesce(excluded.lat, sites.lat),
                lon = coalesce(excluded.lon, sites.lon),
                state = case when excluded.state != '' then excluded.state else sites.state end,
                zip = case when excluded.zip != '' then excluded.zip else sites.zip end
            """,
            sites,
        )
        db.executemany(
            """
            insert into locations (nct_id, position, site_id, status, lat, lon)
            values (?, ?, ?, ?, ?, ?)
            """,
            locations,
        )
        db.execute(
            """
            insert into raw_records (nct_id, format, origin, position, sha256, data)
            values (:nct_id, :format, :origin, :position, :sha256, :data)
            on conflict (nct_id) do update set
                format = excluded.format,
                origin = excluded.origin,
                position = excluded.position,
                sha256 = excluded.sha256,
                data = excluded.data
            """,
            {
                "nct_id": nct_id,
                "format": record.format,
                "origin": record.origin,
                "position": record.position,
                "sha256": digest,
                "data": record.raw_blob,
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

    def close(self) -> None:
        """Release the connection."""
        with self._lock:
            self._db.close()
