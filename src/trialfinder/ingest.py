"""Ingest: read sources, parse each record, quarantine the bad ones, upsert in transactions.

Each batch is one transaction holding its trials and its quarantine entries, and every write is an
idempotent upsert keyed by NCT id (quarantine by origin, position and content hash). So a run
killed at any moment and started again ends with the same store as a run never interrupted.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import msgspec

from trialfinder.errors import RecordError, SourceError
from trialfinder.sources import RawRecord, parse_record, read_source
from trialfinder.store.base import QuarantineEntry, Store, StoredRecord, WriteCounts

DEFAULT_BATCH_SIZE = 2000
"""Records per transaction: bigger batches write each index page once for more rows."""

_PIECE_SIZE = 250
"""Records per task sent to a parsing process (a batch is split into pieces of this size)."""

_GC_THRESHOLD = 100_000


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


Piece = tuple[list[StoredRecord], list[QuarantineEntry]]
_piece_encoder = msgspec.msgpack.Encoder()
_piece_decoder = msgspec.msgpack.Decoder(Piece)


def _parse_piece(batch: list[RawRecord]) -> bytes:
    """Parse in a worker process; return the parsed piece as MessagePack.

    msgspec encodes it in about a third of the time pickle takes (pickle memoises every one
    of the hundreds of small row tuples of a record), and decodes it about as fast.
    """
    parsed = _parse_batch(batch)
    stored = [p for p in parsed if isinstance(p, StoredRecord)]
    quarantined = [p for p in parsed if isinstance(p, QuarantineEntry)]
    return _piece_encoder.encode((stored, quarantined))


def _start_worker() -> None:
    # Parsing allocates millions of short-lived containers and no cycles; with the default
    # threshold the collector runs every 700 allocations and costs about 15% of parse time.
    gc.set_threshold(_GC_THRESHOLD)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while this process unpickles and writes batches."""
    saved = gc.get_threshold()
    gc.set_threshold(_GC_THRESHOLD, *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


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

    with _fewer_collections():
        if workers <= 1:
            for batch in _batches(records, batch_size):
                commit(_parse_batch(batch))
        else:
            _parse_in_parallel(records, batch_size, workers, commit)
    report.seconds = time.perf_counter() - started
    return report


def _pieces(
    records: Iterable[RawRecord], batch_size: int
) -> Iterator[tuple[list[RawRecord], bool]]:
    """Yield (piece, is the last piece of its batch) for batches of `batch_size` records."""
    iterator = iter(records)
    piece_size = min(batch_size, _PIECE_SIZE)
    while True:
        remaining = batch_size
        while remaining:
            piece = list(islice(iterator, min(piece_size, remaining)))
            if not piece:
                return
            remaining -= len(piece)
            yield piece, remaining == 0


def _parse_in_parallel(
    records: Iterable[RawRecord],
    batch_size: int,
    workers: int,
    commit: Callable[[list[Parsed]], None],
) -> None:
    """Parse in `workers` processes and commit batch after batch, in input order.

    Batches go out in small pieces, so the workers parse the next batch while this process
    writes one; only a few pieces are read ahead (not `pool.map`, which reads the whole input
    up front), so memory does not grow with the corpus.
    """
    batch: list[Parsed] = []
    pending: deque[tuple[Future[bytes], bool]] = deque()

    def take_oldest() -> None:
        future, is_batch_end = pending.popleft()
        stored, quarantined = _piece_decoder.decode(future.result())
        batch.extend(stored)
        batch.extend(quarantined)
        if is_batch_end:
            commit(batch[:])
            batch.clear()

    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        for piece, is_batch_end in _pieces(records, batch_size):
            pending.append((pool.submit(_parse_piece, piece), is_batch_end))
            if len(pending) > 2 * workers + 2:
                take_oldest()
        while pending:
            take_oldest()
    if batch:
        commit(batch)


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
