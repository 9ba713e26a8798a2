"""Ingest: read sources, parse each record, quarantine the bad ones, upsert in transactions.

Each batch is one transaction holding its trials and its quarantine entries, and every write is an
idempotent upsert keyed by NCT id (quarantine by origin, position and content hash). So a run
killed at any moment and started again ends with the same store as a run never interrupted.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from trialfinder.errors import RecordError, SourceError
from trialfinder.sources import RawRecord, parse_record, read_source
from trialfinder.store.base import QuarantineEntry, Store, StoredRecord, WriteCounts

DEFAULT_BATCH_SIZE = 500


@dataclass(slots=True)
class IngestReport:
    """Running totals of an ingest; `read` always equals stored + unchanged + quarantined."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantine_by_code: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, counts: WriteCounts) -> None:
        """Add one committed batch's counts."""
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.quarantined += counts.quarantined

    @property
    def rate(self) -> float:
        """Records read per second so far."""
        return self.read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        """Plain data for `--json` output."""
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "quarantine_by_code": dict(self.quarantine_by_code),
            "seconds": round(self.seconds, 3),
        }


Parsed = StoredRecord | QuarantineEntry


def parse_raw(record: RawRecord) -> Parsed:
    """Parse one raw record into a storable trial, or a quarantine entry saying why not."""
    try:
        trial = parse_record(record)
    except RecordError as error:
        return QuarantineEntry(
            record.origin, record.position, error.code, error.message, record.data
        )
    return StoredRecord.of(trial, record.data, record.format, record.origin, record.position)


def _parse_batch(batch: list[RawRecord]) -> list[Parsed]:
    return [parse_raw(record) for record in batch]


def read_sources(sources: Iterable[str | Path]) -> Iterator[RawRecord]:
    """Yield the records of every source in turn; an unreadable archive is quarantined whole."""
    for source in sources:
        if not Path(source).exists():
            raise SourceError(f"Source {str(source)!r} does not exist")
        try:
            yield from read_source(source)
        except SourceError as error:
            yield RawRecord(
                str(source), "file", f"unreadable source: {error}".encode(), "ctgov_json"
            )


def count_files(sources: Iterable[str | Path]) -> int | None:
    """Cheap estimate of how many records the sources hold (files in folders), for an ETA."""
    total = 0
    for source in sources:
        path = Path(source)
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.suffix.lower() in (".json", ".xml"))
        elif path.suffix.lower() in (".json", ".xml"):
            total += 1
        else:
            return None
    return total


def _batches(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def ingest_records(
    store: Store,
    records: Iterable[RawRecord],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Parse and store `records` in transactional batches; return the totals.

    `workers` > 1 parses in that many processes while this one writes.
    """
    report = IngestReport()
    started = time.perf_counter()

    def commit(parsed: list[Parsed]) -> None:
        stored = [p for p in parsed if isinstance(p, StoredRecord)]
        quarantined = [p for p in parsed if isinstance(p, QuarantineEntry)]
        report.add(store.write_batch(stored, quarantined))
        report.read += len(parsed)
        report.quarantine_by_code.update(q.code for q in quarantined)
        report.seconds = time.perf_counter() - started
        if on_batch is not None:
            on_batch(report)

    batches = _batches(records, batch_size)
    if workers <= 1:
        for batch in batches:
            commit(_parse_batch(batch))
    else:
        # Not `pool.map`: it reads the whole input up front. Keeping a few batches in flight
        # keeps memory flat in corpus size and every worker busy while this process writes.
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: deque[Future[list[Parsed]]] = deque()
            for batch in batches:
                pending.append(pool.submit(_parse_batch, batch))
                if len(pending) > 2 * workers:
                    commit(pending.popleft().result())
            while pending:
                commit(pending.popleft().result())
    report.seconds = time.perf_counter() - started
    return report


def ingest(
    store: Store,
    sources: Iterable[str | Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest every record of the given files, folders and archives into `store`."""
    return ingest_records(
        store,
        read_sources(list(sources)),
        batch_size=batch_size,
        workers=workers,
        on_batch=on_batch,
    )
