"""Export a store to a backend-neutral JSON Lines stream, and import one into any store.

The stream holds what a store cannot rebuild: every trial's raw record (format, origin,
position, bytes), every quarantined record, and the saved progress values (`Store.list_state`:
`last_sync`, each sync's resume token and last-sync date), so a moved store goes on syncing
incrementally. Import parses the raw records again, so the imported store is what ingesting the
same records would make, and saves the progress values only once the records check out. Each
line is one JSON object::

    {"kind": "header", "format": "trialfinder-export", "version": 2}
    {"kind": "record", "nct_id": ..., "format": ..., "origin": ..., "position": ...,
     "sha256": ..., "data": <base64>}
    {"kind": "quarantine", "origin": ..., "position": ..., "code": ..., "reason": ...,
     "sha256": ..., "data": <base64>}
    {"kind": "state", "key": ..., "value": ...}
    {"kind": "end", "records": n, "quarantined": n, "state": n, "records_sha256": ...,
     "quarantine_sha256": ..., "state_sha256": ...}

The checksums are SHA-256 over the sorted ``nct_id<TAB>raw sha256`` lines of the records, the
sorted ``origin<TAB>position<TAB>sha256`` lines of the quarantine and the sorted
``key<TAB>value`` lines of the state, so two stores with the same content have the same
checksums whatever their backend. Version 1 exports (no state) still import.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

import msgspec

from trialfinder.errors import SourceError, StoreError
from trialfinder.ingest import ingest_records
from trialfinder.sources.base import RawRecord
from trialfinder.store.base import QuarantineEntry, Store
from trialfinder.store.rows import sha256

EXPORT_FORMAT = "trialfinder-export"
EXPORT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_BATCH = 500
_ALL = 2**62

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True, slots=True)
class TransferSummary:
    """Counts and checksums of an export, an import or a store."""

    records: int
    quarantined: int
    state: int
    records_sha256: str
    quarantine_sha256: str
    state_sha256: str

    def as_dict(self) -> dict[str, object]:
        """Plain data for `--json` output."""
        return {
            "records": self.records,
            "quarantined": self.quarantined,
            "state": self.state,
            "records_sha256": self.records_sha256,
            "quarantine_sha256": self.quarantine_sha256,
            "state_sha256": self.state_sha256,
        }

    def describe(self) -> str:
        """One line of counts and checksums, for the CLI."""
        return (
            f"{self.records:,} records (sha256 {self.records_sha256}) · "
            f"{self.quarantined:,} quarantined (sha256 {self.quarantine_sha256}) · "
            f"{self.state:,} sync state values (sha256 {self.state_sha256})"
        )


def _checksum(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _quarantine_key(entry: QuarantineEntry) -> str:
    return f"{entry.origin}\t{entry.position}\t{sha256(entry.raw)}"


def _state_key(key: str, value: str) -> str:
    return f"{key}\t{value}"


def _summary(records: list[str], quarantine: set[str], state: list[str]) -> TransferSummary:
    return TransferSummary(
        len(records),
        len(quarantine),
        len(state),
        _checksum(records),
        _checksum(quarantine),
        _checksum(state),
    )


def store_summary(
    store: Store, nct_ids: set[str] | None = None, state_keys: set[str] | None = None
) -> TransferSummary:
    """Counts and checksums of a store's records, quarantine and state (only `nct_ids` and
    `state_keys`, when given).
    """
    records = [
        f"{raw.nct_id}\t{raw.sha256}"
        for raw in store.iter_raw_records()
        if nct_ids is None or raw.nct_id in nct_ids
    ]
    quarantine = {_quarantine_key(e) for e in store.list_quarantine(limit=_ALL)}
    state = [
        _state_key(key, value)
        for key, value in store.list_state().items()
        if state_keys is None or key in state_keys
    ]
    return _summary(records, quarantine, state)


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
    state: list[str] = []
    for key, value in store.list_state().items():
        state.append(_state_key(key, value))
        out.write(_line({"kind": "state", "key": key, "value": value}))
    summary = _summary(records, quarantine, state)
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
    state: dict[str, str] | None = None


def import_store(
    store: Store, stream: IO[bytes], name: str = "<stream>", *, workers: int = 1
) -> tuple[TransferSummary, TransferSummary]:
    """Import an export stream into `store`; return (summary the stream declares, store's own).

    The store's summary covers the imported trials and state keys and the whole quarantine;
    raises StoreError when the stream's records or checksums do not arrive intact. The state
    values are saved last, once the records check out, replacing those of the same keys.
    """
    state = _ImportState(nct_ids=set(), quarantine=[], state={})
    lines = _read_lines(stream, name)
    first = next(lines, None)
    if first is None or first[1].get("format") != EXPORT_FORMAT:
        raise SourceError(f"{name}: not a trialfinder export (no '{EXPORT_FORMAT}' header line)")
    if first[1].get("version") not in _READABLE_VERSIONS:
        raise SourceError(
            f"{name}: export version {first[1].get('version')!r} is not one of "
            f"{', '.join(map(str, _READABLE_VERSIONS))}; upgrade trialfinder"
        )

    def records() -> Iterator[RawRecord]:
        assert state.nct_ids is not None and state.quarantine is not None
        assert state.state is not None
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
                elif kind == "state":
                    state.state[str(item["key"])] = str(item["value"])
                elif kind == "end":
                    state.expected = TransferSummary(
                        int(item["records"]),
                        int(item["quarantined"]),
                        int(item.get("state", 0)),
                        str(item["records_sha256"]),
                        str(item["quarantine_sha256"]),
                        str(item.get("state_sha256", _checksum([]))),
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
    found = store_summary(store, state.nct_ids, set())
    if (found.records, found.records_sha256) != (
        state.expected.records,
        state.expected.records_sha256,
    ):
        raise StoreError(
            f"{name}: imported {found.records:,} records with checksum {found.records_sha256}; "
            f"the export has {state.expected.records:,} with {state.expected.records_sha256}"
        )
    assert state.state is not None
    read = _summary([], set(), [_state_key(k, v) for k, v in state.state.items()])
    if (read.state, read.state_sha256) != (state.expected.state, state.expected.state_sha256):
        raise StoreError(
            f"{name}: read {read.state:,} sync state values with checksum "
            f"{read.state_sha256}; the export has {state.expected.state:,} with "
            f"{state.expected.state_sha256}"
        )
    for key, value in state.state.items():
        store.set_state(key, value)
    saved = [_state_key(k, v) for k, v in store.list_state().items() if k in state.state]
    return state.expected, replace(found, state=len(saved), state_sha256=_checksum(saved))
