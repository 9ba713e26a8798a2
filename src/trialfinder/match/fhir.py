"""FHIR R4 Bundle → ``PatientProfile``, validated with the ``fhir.resources.R4B`` models.

Read: Patient (birthDate, gender, address), Condition, Observation (with components, e.g. blood
pressure), MedicationStatement, MedicationRequest, Procedure and AllergyIntolerance. Pregnancy
comes from Observation LOINC 82810-3 or an active pregnancy Condition. Other resources are
ignored; entered-in-error and refuted records are skipped or negated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle

from trialfinder.errors import QueryError
from trialfinder.match.profile import (
    Allergy,
    Condition,
    ConditionStatus,
    Location,
    Observation,
    PatientProfile,
    Pregnancy,
    Score,
    Sex,
    Treatment,
    TreatmentKind,
)

__all__ = ["LOINC", "profile_from_bundle"]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
_GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"

# Observations whose LOINC code makes them a score rather than a lab value.
_SCORE_LOINC = {"89247-1": "ECOG", "39156-5": "BMI"}
_PREGNANCY_STATUS_LOINC = "82810-3"
# Answers to 82810-3 (LOINC answer list LL4129-4) and SNOMED findings, as a pregnancy state.
_PREGNANCY_ANSWERS: dict[str, Pregnancy] = {
    "LA15173-0": "pregnant",
    "LA26683-5": "not_pregnant",
    "77386006": "pregnant",
    "60001007": "not_pregnant",
    "169750002": "breastfeeding",  # SNOMED: mother currently breast-feeding
    "413712001": "breastfeeding",  # SNOMED: breastfeeding (mother)
}
_CLINICAL_STATUS: dict[str, ConditionStatus] = {
    "active": "active",
    "recurrence": "active",
    "relapse": "active",
    "inactive": "history",
    "remission": "history",
    "resolved": "resolved",
}
_SEXES: dict[str, Sex] = {
    "male": "male",
    "female": "female",
    "other": "other",
    "unknown": "unknown",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validate(document: dict[str, Any]) -> Any:
    try:
        return Bundle.model_validate(document)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        path = _path(tuple(first["loc"]))
        # The input value is left out on purpose: it is patient data.
        raise QueryError(
            f"FHIR Bundle field {path}: {first['msg']} "
            f"({error.error_count()} problem(s) in all; the bundle must be valid FHIR R4)",
            path,
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # fhir.resources fails this way on some malformed shapes (e.g. a list where a resource
        # should be) instead of raising a ValidationError.
        raise QueryError(
            f"FHIR Bundle is not valid R4: the reader failed on its shape "
            f"({type(error).__name__}); check the bundle against the R4 schema",
            "bundle",
        ) from None


def _date(value: object) -> dt.date | None:
    """Return a FHIR date, dateTime or partial date ("2015", "2015-03") as a date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    parts = text[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        return dt.date(year, month, day)
    except (ValueError, IndexError):
        return None


def _period(period: Any) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    return _date(period.start), _date(period.end)


def _coding(concept: Any) -> tuple[str | None, str | None, str | None]:
    """Return (system, code, text) of a CodeableConcept; text falls back to a display."""
    if concept is None:
        return None, None, None
    codings = list(concept.coding or [])
    system = codings[0].system if codings else None
    code = codings[0].code if codings else None
    text = concept.text or next((c.display for c in codings if c.display), None)
    return system, code, text


def _codes(concept: Any) -> set[str]:
    return {c.code for c in (concept.coding or []) if c.code} if concept is not None else set()


def _status_code(concept: Any) -> str | None:
    codes = _codes(concept)
    return next(iter(sorted(codes)), None)


def _loinc(concept: Any) -> str | None:
    for coding in concept.coding or []:
        if coding.system == LOINC and coding.code:
            return str(coding.code)
    return None


def _number(value: object) -> float | None:
    return None if value is None else float(str(value))


def _location(patient: Any) -> Location | None:
    for address in patient.address or []:
        parts = [*(address.line or []), address.city, address.state, address.postalCode]
        parts.append(address.country)
        text = address.text or ", ".join(str(p) for p in parts if p)
        lat = lon = None
        for extension in address.extension or []:
            if extension.url != _GEOLOCATION:
                continue
            for sub in extension.extension or []:
                if sub.url == "latitude":
                    lat = _number(sub.valueDecimal)
                elif sub.url == "longitude":
                    lon = _number(sub.valueDecimal)
        if text or lat is not None:
            return Location(text=text or None, lat=lat, lon=lon)
    return None


def _condition(resource: Any) -> Condition | None:
    verification = _status_code(resource.verificationStatus)
    if verification == "entered-in-error":
        return None
    system, code, text = _coding(resource.code)
    if code is None and text is None:
        return None
    status = _CLINICAL_STATUS.get(_status_code(resource.clinicalStatus) or "", "active")
    onset = _date(resource.onsetDateTime) or _period(resource.onsetPeriod)[0]
    return Condition(
        text=text,
        system=system,
        code=code,
        status=status,
        onset=onset,
        negated=verification == "refuted",
        source="fhir",
    )


def _observations(resource: Any) -> list[Observation | Score | Pregnancy]:
    """Return the values of an Observation: one per component, a score, or a pregnancy state."""
    if resource.status == "entered-in-error":
        return []
    date = (
        _date(resource.effectiveDateTime)
        or _period(resource.effectivePeriod)[0]
        or _date(resource.issued)
    )
    loinc = _loinc(resource.code)
    if loinc == _PREGNANCY_STATUS_LOINC:
        for code in sorted(_codes(resource.valueCodeableConcept)):
            if code in _PREGNANCY_ANSWERS:
                return [_PREGNANCY_ANSWERS[code]]
        return []
    out: list[Observation | Score | Pregnancy] = []
    for part in [resource, *(resource.component or [])]:
        part_loinc = _loinc(part.code)
        _, _, name = _coding(part.code)
        value = unit = None
        if part.valueQuantity is not None:
            value = _number(part.valueQuantity.value)
            unit = part.valueQuantity.unit or part.valueQuantity.code
        elif part.valueInteger is not None:
            value = float(part.valueInteger)
        if value is None:
            continue
        if part_loinc in _SCORE_LOINC:
            out.append(Score(name=_SCORE_LOINC[part_loinc], value=value, date=date, source="fhir"))
        else:
            out.append(
                Observation(
                    loinc=part_loinc, name=name, value=value, unit=unit, date=date, source="fhir"
                )
            )
    return out


def _medication(
    resource: Any, medications: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    if resource.medicationCodeableConcept is not None:
        return _coding(resource.medicationCodeableConcept)
    reference = resource.medicationReference
    if reference is None:
        return None, None, None
    target = medications.get(reference.reference or "")
    if target is not None:
        return _coding(target.code)
    return None, None, reference.display


def _treatment(resource: Any, medications: dict[str, Any]) -> Treatment | None:
    kind = resource.get_resource_type()
    if resource.status == "entered-in-error":
        return None
    if kind == "Procedure":
        system, code, name = _coding(resource.code)
        start, end = _period(resource.performedPeriod)
        start = start or _date(resource.performedDateTime)
        current = resource.status == "in-progress"
        treatment_kind: TreatmentKind = "procedure"
    else:
        system, code, name = _medication(resource, medications)
        if kind == "MedicationStatement":
            start, end = _period(resource.effectivePeriod)
            start = start or _date(resource.effectiveDateTime)
            current = resource.status in {"active", "intended"}
        else:
            start, end = _date(resource.authoredOn), None
            current = resource.status in {"active", "on-hold"}
        treatment_kind = "drug"
    if name is None and code is None:
        return None
    return Treatment(
        name=name or f"{system or 'code'}|{code}",
        kind=treatment_kind,
        system=system,
        code=code,
        start=start,
        end=end,
        current=current,
        source="fhir",
    )


def _allergy(resource: Any) -> Allergy | None:
    if _status_code(resource.verificationStatus) in {"refuted", "entered-in-error"}:
        return None
    system, code, text = _coding(resource.code)
    if text is None and code is None:
        return None
    return Allergy(substance=text or f"{system}|{code}", system=system, code=code, source="fhir")


def profile_from_bundle(document: dict[str, Any]) -> PatientProfile:
    """Return the profile of the one patient in a FHIR R4 Bundle (a parsed JSON object).

    Raises QueryError when the bundle is not valid R4 or holds no or several Patient resources.
    """
    bundle = _validate(document)
    resources = [entry.resource for entry in bundle.entry or [] if entry.resource is not None]
    patients = [r for r in resources if r.get_resource_type() == "Patient"]
    if len(patients) != 1:
        raise QueryError(
            f"FHIR Bundle holds {len(patients)} Patient resources; it must hold exactly one",
            "$.entry",
        )
    patient = patients[0]
    medications: dict[str, Any] = {}
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is not None and resource.get_resource_type() == "Medication":
            medications[f"Medication/{resource.id}"] = resource
            if entry.fullUrl:
                medications[str(entry.fullUrl)] = resource
    conditions: list[Condition] = []
    observations: list[Observation] = []
    scores: list[Score] = []
    treatments: list[Treatment] = []
    allergies: list[Allergy] = []
    pregnancy: Pregnancy | None = None
    for resource in resources:
        kind = resource.get_resource_type()
        if kind == "Condition":
            condition = _condition(resource)
            if condition is not None:
                conditions.append(condition)
                if (
                    condition.code in _PREGNANCY_ANSWERS
                    and condition.status == "active"
                    and not condition.negated
                ):
                    pregnancy = _PREGNANCY_ANSWERS[condition.code]
        elif kind == "Observation":
            for value in _observations(resource):
                if isinstance(value, Observation):
                    observations.append(value)
                elif isinstance(value, Score):
                    scores.append(value)
                else:
                    pregnancy = value
        elif kind in {"MedicationStatement", "MedicationRequest", "Procedure"}:
            treatment = _treatment(resource, medications)
            if treatment is not None:
                treatments.append(treatment)
        elif kind == "AllergyIntolerance":
            allergy = _allergy(resource)
            if allergy is not None:
                allergies.append(allergy)
    return PatientProfile(
        birth_date=_date(patient.birthDate),
        sex=_SEXES.get(patient.gender or ""),
        location=_location(patient),
        conditions=conditions,
        observations=observations,
        scores=scores,
        treatments=treatments,
        allergies=allergies,
        pregnancy=pregnancy,
        source="fhir",
    )
