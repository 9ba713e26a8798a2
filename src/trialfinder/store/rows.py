"""Backend-independent pieces of storing a trial: encoding, site identity, searchable text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib

import msgspec

from trialfinder.model import Location, Trial

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Trial)
_SPACES = re.compile(r"\s+")


def encode_trial(trial: Trial) -> bytes:
    """Compress a trial for storage (about 4x smaller than its JSON)."""
    return zlib.compress(_encoder.encode(trial), 3)


def decode_trial(blob: bytes) -> Trial:
    """Inverse of `encode_trial`."""
    return _decoder.decode(zlib.decompress(blob))


def compress(data: bytes) -> bytes:
    """Compress raw source bytes for the raw-record and quarantine tables."""
    return zlib.compress(data, 3)


def decompress(data: bytes) -> bytes:
    """Inverse of `compress`."""
    return zlib.decompress(data)


def sha256(data: bytes) -> str:
    """Hex SHA-256 of raw bytes: tells an unchanged record from an updated one."""
    return hashlib.sha256(data).hexdigest()


def normalise_key(text: str) -> str:
    """Case-, accent- and space-insensitive form of a name, for matching one site across trials."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SPACES.sub(" ", folded).strip().lower()


def site_id(location: Location) -> str:
    """Stable id of the research site at a location: same facility, city and country → same id."""
    key = "|".join(
        normalise_key(part) for part in (location.facility, location.city, location.country)
    )
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
