"""The storage interface every backend implements, and the values that cross it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trialfinder.model import Trial
from trialfinder.store.rows import (
    CriteriaRow,
    SiteRow,
    TrialRows,
    compress,
    decode_trial,
    encode_trial,
    merge_sites,
    sha256,
    trial_rows,
)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A parsed trial with the raw bytes it came from, encoded and ready to upsert.

    Build it with `StoredRecord.of(...)`: the hashing, compression and row building happen
    there, so that a parsing worker process does them and the writer only binds values. It holds
    no `Trial` object, because pickling one to the writer costs more than parsing it did.
    `criteria` is the trial's criteria reading, written in the same transaction as the trial;
    None when it was not read at ingest (then the store drops any reading of an older version).
    """

    nct_id: str
    last_update_posted: str
    format: str
    origin: str
    position: str
    raw_sha256: str
    raw_blob: bytes
    trial_blob: bytes
    rows: TrialRows
    criteria: CriteriaRow | None = None

    @classmethod
    def of(
        cls,
        trial: Trial,
        raw: bytes,
        format: str,
        origin: str,
        position: str,
        criteria: StoredCriteria | None = None,
    ) -> StoredRecord:
        """Encode a parsed trial, its raw bytes and (optionally) its criteria reading."""
        return cls(
            nct_id=trial.nct_id,
            last_update_posted=trial.last_update_posted,
            format=format,
            origin=origin,
            position=position,
            raw_sha256=sha256(raw),
            raw_blob=compress(raw),
            trial_blob=encode_trial(trial),
            rows=trial_rows(trial),
            criteria=criteria.as_row() if criteria is not None else None,
        )

    @property
    def trial(self) -> Trial:
        """The trial, decoded again from its stored form."""
        return decode_trial(self.trial_blob)


@dataclass(frozen=True, slots=True)
class StoredRaw:
    """A stored trial's raw record as received: format, origin, position, hash, bytes."""

    nct_id: str
    format: str
    origin: str
    position: str
    sha256: str
    data: bytes


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


def plan_upserts(
    records: Sequence[StoredRecord],
    stored: dict[str, tuple[str, str]],
    counts: WriteCounts,
) -> tuple[dict[str, StoredRecord], dict[str, SiteRow]]:
    """Decide what a batch writes, the one rule every backend applies.

    `stored` maps nct_id to (last_update_posted, raw_sha256) of what the store holds. A record
    is new, or replaces the stored one when it differs and is not older; identical or older
    records count as unchanged. Later records of the batch see earlier ones. Returns the records
    to write by nct_id and their sites merged as upserting them in turn would.
    """
    current = dict(stored)
    written: dict[str, StoredRecord] = {}
    sites: dict[str, SiteRow] = {}
    for record in records:
        previous = current.get(record.nct_id)
        if previous is None:
            counts.new += 1
        elif previous[1] == record.raw_sha256 or record.last_update_posted < previous[0]:
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        current[record.nct_id] = (record.last_update_posted, record.raw_sha256)
        written[record.nct_id] = record
        merge_sites(sites, record.rows.sites)
    return written, sites


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


@dataclass(frozen=True, slots=True)
class Reindexed:
    """What `Store.reindex` did: one line for people and the figures for `--json`."""

    summary: str
    figures: dict[str, object]


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

    def get_trials_many(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, in the order asked."""
        ...

    def get_raw_many(self, nct_ids: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """Return (format, raw bytes) of those of `nct_ids` that are stored, in one read, in
        the order asked."""
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

    def list_state(self) -> dict[str, str]:
        """Return every saved progress value by key, in key order."""
        ...

    def reindex(self, on_progress: Callable[[int, int], None] | None = None) -> Reindexed:
        """Rebuild the indexes a store keeps beside its rows (SQLite: the tantivy text index;
        PostgreSQL: every index, packed, while reads and writes go on); `on_progress(done,
        total)` follows the work."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    # -- search (values defined below) --

    def search_trials(
        self,
        where: StudyFilter,
        sort: StudySort,
        limit: int,
        offset: int,
        time_limit_s: float,
    ) -> list[StudyHit]:
        """Return one page of trials matching `where`, best (per `sort`) first."""
        ...

    def count_trials(self, where: StudyFilter, time_limit_s: float) -> int:
        """Return how many trials match `where`."""
        ...

    def facet_counts(self, where: StudyFilter, time_limit_s: float) -> dict[str, dict[str, int]]:
        """Return value → count of matching trials for each facet (status, phase, ... country)."""
        ...

    def search_sites(
        self, where: SiteFilter, limit: int, offset: int, time_limit_s: float
    ) -> tuple[list[tuple[Site, float | None]], int]:
        """Return one page of (site, distance km) nearest or most used first, and the total."""
        ...

    def get_site(self, site_id: str) -> tuple[Site, list[tuple[str, str]]] | None:
        """Return a site and its (nct_id, location status) pairs, or None."""
        ...

    def record_sizes(self) -> list[tuple[str, int]]:
        """Return (nct_id, size in bytes of the raw record) for every stored trial."""
        ...

    def iter_raw_records(self) -> Iterator[StoredRaw]:
        """Yield the raw record of every stored trial, with where it came from, in NCT id order."""
        ...

    def save_criteria(self, rows: Sequence[StoredCriteria]) -> None:
        """Upsert the criteria readings of trials (one row per nct_id) in one transaction."""
        ...

    def get_criteria(self, nct_id: str) -> StoredCriteria | None:
        """Return the stored criteria reading of a trial, or None."""
        ...

    def get_criteria_many(self, nct_ids: Sequence[str]) -> dict[str, StoredCriteria]:
        """Return the stored criteria readings of those of `nct_ids` that have one, in one read."""
        ...

    def get_screening_trials(self, nct_ids: Sequence[str]) -> dict[str, Trial]:
        """Return those of `nct_ids` that are stored, in one read, with only the fields that
        eligibility screening reads (`rows.SCREENING_FIELDS`); the others keep their defaults."""
        ...


# -- search: the values that cross the interface ----------------------------------------------


@dataclass(frozen=True, slots=True)
class TextTerm:
    """One searched word or phrase; `alternatives` (each a tuple of words) are ORed together."""

    alternatives: tuple[tuple[str, ...], ...]
    is_prefix: bool = False
    is_negated: bool = False


@dataclass(frozen=True, slots=True)
class TextSearch:
    """Terms that must all match (negated ones must not) in the named full-text columns.

    `columns` are among title, conditions, interventions, keywords, summary, criteria; an empty
    tuple means every column.
    """

    columns: tuple[str, ...]
    terms: tuple[TextTerm, ...]


@dataclass(frozen=True, slots=True)
class GeoArea:
    """A circle on the map: trials with a site inside it match."""

    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class StudyFilter:
    """Every condition a study search can put on trials; empty fields do not filter.

    Ranges are inclusive `(low, high)` pairs where None is open. Ages are in years; a trial
    without a minimum (maximum) age counts as 0 (unlimited).
    """

    text: tuple[TextSearch, ...] = ()
    nct_ids: tuple[str, ...] = ()
    id_words: tuple[str, ...] = ()
    sponsor_words: tuple[str, ...] = ()
    location_words: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_years: float | None = None
    minimum_age_range: tuple[float | None, float | None] | None = None
    maximum_age_range: tuple[float | None, float | None] | None = None
    age_groups: tuple[str, ...] = ()
    healthy_volunteers: bool | None = None
    countries: tuple[str, ...] = ()
    has_results: bool | None = None
    start_date_range: tuple[str | None, str | None] | None = None
    last_update_range: tuple[str | None, str | None] | None = None
    geo: GeoArea | None = None
    ecog: float | None = None
    """The patient's ECOG grade: leave out trials whose stored criteria reading asks for less."""
    egfr: float | None = None
    """The patient's eGFR: leave out trials whose stored criteria reading asks for more."""


@dataclass(frozen=True, slots=True)
class StudySort:
    """Order of search results: relevance, distance, last_update, start_date or nct_id."""

    key: str = "relevance"
    is_descending: bool = False


@dataclass(frozen=True, slots=True)
class Site:
    """A research site (one facility in one city), with how many stored trials use it."""

    site_id: str
    name: str
    city: str
    state: str
    zip: str
    country: str
    lat: float | None
    lon: float | None
    trial_count: int = 0


@dataclass(frozen=True, slots=True)
class StudyHit:
    """One search result: the trial, its score, and its nearest matching site (with distance)."""

    nct_id: str
    score: float | None
    site: Site | None
    site_status: str = ""
    distance_km: float | None = None


@dataclass(frozen=True, slots=True)
class SiteFilter:
    """What a site search asks for: words in name/city/state/country, countries, a circle."""

    words: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    geo: GeoArea | None = None


@dataclass(frozen=True, slots=True)
class StoredCriteria:
    """A trial's criteria as the engine read them: JSON in `data`, and columns to filter on.

    `data` is the msgspec JSON of `trialfinder.criteria.ParsedCriteria`; the store keeps it
    as bytes and never looks inside. None in a column means the criteria do not say.
    """

    nct_id: str
    engine_version: str
    min_age_years: float | None
    max_age_years: float | None
    ecog_max: float | None
    egfr_min: float | None
    data: bytes

    def as_row(self) -> CriteriaRow:
        """The `trial_criteria` row, `data` compressed, for any backend."""
        return (
            self.nct_id,
            self.engine_version,
            self.min_age_years,
            self.max_age_years,
            self.ecog_max,
            self.egfr_min,
            compress(self.data),
        )
