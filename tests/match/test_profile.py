"""Loading a patient profile from JSON, and the errors for bad input."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import pytest

from trialfinder.errors import QueryError
from trialfinder.match import (
    Condition,
    Location,
    Observation,
    PatientProfile,
    Treatment,
    load_profile,
    profile_json_schema,
)

PROFILE = {
    "birth_date": "1966-02-14",
    "sex": "female",
    "location": {"text": "Boston, MA", "lat": 42.36, "lon": -71.06},
    "conditions": [
        {"system": "http://snomed.info/sct", "code": "44054006", "text": "Type 2 diabetes"},
        {"text": "stroke", "negated": True},
    ],
    "observations": [{"loinc": "2160-0", "value": 1.1, "unit": "mg/dL", "date": "2024-01-05"}],
    "scores": [{"name": "ECOG", "value": 1}],
    "treatments": [{"name": "metformin", "current": True, "start": "2019-03-01"}],
    "pregnancy": None,
    "notes": "lives alone",
}


def test_load_json_profile() -> None:
    profile = load_profile(json.dumps(PROFILE).encode())
    assert profile.birth_date == dt.date(1966, 2, 14)
    assert profile.sex == "female"
    assert profile.location == Location(text="Boston, MA", lat=42.36, lon=-71.06)
    assert profile.conditions == [
        Condition(text="Type 2 diabetes", system="http://snomed.info/sct", code="44054006"),
        Condition(text="stroke", negated=True),
    ]
    assert profile.observations == [
        Observation(loinc="2160-0", value=1.1, unit="mg/dL", date=dt.date(2024, 1, 5))
    ]
    assert profile.treatments == [
        Treatment(name="metformin", current=True, start=dt.date(2019, 3, 1))
    ]
    assert profile.scores[0].value == 1.0
    assert profile.source == "profile"


def test_empty_object_is_an_empty_profile() -> None:
    assert load_profile(b"{}") == PatientProfile()


def test_byte_order_mark_is_accepted() -> None:
    assert load_profile(b'\xef\xbb\xbf{"sex": "male"}') == PatientProfile(sex="male")


@pytest.mark.parametrize(
    ("data", "message", "parameter"),
    [
        (
            b'{"conditions": [{"txt": "asthma"}]}',
            "Patient profile field $.conditions[0]: Object contains unknown field `txt`",
            "$.conditions[0]",
        ),
        (
            b'{"observations": [{"value": "high"}]}',
            "Patient profile field $.observations[0].value: Expected `float | null`, got `str`",
            "$.observations[0].value",
        ),
        (
            b'{"birth_date": "14/02/1966"}',
            "Patient profile field $.birth_date: Invalid RFC3339 encoded date",
            "$.birth_date",
        ),
        (
            b'{"age_years": 150}',
            "Patient profile field $.age_years: Expected `float` <= 130.0",
            "$.age_years",
        ),
        (
            b'{"sex": "F"}',
            "Patient profile field $.sex: Invalid enum value",
            "$.sex",
        ),
        (
            b"[1, 2]",
            "Patient JSON must be an object (a profile or a FHIR Bundle), not an array",
            "$",
        ),
        (
            b'{"sex": "male",}',
            "Patient data looks like JSON but is not valid JSON: Expecting property name "
            "enclosed in double quotes at line 1 column 16",
            "patient",
        ),
        (
            b'{"age_years": NaN}',
            "Patient JSON holds NaN, which is not a JSON number",
            "patient",
        ),
        (
            b'{"resourceType": "Patient"}',
            "FHIR resourceType 'Patient' is not supported; send a Bundle holding the Patient "
            "and its Condition, Observation, Medication*, Procedure and AllergyIntolerance",
            "$.resourceType",
        ),
        (
            b"   \n",
            "Patient data is empty; send a JSON profile, a FHIR R4 Bundle or a plain-text note",
            "patient",
        ),
        (
            b"\xff\xfe58 yo woman",
            "Patient data is not UTF-8 text (bad byte at offset 0); "
            "send a JSON profile, a FHIR R4 Bundle or a plain-text note",
            "patient",
        ),
    ],
    ids=[
        "unknown-field",
        "wrong-type",
        "bad-date",
        "age-out-of-range",
        "bad-sex",
        "array",
        "invalid-json",
        "nan",
        "not-a-bundle",
        "empty",
        "not-utf8",
    ],
)
def test_bad_input_names_the_field(data: bytes, message: str, parameter: str) -> None:
    with pytest.raises(QueryError) as raised:
        load_profile(data)
    assert raised.value.message == message
    assert raised.value.parameter == parameter


def test_plain_text_is_read_as_a_note() -> None:
    profile = load_profile(b"A 58-year-old woman with hypertension.")
    assert (profile.age_years, profile.sex, profile.source) == (58.0, "female", "note")


def test_bundle_is_read_as_fhir() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "gender": "female"}}],
    }
    assert load_profile(json.dumps(bundle).encode()) == PatientProfile(sex="female", source="fhir")


def test_published_schema_file_is_up_to_date() -> None:
    """Regenerate with: json.dumps(profile_json_schema(), indent=2, sort_keys=True) + newline."""
    path = resources.files("trialfinder.match") / "patient-profile.schema.json"
    expected = json.dumps(profile_json_schema(), indent=2, sort_keys=True) + "\n"
    assert path.read_text(encoding="utf-8") == expected


def test_schema_describes_the_profile() -> None:
    schema = profile_json_schema()
    assert schema["$ref"] == "#/$defs/PatientProfile"
    profile = schema["$defs"]["PatientProfile"]
    assert profile["additionalProperties"] is False
    assert sorted(profile["properties"]) == [
        "age_span",
        "age_years",
        "allergies",
        "birth_date",
        "conditions",
        "location",
        "notes",
        "observations",
        "pregnancy",
        "scores",
        "sex",
        "sex_span",
        "source",
        "treatments",
    ]
