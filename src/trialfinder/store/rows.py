"""Backend-independent pieces of storing a trial: encoding, site identity, searchable text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec

from trialfinder.model import Location, Trial

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Trial)
_SPACES = re.compile(r"\s+")


FILTER_COLUMNS = (
    "overall_status",
    "study_type",
    "sex",
    "std_ages",
    "phases",
    "healthy_volunteers",
    "has_results",
)
"""The trial columns that search filters and facets test, in both stores: the SQLite facet
totals count trials by them, and each country row of a trial carries them."""

COUNTRY_WALK_COLUMNS = (
    "last_update_posted",
    "overall_status",
    "study_type",
    "sex",
    "healthy_volunteers",
    "has_results",
    "std_ages",
    "phases",
    "minimum_age_years",
    "maximum_age_years",
)
"""The trial columns each `trial_countries` row copies, in both stores (SQLite migration 0012,
PostgreSQL 0009 and 0013 spell them out): a filters-only page with one country walks that
country's rows by last update and tests them there, without reading `trials`."""

COUNTRY_WALK_FIELDS: dict[str, Any] = {
    "countries": (),
    "statuses": (),
    "study_types": (),
    "sexes": (),
    "age_groups": (),
    "healthy_volunteers": None,
    "has_results": None,
    "phases": (),
    "age_years": None,
    "minimum_age_range": None,
    "maximum_age_range": None,
}
"""The `StudyFilter` fields (with their empty values) that the `COUNTRY_WALK_COLUMNS` of a
`trial_countries` row answer."""

_LEVEL = 1
"""zlib level: 1 costs about 15% less CPU than 3 for about 5% more bytes (see BENCHMARKS.md)."""


def encode_trial(trial: Trial) -> bytes:
    """Compress a trial for storage (about 4x smaller than its JSON)."""
    return zlib.compress(_encoder.encode(trial), _LEVEL)


def decode_trial(blob: bytes) -> Trial:
    """Inverse of `encode_trial`."""
    return _decoder.decode(zlib.decompress(blob))


SCREENING_FIELDS = (
    "nct_id",
    "brief_title",
    "overall_status",
    "conditions",
    "condition_mesh",
    "sex",
    "minimum_age",
    "minimum_age_years",
    "maximum_age",
    "maximum_age_years",
    "healthy_volunteers",
    "eligibility_criteria",
    "last_update_posted",
)
"""The fields of a trial that eligibility screening (`trialfinder.match`) reads."""


def _default_of(field: msgspec.structs.FieldInfo) -> Any:
    if field.default_factory is not msgspec.NODEFAULT:
        return msgspec.field(default_factory=field.default_factory)
    return msgspec.field(default=field.default)


_screening_decoder = msgspec.json.Decoder(
    msgspec.defstruct(
        "_Screening",
        [
            (f.name, f.type, _default_of(f))
            for f in msgspec.structs.fields(Trial)
            if f.name in SCREENING_FIELDS
        ],
        kw_only=True,
    )
)


def decode_screening(blob: bytes) -> Trial:
    """Decode only the `SCREENING_FIELDS` of an encoded trial; the others keep their defaults.

    Skipping sites, arms and descriptions makes it many times cheaper than `decode_trial` for
    trials with many sites (see BENCHMARKS.md, Matching).
    """
    part = _screening_decoder.decode(zlib.decompress(blob))
    return Trial(**{name: getattr(part, name) for name in SCREENING_FIELDS})


def compress(data: bytes) -> bytes:
    """Compress raw source bytes for the raw-record and quarantine tables."""
    return zlib.compress(data, _LEVEL)


def decompress(data: bytes) -> bytes:
    """Inverse of `compress`."""
    return zlib.decompress(data)


def sha256(data: bytes) -> str:
    """Hex SHA-256 of raw bytes: tells an unchanged record from an updated one."""
    return hashlib.sha256(data).hexdigest()


def normalise_key(text: str) -> str:
    """Case-, accent- and space-insensitive form of a name, for matching one site across trials."""
    if text.isascii():
        # Same result as below, 4x faster: NFKD leaves ASCII alone, and `str.split()` splits
        # on exactly the characters `\s` matches.
        return " ".join(text.split()).lower()
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", folded).strip().lower()


def site_id(location: Location) -> str:
    """Stable id of the research site at a location: same facility, city and country → same id."""
    return _site_id(location.facility, location.city, location.country)


@lru_cache(maxsize=1 << 16)
def _site_id(facility: str, city: str, country: str) -> str:
    # Cached: most locations are at sites already seen (the registry's big hospitals run
    # thousands of trials), and normalising and hashing was most of the cost of a trial's rows.
    key = "|".join(normalise_key(part) for part in (facility, city, country))
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def search_text(trial: Trial) -> dict[str, str]:
    """The full-text columns of a trial, by field (weights are applied at query time)."""
    return {
        "title": " ".join(filter(None, (trial.brief_title, trial.official_title, trial.acronym))),
        "conditions": " ; ".join(
            [*trial.conditions, *(m.term for m in trial.condition_mesh)]
            + [m.term for m in trial.condition_mesh_ancestors]
        ),
        "interventions": " ; ".join(
            [i.name for i in trial.interventions]
            + [name for i in trial.interventions for name in i.other_names]
            + [m.term for m in trial.intervention_mesh]
        ),
        "keywords": " ; ".join(trial.keywords),
        "summary": "\n".join(filter(None, (trial.brief_summary, trial.detailed_description))),
        "criteria": trial.eligibility_criteria,
    }


def condition_terms(trial: Trial) -> list[tuple[str, str]]:
    """(term, kind) pairs of everything a condition search may match."""
    return (
        [(c, "condition") for c in trial.conditions]
        + [(k, "keyword") for k in trial.keywords]
        + [(m.term, "mesh") for m in trial.condition_mesh]
        + [(m.term, "mesh_ancestor") for m in trial.condition_mesh_ancestors]
    )


def intervention_terms(trial: Trial) -> list[tuple[str, str, str]]:
    """(type, name, kind) triples of everything an intervention search may match."""
    return (
        [(i.type, i.name, "intervention") for i in trial.interventions]
        + [(i.type, n, "other_name") for i in trial.interventions for n in i.other_names]
        + [("", m.term, "mesh") for m in trial.intervention_mesh]
    )


SqlValue = str | int | float | bytes | None
ColumnValue = str | bool | int | float | None
"""A `trials` column value (no bytes, so that msgspec can tell the types apart)."""
SiteRow = tuple[str, str, str, str, str, str, float | None, float | None]
"""`sites` columns: site_id, name, city, state, zip, country, lat, lon."""
CriteriaRow = tuple[str, str, float | None, float | None, float | None, float | None, bytes]
"""`trial_criteria` columns: nct_id, engine_version, min_age_years, max_age_years, ecog_max,
egfr_min, and the reading's JSON compressed."""


class TrialRows(NamedTuple):
    """Everything a trial writes besides its blobs, as SQL parameter tuples.

    Built where the record is parsed (a worker process, when there are several), so the writer
    only binds values; plain tuples also cross process boundaries far faster than a `Trial`.
    """

    trial: tuple[ColumnValue, ...]
    """`trials` columns from nct_id through lead_sponsor (see `TRIAL_COLUMNS`)."""
    search: tuple[str, str, str, str, str, str]
    """`trials_fts` columns, in `SEARCH_COLUMNS` order."""
    conditions: list[tuple[str, str, str]]
    """(nct_id, term, kind)."""
    interventions: list[tuple[str, str, str, str]]
    """(nct_id, type, name, kind)."""
    phases: list[tuple[str, str]]
    """(nct_id, phase)."""
    sites: list[SiteRow]
    locations: list[tuple[str, int, str, str, float | None, float | None]]
    """(nct_id, position, site_id, status, lat, lon)."""
    countries: list[tuple[str, str]]
    """(nct_id, country): the distinct non-empty countries of its sites, in first-seen order."""


TRIAL_COLUMNS = (
    "nct_id",
    "brief_title",
    "official_title",
    "acronym",
    "overall_status",
    "study_type",
    "phases",
    "sex",
    "minimum_age_years",
    "maximum_age_years",
    "std_ages",
    "healthy_volunteers",
    "has_results",
    "enrollment_count",
    "start_date",
    "first_posted",
    "last_update_posted",
    "lead_sponsor",
)
SEARCH_COLUMNS = ("title", "conditions", "interventions", "keywords", "summary", "criteria")


def trial_rows(trial: Trial) -> TrialRows:
    """The rows `trial` becomes: its `trials` columns, search text, terms, phases and sites."""
    nct_id = trial.nct_id
    text = search_text(trial)
    sites: list[SiteRow] = []
    locations = []
    for position, location in enumerate(trial.locations):
        sid = site_id(location)
        geo = location.geo
        lat = geo.lat if geo is not None else None
        lon = geo.lon if geo is not None else None
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
    return TrialRows(
        trial=(
            nct_id,
            trial.brief_title,
            trial.official_title,
            trial.acronym,
            trial.overall_status,
            trial.study_type,
            ",".join(trial.phases),
            trial.sex,
            trial.minimum_age_years,
            trial.maximum_age_years,
            ",".join(trial.std_ages),
            trial.healthy_volunteers,
            trial.has_results,
            trial.enrollment_count,
            trial.start_date,
            trial.first_posted,
            trial.last_update_posted,
            trial.lead_sponsor.name if trial.lead_sponsor else "",
        ),
        search=(
            text["title"],
            text["conditions"],
            text["interventions"],
            text["keywords"],
            text["summary"],
            text["criteria"],
        ),
        conditions=[(nct_id, term, kind) for term, kind in condition_terms(trial)],
        interventions=[
            (nct_id, type_, name, kind) for type_, name, kind in intervention_terms(trial)
        ],
        phases=[(nct_id, phase) for phase in trial.phases],
        sites=sites,
        locations=locations,
        countries=[(nct_id, country) for country in dict.fromkeys(s[5] for s in sites) if country],
    )


def merge_sites(merged: dict[str, SiteRow], rows: list[SiteRow]) -> None:
    """Fold site rows into `merged` as upserting them one by one, in turn, would.

    The first row's name, city and country stay; a later non-null lat/lon and non-empty
    state/zip replace earlier ones. So a batch upserts each site once, not once per location.
    """
    for row in rows:
        seen = merged.get(row[0])
        if seen is None:
            merged[row[0]] = row
        elif row != seen:
            merged[row[0]] = (
                seen[0],
                seen[1],
                seen[2],
                row[3] or seen[3],
                row[4] or seen[4],
                seen[5],
                seen[6] if row[6] is None else row[6],
                seen[7] if row[7] is None else row[7],
            )
