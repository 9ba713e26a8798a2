"""Export a store to a backend-neutral JSON Lines stream, and import one into any store.

The stream holds what a store cannot rebuild: every trial's raw record (format, origin,
position, bytes) and every quarantined record. Import parses the raw records again, so the
imported store is what ingesting the same records would make. Each line is one JSON object::

    {"kind": "header", "format": "trialfinder-export", "version": 1}
    {"kind": "record", "nct_id": ..., "format": ..., "origin": ..., "position": ...,
     "sha256": ..., "data": <base64>}
    {"kind": "quarantine", "origin": ..., "position": ..., "code": ..., "reason": ...,
     "sha256": ..., "data": <base64>}
    {"kind": "end", "records": n, "quarantined": n, "records_sha256": ..., "quarantine_sha256": ...}

The checksums are SHA-256 over the sorted ``nct_id<TAB>raw sha256`` lines of the records and the
sorted ``origin<TAB>position<TAB>sha256`` lines of the quarantine, so two stores with the same
content have the same checksums whatever their backend.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import msgspec

from trialfinder.errors import SourceError, StoreError
from trialfinder.ingest import ingest_records
from trialfinder.sources.base import RawRecord
from trialfinder.store.base import QuarantineEntry, Store
from trialfinder.store.rows import sha256

EXPORT_FORMAT = "trialfinder-export"
EXPORT_VERSION = 1
_BATCH = 500
_ALL = 2**62

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True, slots=True)
class TransferSummary:
    """Counts and checksums of an export, an import or a store."""

    records: int
    quarantined: int
    records_sha256: str
    quarantine_sha256: str

    def as_dict(self) -> dict[str, object]:
        """Plain data for `--json` output."""
        return {
            "records": self.records,
            "quarantined": self.quarantined,
            "records_sha256": self.records_sha256,
            "quarantine_sha256": self.quarantine_sha256,
        }


def _checksum(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _quarantine_key(entry: QuarantineEntry) -> str:
    return f"{entry.origin}\t{entry.position}\t{sha256(entry.raw)}"


def store_summary(store: Store, nct_ids: set[str] | None = None) -> TransferSummary:
    """Counts and checksums of a store's records (only `nct_ids`, when given) and quarantine."""
    records = [
        f"{raw.nct_id}\t{raw.sha256}"
        for raw in store.iter_raw_records()
        if nct_ids is None or raw.nct_id in nct_ids
    ]
    quarantine = {_quarantine_key(e) for e in store.list_quarantine(limit=_ALL)}
    return TransferSummary(len(records), len(quarantine), _checksum(records), _checksum(quarantine))


def export_store(store: Store, out: IO[bytes]) -> TransferSummary:
    """Write every raw record and quarantined record of `store` to `out`; return the summary."""
    out.write(_line({"kind": "header", "format": EXPORT_FORMAT, "version": EXPORT_VERSION}))
    records: list[str] = []
    for raw in store.iter_raw_records():
        if sha256(raw.data) != raw.sha256:
            raise StoreError(f"{raw.nct_id}: stored raw record does not match its SHA-256")
        records.append(f"{raw.nct_id}\t{raw.sha256}")
        out.write(
            _line(
                {
                    "kind": "record",
                    "nct_id": raw.nct_id,
                    "format": raw.format,
                    "origin": raw.origin,
                    "position": raw.position,
                    "sha256": raw.sha256,
                    "data": base64.b64encode(raw.data).decode(),
                }
            )
        )
    quarantine: set[str] = set()
    for entry in store.list_quarantine(limit=_ALL):
        key = _quarantine_key(entry)
        if key in quarantine:
            continue
        quarantine.add(key)
        out.write(
            _line(
                {
                    "kind": "quarantine",
                    "origin": entry.origin,
                    "position": entry.position,
                    "code": entry.code,
                    "reason": entry.reason,
                    "sha256": sha256(entry.raw),
                    "data": base64.b64encode(entry.raw).decode(),
                }
            )
        )
    summary = TransferSummary(
        len(records), len(quarantine), _checksum(records), _checksum(quarantine)
    )
    out.write(_line({"kind": "end", **summary.as_dict()}))
    return summary


def _line(data: dict[str, object]) -> bytes:
    return _encoder.encode(data) + b"\n"


def _read_lines(stream: IO[bytes], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, _decoder.decode(line)
        except msgspec.DecodeError as error:
            raise SourceError(f"{name} line {number}: not a JSON object ({error})") from None


@dataclass(slots=True)
class _ImportState:
    expected: TransferSummary | None = None
    nct_ids: set[str] | None = None
    quarantine: list[QuarantineEntry] | None = None


def import_store(
    store: Store, stream: IO[bytes], name: str = "<stream>", *, workers: int = 1
) -> tuple[TransferSummary, TransferSummary]:
    """Import an export stream into `store`; return (summary the stream declares, store's own).

    The store's summary covers the imported trials and the whole quarantine; raises
    StoreError when the stream's records or checksums do not arrive intact.
    """
    state = _ImportState(nct_ids=set(), quarantine=[])
    lines = _read_lines(stream, name)
    first = next(lines, None)
    if first is None or first[1].get("format") != EXPORT_FORMAT:
        raise SourceError(f"{name}: not a trialfinder export (no '{EXPORT_FORMAT}' header line)")
    if first[1].get("version") != EXPORT_VERSION:
        raise SourceError(
            f"{name}: export version {first[1].get('version')!r} is not {EXPORT_VERSION}"
        )

    def records() -> Iterator[RawRecord]:
        assert state.nct_ids is not None and state.quarantine is not None
        for number, item in lines:
            kind = item.get("kind")
            try:
                data = base64.b64decode(item["data"]) if "data" in item else b""
                if kind == "record":
                    if sha256(data) != item["sha256"]:
                        raise SourceError(f"{name} line {number}: data does not match its sha256")
                    state.nct_ids.add(item["nct_id"])
                    yield RawRecord(item["origin"], item["position"], data, item["format"])
                elif kind == "quarantine":
                    state.quarantine.append(
                        QuarantineEntry(
                            item["origin"], item["position"], item["code"], item["reason"], data
                        )
                    )
                elif kind == "end":
                    state.expected = TransferSummary(
                        int(item["records"]),
                        int(item["quarantined"]),
                        str(item["records_sha256"]),
                        str(item["quarantine_sha256"]),
                    )
                else:
                    raise SourceError(f"{name} line {number}: unknown kind {kind!r}")
            except KeyError as error:
                raise SourceError(f"{name} line {number}: {kind} has no {error}") from None

    ingest_records(store, records(), workers=workers)
    assert state.quarantine is not None
    for start in range(0, len(state.quarantine), _BATCH):
        store.write_batch([], state.quarantine[start : start + _BATCH])
    if state.expected is None:
        raise SourceError(f"{name}: the export ends early (no 'end' line); it is incomplete")
    found = store_summary(store, state.nct_ids)
    if (found.records, found.records_sha256) != (
        state.expected.records,
        state.expected.records_sha256,
    ):
        raise StoreError(
            f"{name}: imported {found.records:,} records with checksum {found.records_sha256}; "
            f"the export has {state.expected.records:,} with {state.expected.records_sha256}"
        )
    return state.expected, found
