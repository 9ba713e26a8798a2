"""Patient input: one ``PatientProfile`` from a JSON profile, a FHIR R4 Bundle or a note."""

from __future__ import annotations

from trialfinder.match.derive import (
    Derived,
    age_on,
    bedside_schwartz,
    bmi,
    ckd_epi_2021,
    derive,
    with_derived,
)
from trialfinder.match.fhir import profile_from_bundle
from trialfinder.match.note import profile_from_note
from trialfinder.match.profile import (
    Allergy,
    Condition,
    Location,
    Observation,
    PatientProfile,
    Score,
    Span,
    Treatment,
    load_profile,
    profile_json_schema,
)

__all__ = [
    "Allergy",
    "Condition",
    "Derived",
    "Location",
    "Observation",
    "PatientProfile",
    "Score",
    "Span",
    "Treatment",
    "age_on",
    "bedside_schwartz",
    "bmi",
    "ckd_epi_2021",
    "derive",
    "load_profile",
    "profile_from_bundle",
    "profile_from_note",
    "profile_json_schema",
    "with_derived",
]
