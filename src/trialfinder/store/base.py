"""The storage interface every backend implements, and the values that cross it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trialfinder.model import Trial
from trialfinder.store.rows import compress, encode_trial, sha256, site_id


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A parsed trial with the raw bytes it came from, encoded and ready to upsert.

    Build it with `StoredRecord.of(...)`: the hashing and compression happen there, so that a
    parsing worker process does them and the writer only runs SQL.
    """

    trial: Trial
    format: str
    origin: str
    position: str
    raw_sha256: str
    raw_blob: bytes
    trial_blob: bytes
    site_ids: tuple[str, ...]

    @classmethod
    def of(cls, trial: Trial, raw: bytes, format: str, origin: str, position: str) -> StoredRecord:
        """Encode a parsed trial and its raw bytes for storage."""
        return cls(
            trial=trial,
            format=format,
            origin=origin,
            position=position,
            raw_sha256=sha256(raw),
            raw_blob=compress(raw),
            trial_blob=encode_trial(trial),
            site_ids=tuple(site_id(location) for location in trial.locations),
        )


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A record set aside: where it was, a stable reason code, the human reason, its raw bytes."""

    origin: str
    position: str
    code: str
    reason: str
    raw: bytes


@dataclass(slots=True)
class WriteCounts:
    """What one batch (or a whole run) did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: WriteCounts) -> None:
        """Add another batch's counts to these."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Sizes of the store, for `trialfinder stats` and the API's `/stats/size`."""

    trials: int
    sites: int
    locations: int
    quarantined: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_study_type: dict[str, int] = field(default_factory=dict)
    quarantine_by_code: dict[str, int] = field(default_factory=dict)
    last_update_posted: str = ""
    size_bytes: int = 0
    schema_version: str = ""


class Store(Protocol):
    """Storage for trials, their raw records, sites and quarantine; one per database URL."""

    url: str

    def write_batch(
        self, records: Sequence[StoredRecord], quarantined: Sequence[QuarantineEntry]
    ) -> WriteCounts:
        """Upsert trials (newer last-update wins) and quarantine entries in one transaction."""
        ...

    def get_trial(self, nct_id: str) -> Trial | None:
        """Return the stored trial, or None."""
        ...

    def get_raw(self, nct_id: str) -> tuple[str, bytes] | None:
        """Return (format, raw bytes) of the record a trial was built from, or None."""
        ...

    def iter_trials(self) -> Iterator[Trial]:
        """Yield every stored trial in NCT id order."""
        ...

    def list_quarantine(self, limit: int = 100, code: str | None = None) -> list[QuarantineEntry]:
        """Return quarantined records, oldest first, optionally only one reason code."""
        ...

    def stats(self) -> StoreStats:
        """Return counts and sizes."""
        ...

    def get_state(self, key: str) -> str | None:
        """Return a saved progress value (a sync's page token, say), or None."""
        ...

    def set_state(self, key: str, value: str | None) -> None:
        """Save (or with None, forget) a progress value."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
