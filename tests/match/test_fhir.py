"""FHIR R4 Bundles → profile, on hand-made bundles in tests/match/fixtures/."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from trialfinder.errors import QueryError
from trialfinder.match import (
    Allergy,
    Condition,
    Location,
    Observation,
    Score,
    Treatment,
    load_profile,
    profile_from_bundle,
)

FIXTURES = Path(__file__).parent / "fixtures"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"


def bundle(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return document


def test_boy_with_nephrotic_syndrome() -> None:
    profile = load_profile((FIXTURES / "srns-boy-bundle.json").read_bytes())
    assert profile.source == "fhir"
    assert (profile.birth_date, profile.sex) == (dt.date(2015, 6, 20), "male")
    assert profile.location == Location(text="Lyon, FR", lat=45.76, lon=4.84)
    assert profile.conditions == [
        Condition(
            text="Steroid-resistant nephrotic syndrome",
            system=SNOMED,
            code="52254009",
            status="active",
            onset=dt.date(2021, 3, 1),
            source="fhir",
        ),
        Condition(text="Asthma", system=SNOMED, code="195967001", status="resolved", source="fhir"),
    ]
    # The entered-in-error creatinine of 5.0 is left out.
    assert [(o.loinc, o.value, o.unit, o.date) for o in profile.observations] == [
        ("2160-0", 0.5, "mg/dL", dt.date(2024, 5, 2)),
        ("8302-2", 131.0, "cm", dt.date(2024, 5, 2)),
        ("29463-7", 28.0, "kg", dt.date(2024, 5, 2)),
    ]
    assert profile.treatments == [
        Treatment(
            name="prednisone",
            kind="drug",
            system=RXNORM,
            code="8640",
            start=dt.date(2021, 3, 15),
            end=dt.date(2021, 5, 10),
            current=False,
            source="fhir",
        ),
        Treatment(
            name="tacrolimus",
            system=RXNORM,
            code="42316",
            start=dt.date(2021, 6, 1),
            current=True,
            source="fhir",
        ),
        Treatment(
            name="Kidney biopsy",
            kind="procedure",
            system=SNOMED,
            code="90688005",
            start=dt.date(2021, 5, 20),
            source="fhir",
        ),
    ]
    assert profile.allergies == [
        Allergy(substance="Penicillin", system=SNOMED, code="764146007", source="fhir")
    ]
    assert profile.pregnancy is None


def test_pregnant_woman() -> None:
    profile = profile_from_bundle(bundle("pregnant-woman-bundle"))
    assert profile.birth_date == dt.date(1990, 1, 1)  # year-only birthDate: 1 January
    assert profile.location == Location(text="Boston, MA 02115")
    assert profile.pregnancy == "pregnant"
    assert profile.scores == [
        Score(name="ECOG", value=1.0, date=dt.date(2024, 4, 10), source="fhir")
    ]
    assert profile.observations[:2] == [
        Observation(
            loinc="8480-6",
            name="Systolic blood pressure",
            value=150.0,
            unit="mmHg",
            date=dt.date(2024, 4, 10),
            source="fhir",
        ),
        Observation(
            loinc="8462-4",
            name="Diastolic blood pressure",
            value=95.0,
            unit="mmHg",
            date=dt.date(2024, 4, 10),
            source="fhir",
        ),
    ]
    assert profile.conditions == [
        Condition(text="Gestational diabetes", negated=True, source="fhir")
    ]
    # medicationReference resolved through the bundle's Medication resource
    assert [(t.name, t.code, t.current) for t in profile.treatments] == [
        ("metformin", "6918", True)
    ]


def test_not_pregnant_answer() -> None:
    document = bundle("pregnant-woman-bundle")
    answer = document["entry"][1]["resource"]["valueCodeableConcept"]["coding"][0]
    answer["code"] = "LA26683-5"
    assert profile_from_bundle(document).pregnancy == "not_pregnant"


def test_pregnancy_condition() -> None:
    document = bundle("pregnant-woman-bundle")
    del document["entry"][1]
    document["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "Patient/w1"},
                "code": {"coding": [{"system": SNOMED, "code": "77386006"}]},
            }
        }
    )
    assert profile_from_bundle(document).pregnancy == "pregnant"


@pytest.mark.parametrize(
    ("patients", "message"),
    [
        (0, "FHIR Bundle holds 0 Patient resources; it must hold exactly one"),
        (2, "FHIR Bundle holds 2 Patient resources; it must hold exactly one"),
    ],
    ids=["none", "two"],
)
def test_bundle_must_hold_one_patient(patients: int, message: str) -> None:
    document = bundle("pregnant-woman-bundle")
    patient = document["entry"][0]
    document["entry"] = [copy.deepcopy(patient) for _ in range(patients)] + document["entry"][1:]
    with pytest.raises(QueryError) as raised:
        profile_from_bundle(document)
    assert (raised.value.message, raised.value.parameter) == (message, "$.entry")


def test_invalid_bundle_names_the_path() -> None:
    document = bundle("srns-boy-bundle")
    del document["entry"][3]["resource"]["code"]
    with pytest.raises(QueryError) as raised:
        profile_from_bundle(document)
    assert raised.value.parameter == "$.entry[3].resource.code"
    assert raised.value.message == (
        "FHIR Bundle field $.entry[3].resource.code: Field required "
        "(1 problem(s) in all; the bundle must be valid FHIR R4)"
    )
