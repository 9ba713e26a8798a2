"""Ingest: read sources, parse each record, quarantine the bad ones, upsert in transactions.

Each batch is one transaction holding its trials, their criteria readings and its quarantine
entries, and every write is an idempotent upsert keyed by NCT id (quarantine by origin, position and
content hash). So a run killed at any moment and started again ends with the same store as a run
never interrupted, and a stored trial never has the reading of another version of itself.
"""

from __future__ import annotations

import gc
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TypeVar

import msgspec

from trialfinder.criteria.reading import read_item
from trialfinder.errors import RecordError, SourceError
from trialfinder.model import Trial
from trialfinder.sources import RawRecord, parse_record, read_source
from trialfinder.sources.files import RecordsPart, SourcePart, read_part, source_parts
from trialfinder.store.base import (
    QuarantineEntry,
    Store,
    StoredCriteria,
    StoredRecord,
    WriteCounts,
)

DEFAULT_BATCH_SIZE = 2000
"""Records per transaction: bigger batches write each index page once for more rows."""

_PIECE_SIZE = 250
"""Records per task sent to a parsing process (a batch is split into pieces of this size)."""

_GC_THRESHOLD = 100_000
T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class IngestReport:
    """Running totals of an ingest; `read` always equals stored + unchanged + quarantined."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantine_by_code: Counter[str] = field(default_factory=Counter)
    criteria_unread: int = 0
    """Trials stored without a criteria reading because the engine failed on their text."""
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
            "criteria_unread": self.criteria_unread,
            "seconds": round(self.seconds, 3),
        }


Parsed = StoredRecord | QuarantineEntry
CriteriaItem = tuple[str, str, tuple[str, ...]]
"""What the criteria engine reads of a trial: NCT id, criteria text, condition MeSH terms."""


def criteria_item(trial: Trial) -> CriteriaItem:
    """The part of `trial` its criteria reading depends on (small, cheap to send to a process)."""
    return (trial.nct_id, trial.eligibility_criteria, tuple(m.term for m in trial.condition_mesh))


def read_criteria(item: CriteriaItem) -> StoredCriteria:
    """Read one trial's criteria into its stored row: for ingest, sync and reparse alike."""
    reading = read_item(item)
    return StoredCriteria(
        nct_id=reading.nct_id,
        engine_version=reading.engine_version,
        min_age_years=reading.min_age_years,
        max_age_years=reading.max_age_years,
        ecog_max=reading.ecog_max,
        egfr_min=reading.egfr_min,
        data=reading.data,
    )


def parse_raw(record: RawRecord, *, criteria: bool = True) -> Parsed:
    """Parse one raw record into a storable trial, or a quarantine entry saying why not.

    With `criteria`, the trial carries its criteria reading too. The record is valid whatever
    the criteria engine makes of its text, so an engine failure stores the trial without one.
    """
    try:
        trial = parse_record(record)
    except RecordError as error:
        return QuarantineEntry(
            record.origin, record.position, error.code, error.message, record.data
        )
    reading = None
    if criteria:
        try:
            reading = read_criteria(criteria_item(trial))
        except Exception:  # a bug in the engine must not stop an ingest; counted, not hidden
            reading = None
    return StoredRecord.of(
        trial, record.data, record.format, record.origin, record.position, reading
    )


def _parse_batch(batch: list[RawRecord], criteria: bool) -> list[Parsed]:
    return [parse_raw(record, criteria=criteria) for record in batch]


Piece = tuple[list[StoredRecord], list[QuarantineEntry]]
_piece_encoder = msgspec.msgpack.Encoder()
_piece_decoder = msgspec.msgpack.Decoder(Piece)


def _parse_piece(part: SourcePart, *, criteria: bool) -> bytes:
    """Read and parse a part of the sources in a worker process; return it as MessagePack.

    msgspec encodes it in about a third of the time pickle takes (pickle memoises every one
    of the hundreds of small row tuples of a record), and decodes it about as fast.
    """
    parsed = _parse_batch(list(read_part(part)), criteria)
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
            yield _unreadable(source, error)


def _read_in_parts(sources: Iterable[str | Path], size: int) -> Iterator[SourcePart]:
    """`read_sources`, cut into parts that the parsing processes read (see `source_parts`)."""
    for source in sources:
        if not Path(source).exists():
            raise SourceError(f"Source {str(source)!r} does not exist")
        try:
            yield from source_parts(source, size)
        except SourceError as error:
            yield RecordsPart((_unreadable(source, error),))


def _unreadable(source: str | Path, error: SourceError) -> RawRecord:
    """The record that quarantines a whole source that cannot be read."""
    return RawRecord(str(source), "file", f"unreadable source: {error}".encode(), "ctgov_json")


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
    criteria: bool = True,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Parse and store `records` in transactional batches; return the totals.

    `workers` > 1 parses in that many processes while this one writes. `criteria` reads each
    new or updated trial's eligibility criteria where it is parsed and stores the reading with
    the trial; without it, replaced trials lose their reading until `reparse`.
    """
    if workers <= 1:
        return _store_batches(
            store,
            (_parse_batch(batch, criteria) for batch in _batches(records, batch_size)),
            criteria,
            on_batch,
        )
    chunks = (RecordsPart(tuple(b)) for b in _batches(records, min(batch_size, _PIECE_SIZE)))
    return _store_batches(
        store, _parse_in_parallel(chunks, batch_size, workers, criteria), criteria, on_batch
    )


def _store_batches(
    store: Store,
    batches: Iterator[list[Parsed]],
    criteria: bool,
    on_batch: Callable[[IngestReport], None] | None,
) -> IngestReport:
    """Write each parsed batch in its own transaction, counting as it goes."""
    report = IngestReport()
    started = time.perf_counter()
    with _fewer_collections():
        for parsed in batches:
            stored = [p for p in parsed if isinstance(p, StoredRecord)]
            quarantined = [p for p in parsed if isinstance(p, QuarantineEntry)]
            report.add(store.write_batch(stored, quarantined))
            report.read += len(parsed)
            report.quarantine_by_code.update(q.code for q in quarantined)
            if criteria:
                report.criteria_unread += sum(r.criteria is None for r in stored)
            report.seconds = time.perf_counter() - started
            if on_batch is not None:
                on_batch(report)
    report.seconds = time.perf_counter() - started
    return report


def map_ahead(
    pool: Executor, function: Callable[[T], R], inputs: Iterable[T], ahead: int
) -> Iterator[R]:
    """`pool.map`, but reading at most `ahead` inputs ahead of the results taken.

    `pool.map` (and `multiprocessing.Pool.imap`) read the whole input up front, so memory
    would grow with the corpus; this keeps it flat, and still keeps every worker busy.
    """
    pending: deque[Future[R]] = deque()
    for item in inputs:
        pending.append(pool.submit(function, item))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _parse_in_parallel(
    parts: Iterable[SourcePart], batch_size: int, workers: int, criteria: bool
) -> Iterator[list[Parsed]]:
    """Read and parse parts in `workers` processes; yield batches of `batch_size`, in order.

    Parts are small, so the workers parse the next batch while this process writes one, and
    only a few are read ahead, so memory does not grow with the corpus.
    """
    batch: list[Parsed] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        parse = partial(_parse_piece, criteria=criteria)
        for encoded in map_ahead(pool, parse, parts, 2 * workers + 2):
            stored, quarantined = _piece_decoder.decode(encoded)
            batch.extend(stored)
            batch.extend(quarantined)
            while len(batch) >= batch_size:
                yield batch[:batch_size]
                del batch[:batch_size]
    if batch:
        yield batch


def ingest(
    store: Store,
    sources: Iterable[str | Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    criteria: bool = True,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest every record of the given files, folders and archives into `store`.

    With `workers` > 1 the parsing processes read the files and zip members themselves.
    """
    sources = list(sources)
    if workers <= 1:
        return ingest_records(
            store,
            read_sources(sources),
            batch_size=batch_size,
            criteria=criteria,
            on_batch=on_batch,
        )
    parts = _read_in_parts(sources, min(batch_size, _PIECE_SIZE))
    return _store_batches(
        store, _parse_in_parallel(parts, batch_size, workers, criteria), criteria, on_batch
    )


def reparse(
    store: Store,
    *,
    workers: int | None = None,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Read every stored trial's criteria again and store the readings; return how many.

    For a store ingested with `criteria=False`, or after the engine changed (`ENGINE_VERSION`).
    Reads in `workers` processes (default one per core); `on_batch` gets the running count.
    """
    items = (criteria_item(trial) for trial in store.iter_trials())
    chunks = iter(lambda: list(islice(items, 32)), [])
    workers = workers or os.cpu_count() or 1
    done = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        batch: list[StoredCriteria] = []
        for rows in map_ahead(pool, _read_criteria_chunk, chunks, 2 * workers + 2):
            batch.extend(rows)
            done += len(rows)
            if len(batch) >= batch_size:
                store.save_criteria(batch)
                batch.clear()
                if on_batch is not None:
                    on_batch(done)
        store.save_criteria(batch)
    if on_batch is not None:
        on_batch(done)
    return done


def _read_criteria_chunk(items: list[CriteriaItem]) -> list[StoredCriteria]:
    return [read_criteria(item) for item in items]
