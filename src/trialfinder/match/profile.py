"""The patient profile: one typed record built from JSON, a FHIR R4 Bundle or a clinical note.

Every fact may carry ``source`` (where it came from) and ``span`` (its place in the note), so a
verdict can cite the words it relied on. The JSON Schema of the profile is published as
``match/patient-profile.schema.json``; ``profile_json_schema()`` regenerates it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct, field

from trialfinder.errors import QueryError

__all__ = [
    "Allergy",
    "Condition",
    "Location",
    "Observation",
    "PatientProfile",
    "Score",
    "Span",
    "Treatment",
    "load_profile",
    "profile_json_schema",
]

Source = Literal["profile", "fhir", "note", "derived"]
Sex = Literal["female", "male", "other", "unknown"]
ConditionStatus = Literal["active", "resolved", "history"]
TreatmentKind = Literal["drug", "procedure", "therapy"]
Pregnancy = Literal["pregnant", "breastfeeding", "not_pregnant"]
Age = Annotated[float, Meta(ge=0, le=130, description="Age in years")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Text = Annotated[str, Meta(min_length=1)]


class Span(Struct, frozen=True, forbid_unknown_fields=True):
    """Character offsets ``[start, end)`` of a fact in the note it was read from."""

    start: Annotated[int, Meta(ge=0)]
    end: Annotated[int, Meta(ge=0)]


class Location(Struct, frozen=True, forbid_unknown_fields=True):
    """Where the patient lives: free text and/or coordinates."""

    text: Text | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None


class Condition(Struct, frozen=True, forbid_unknown_fields=True):
    """A diagnosis, by code (system + code), by text, or both.

    ``negated`` is True for facts the patient does not have ("no history of stroke").
    """

    text: Text | None = None
    system: Text | None = None
    code: Text | None = None
    status: ConditionStatus = "active"
    onset: dt.date | None = None
    negated: bool = False
    span: Span | None = None
    source: Source = "profile"


class Observation(Struct, frozen=True, forbid_unknown_fields=True):
    """A lab or vital sign: LOINC code and/or name, value and unit as measured."""

    loinc: Text | None = None
    name: Text | None = None
    value: float | None = None
    unit: str | None = None
    date: dt.date | None = None
    span: Span | None = None
    source: Source = "profile"


class Score(Struct, frozen=True, forbid_unknown_fields=True):
    """A clinical score such as ECOG, Karnofsky or BMI."""

    name: Text
    value: float
    date: dt.date | None = None
    span: Span | None = None
    source: Source = "profile"


class Treatment(Struct, frozen=True, forbid_unknown_fields=True):
    """A drug, procedure or other therapy, current or past; ``negated`` for "never had X"."""

    name: Text
    kind: TreatmentKind = "drug"
    system: Text | None = None
    code: Text | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    current: bool = False
    negated: bool = False
    span: Span | None = None
    source: Source = "profile"


class Allergy(Struct, frozen=True, forbid_unknown_fields=True):
    """A substance the patient is allergic or intolerant to."""

    substance: Text
    system: Text | None = None
    code: Text | None = None
    span: Span | None = None
    source: Source = "profile"


class PatientProfile(Struct, frozen=True, forbid_unknown_fields=True):
    """Everything trialfinder knows about one patient; every field is optional."""

    age_years: Age | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    location: Location | None = None
    conditions: list[Condition] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    treatments: list[Treatment] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    pregnancy: Pregnancy | None = None
    notes: str | None = None
    age_span: Span | None = None
    sex_span: Span | None = None
    source: Source = "profile"


def profile_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a patient profile document."""
    schema: dict[str, Any] = msgspec.json.schema(PatientProfile)
    return schema


_PATH = re.compile(r" - at `([^`]*)`$")
_QUOTED_VALUE = re.compile(r""" (?:'.*'|".*")""")


def _profile_from_object(data: object) -> PatientProfile:
    try:
        return msgspec.convert(data, PatientProfile, strict=False)
    except msgspec.ValidationError as error:
        text = str(error)
        found = _PATH.search(text)
        path = found.group(1) if found else "$"
        # msgspec quotes the bad value ("Invalid enum value 'x'"): it is patient data, drop it.
        reason = _QUOTED_VALUE.sub("", _PATH.sub("", text))
        raise QueryError(f"Patient profile field {path}: {reason}", path) from None


_JSON_TYPES: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
}
_JSON_TYPES.update({bool: "a boolean", type(None): "null"})


def _reject_constant(name: str) -> float:
    raise QueryError(f"Patient JSON holds {name}, which is not a JSON number", "patient")


def load_profile(data: bytes) -> PatientProfile:
    """Return the profile in ``data``: a JSON profile, a FHIR R4 Bundle or a plain-text note.

    A document whose first character is ``{`` is JSON; one with ``"resourceType": "Bundle"`` is
    read as FHIR R4, any other object as a profile. Anything else is a clinical note.

    Raises QueryError naming the field (a JSON path such as ``$.conditions[0].onset``).
    """
    # fhir and note build profiles, so they import this module: import them here.
    from trialfinder.match.fhir import profile_from_bundle
    from trialfinder.match.note import profile_from_note

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise QueryError(
            f"Patient data is not UTF-8 text (bad byte at offset {error.start}); "
            "send a JSON profile, a FHIR R4 Bundle or a plain-text note",
            "patient",
        ) from None
    stripped = text.strip()
    if not stripped:
        raise QueryError(
            "Patient data is empty; send a JSON profile, a FHIR R4 Bundle or a plain-text note",
            "patient",
        )
    if stripped[0] not in "{[":
        return profile_from_note(text)
    try:
        document = json.loads(stripped, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise QueryError(
            f"Patient data looks like JSON but is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}",
            "patient",
        ) from None
    if not isinstance(document, dict):
        raise QueryError(
            f"Patient JSON must be an object (a profile or a FHIR Bundle), "
            f"not {_JSON_TYPES.get(type(document), 'a value')}",
            "$",
        )
    kind = document.get("resourceType")
    if kind == "Bundle":
        return profile_from_bundle(document)
    if kind is not None:
        raise QueryError(
            f"FHIR resourceType {kind!r} is not supported; send a Bundle holding the Patient "
            "and its Condition, Observation, Medication*, Procedure and AllergyIntolerance",
            "$.resourceType",
        )
    return _profile_from_object(document)
