"""Studies in the ClinicalTrials.gov API v2 shape: from stored records, `fields` selection, CSV."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from importlib import resources
from typing import Any

import msgspec

from trialfinder.errors import QueryError
from trialfinder.model import Contact, MeshTerm, Trial
from trialfinder.present import official_url, phase_text
from trialfinder.store.base import Store

Document = dict[str, Any]

_PIECE_ALIASES = {
    "condition": "protocolSection.conditionsModule.conditions",
    "keyword": "protocolSection.conditionsModule.keywords",
    "phase": "protocolSection.designModule.phases",
    "gender": "protocolSection.eligibilityModule.sex",
    "stdage": "protocolSection.eligibilityModule.stdAges",
    "leadsponsorname": "protocolSection.sponsorCollaboratorsModule.leadSponsor.name",
    "leadsponsorclass": "protocolSection.sponsorCollaboratorsModule.leadSponsor.class",
    "collaboratorname": "protocolSection.sponsorCollaboratorsModule.collaborators.name",
    "orgstudyid": "protocolSection.identificationModule.orgStudyIdInfo.id",
    "startdate": "protocolSection.statusModule.startDateStruct.date",
    "primarycompletiondate": "protocolSection.statusModule.primaryCompletionDateStruct.date",
    "completiondate": "protocolSection.statusModule.completionDateStruct.date",
    "studyfirstpostdate": "protocolSection.statusModule.studyFirstPostDateStruct.date",
    "lastupdatepostdate": "protocolSection.statusModule.lastUpdatePostDateStruct.date",
    "enrollmentcount": "protocolSection.designModule.enrollmentInfo.count",
    "interventionname": "protocolSection.armsInterventionsModule.interventions.name",
    "interventiontype": "protocolSection.armsInterventionsModule.interventions.type",
    "locationfacility": "protocolSection.contactsLocationsModule.locations.facility",
    "locationcity": "protocolSection.contactsLocationsModule.locations.city",
    "locationstate": "protocolSection.contactsLocationsModule.locations.state",
    "locationzip": "protocolSection.contactsLocationsModule.locations.zip",
    "locationcountry": "protocolSection.contactsLocationsModule.locations.country",
    "locationstatus": "protocolSection.contactsLocationsModule.locations.status",
    "locationgeopoint": "protocolSection.contactsLocationsModule.locations.geoPoint",
    "conditionmeshterm": "derivedSection.conditionBrowseModule.meshes.term",
    "interventionmeshterm": "derivedSection.interventionBrowseModule.meshes.term",
}
"""ClinicalTrials.gov piece names that are not simply the last key of their path."""


@functools.cache
def field_paths() -> dict[str, tuple[str, ...]]:
    """Lower-case piece name, key or dotted path → path of keys in a v2 study record."""
    text = resources.files("trialfinder.api").joinpath("v2_fields.txt").read_text("utf-8")
    paths = [line for line in text.splitlines() if line and not line.startswith("#")]
    index: dict[str, tuple[str, ...]] = {}
    # Shallow paths first, so a bare key names the outermost field that has it.
    for path in sorted(paths, key=lambda p: (p.count("."), p)):
        keys = tuple(path.split("."))
        index.setdefault(path.lower(), keys)
        index.setdefault(keys[-1].lower(), keys)
    for alias, path in _PIECE_ALIASES.items():
        index[alias] = tuple(path.split("."))
    return index


def parse_fields(text: str | None) -> list[tuple[str, ...]] | None:
    """`fields` (comma- or pipe-separated) → key paths; None selects everything."""
    if not text or not text.strip():
        return None
    index = field_paths()
    chosen = []
    for name in (n.strip() for n in text.replace("|", ",").split(",")):
        if not name:
            continue
        path = index.get(name.lower())
        if path is None:
            raise QueryError(
                f"fields: {name[:60]!r} is not a study field; use piece names like NCTId, "
                "BriefTitle, OverallStatus, Condition, or paths like "
                "protocolSection.identificationModule",
                "fields",
            )
        chosen.append(path)
    return chosen


def _project(value: Any, keys: tuple[str, ...]) -> Any:
    if not keys:
        return value
    if isinstance(value, list):
        projected = [_project(item, keys) for item in value]
        return [item for item in projected if item is not None] or None
    if isinstance(value, dict) and keys[0] in value:
        inner = _project(value[keys[0]], keys[1:])
        return None if inner is None else {keys[0]: inner}
    return None


def _merge(into: Any, other: Any) -> Any:
    if isinstance(into, dict) and isinstance(other, dict):
        for key, value in other.items():
            into[key] = _merge(into[key], value) if key in into else value
        return into
    if isinstance(into, list) and isinstance(other, list) and len(into) == len(other):
        return [_merge(a, b) for a, b in zip(into, other, strict=True)]
    return other


def select_fields(study: Document, paths: list[tuple[str, ...]] | None) -> Document:
    """Keep only the chosen fields of a v2 study (all of it when `paths` is None)."""
    if paths is None:
        return study
    selected: Document = {}
    for path in paths:
        part = _project(study, path)
        if part is not None:
            _merge(selected, part)
    return selected


# -- a Trial in the v2 shape (for records that did not arrive as v2 JSON) ----------------------


def _compact(value: Any) -> Any:
    """Drop empty strings, lists, dicts and None, recursively, as the v2 API omits them."""
    if isinstance(value, dict):
        items = {k: _compact(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [v for v in (_compact(item) for item in value) if v not in ("", None, [], {})]
    return value


def _date(text: str) -> dict[str, str]:
    return {"date": text} if text else {}


def _contact(contact: Contact) -> Document:
    return {
        "name": contact.name,
        "role": contact.role,
        "phone": contact.phone,
        "phoneExt": contact.phone_ext,
        "email": contact.email,
    }


def _meshes(terms: list[MeshTerm]) -> list[Document]:
    return [{"id": m.id, "term": m.term} for m in terms]


def trial_to_v2(trial: Trial) -> Document:
    """Build the API v2 study record of a trial (used when the source was legacy XML)."""
    design = trial.design
    study: Document = {
        "protocolSection": {
            "identificationModule": {
                "nctId": trial.nct_id,
                "orgStudyIdInfo": {"id": trial.org_study_id},
                "secondaryIdInfos": [
                    {"id": s.id, "type": s.type, "domain": s.domain} for s in trial.secondary_ids
                ],
                "briefTitle": trial.brief_title,
                "officialTitle": trial.official_title,
                "acronym": trial.acronym,
            },
            "statusModule": {
                "overallStatus": trial.overall_status,
                "whyStopped": trial.why_stopped,
                "startDateStruct": _date(trial.start_date),
                "primaryCompletionDateStruct": _date(trial.primary_completion_date),
                "completionDateStruct": _date(trial.completion_date),
                "studyFirstPostDateStruct": _date(trial.first_posted),
                "lastUpdatePostDateStruct": _date(trial.last_update_posted),
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": (
                    {"name": trial.lead_sponsor.name, "class": trial.lead_sponsor.agency_class}
                    if trial.lead_sponsor
                    else {}
                ),
                "collaborators": [
                    {"name": c.name, "class": c.agency_class} for c in trial.collaborators
                ],
            },
            "descriptionModule": {
                "briefSummary": trial.brief_summary,
                "detailedDescription": trial.detailed_description,
            },
            "conditionsModule": {"conditions": trial.conditions, "keywords": trial.keywords},
            "designModule": {
                "studyType": trial.study_type,
                "phases": trial.phases,
                "designInfo": {
                    "allocation": design.allocation,
                    "interventionModel": design.intervention_model,
                    "interventionModelDescription": design.intervention_model_description,
                    "primaryPurpose": design.primary_purpose,
                    "observationalModel": design.observational_model,
                    "timePerspective": design.time_perspective,
                    "maskingInfo": {"masking": design.masking, "whoMasked": design.who_masked},
                },
                "enrollmentInfo": {
                    "count": trial.enrollment_count,
                    "type": trial.enrollment_type,
                },
            },
            "armsInterventionsModule": {
                "armGroups": [
                    {
                        "label": a.label,
                        "type": a.type,
                        "description": a.description,
                        "interventionNames": a.intervention_names,
                    }
                    for a in trial.arm_groups
                ],
                "interventions": [
                    {
                        "type": i.type,
                        "name": i.name,
                        "description": i.description,
                        "armGroupLabels": i.arm_group_labels,
                        "otherNames": i.other_names,
                    }
                    for i in trial.interventions
                ],
            },
            "outcomesModule": {
                "primaryOutcomes": [
                    {"measure": o.measure, "description": o.description, "timeFrame": o.time_frame}
                    for o in trial.primary_outcomes
                ],
                "secondaryOutcomes": [
                    {"measure": o.measure, "description": o.description, "timeFrame": o.time_frame}
                    for o in trial.secondary_outcomes
                ],
            },
            "eligibilityModule": {
                "eligibilityCriteria": trial.eligibility_criteria,
                "healthyVolunteers": trial.healthy_volunteers,
                "sex": trial.sex,
                "genderBased": trial.gender_based,
                "genderDescription": trial.gender_description,
                "minimumAge": trial.minimum_age,
                "maximumAge": trial.maximum_age,
                "stdAges": trial.std_ages,
            },
            "contactsLocationsModule": {
                "centralContacts": [_contact(c) for c in trial.central_contacts],
                "overallOfficials": [
                    {"name": o.name, "affiliation": o.affiliation, "role": o.role}
                    for o in trial.overall_officials
                ],
                "locations": [
                    {
                        "facility": loc.facility,
                        "status": loc.status,
                        "city": loc.city,
                        "state": loc.state,
                        "zip": loc.zip,
                        "country": loc.country,
                        "contacts": [_contact(c) for c in loc.contacts],
                        "geoPoint": ({"lat": loc.geo.lat, "lon": loc.geo.lon} if loc.geo else None),
                    }
                    for loc in trial.locations
                ],
            },
        },
        "derivedSection": {
            "conditionBrowseModule": {
                "meshes": _meshes(trial.condition_mesh),
                "ancestors": _meshes(trial.condition_mesh_ancestors),
            },
            "interventionBrowseModule": {
                "meshes": _meshes(trial.intervention_mesh),
                "ancestors": _meshes(trial.intervention_mesh_ancestors),
            },
        },
    }
    compact: Document = _compact(study)
    compact["hasResults"] = trial.has_results
    return compact


def study_document(store: Store, nct_id: str) -> Document | None:
    """The v2 study record of a stored trial: its raw v2 JSON, else built from the Trial."""
    return study_documents(store, [nct_id]).get(nct_id)


def study_documents(store: Store, nct_ids: Sequence[str]) -> dict[str, Document]:
    """The v2 study records of those of `nct_ids` that are stored, in the order asked.

    One read for the raw records and, only for trials not stored as v2 JSON, one for their
    Trials: a page of studies costs two round trips to the store, not two per study.
    """
    found: dict[str, Document] = {}
    for nct_id, (format_, data) in store.get_raw_many(nct_ids).items():
        if format_ != "ctgov_json":
            continue
        try:
            document = msgspec.json.decode(data)
        except msgspec.DecodeError:
            continue
        if isinstance(document, dict) and "protocolSection" in document:
            found[nct_id] = document
    missing = [nct_id for nct_id in nct_ids if nct_id not in found]
    built = store.get_trials_many(missing) if missing else {}
    documents = {}
    for nct_id in nct_ids:
        if nct_id in found:
            documents[nct_id] = found[nct_id]
        elif nct_id in built:
            documents[nct_id] = trial_to_v2(built[nct_id])
    return documents


# -- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    ("NCT Number", "nctid"),
    ("Study Title", "brieftitle"),
    ("Study URL", "studyurl"),
    ("Acronym", "acronym"),
    ("Study Status", "overallstatus"),
    ("Conditions", "condition"),
    ("Interventions", "interventionname"),
    ("Sponsor", "leadsponsorname"),
    ("Sex", "sex"),
    ("Age", "minimumage"),
    ("Phases", "phase"),
    ("Enrollment", "enrollmentcount"),
    ("Study Type", "studytype"),
    ("Start Date", "startdate"),
    ("Last Update Posted", "lastupdatepostdate"),
    ("Locations", "locationfacility"),
)
"""Columns of the CSV download, as ClinicalTrials.gov names them, and the piece each shows."""


def _csv_row(trial: Trial) -> dict[str, str]:
    ages = " to ".join(filter(None, (trial.minimum_age, trial.maximum_age)))
    return {
        "NCT Number": trial.nct_id,
        "Study Title": trial.brief_title,
        "Study URL": official_url(trial.nct_id),
        "Acronym": trial.acronym,
        "Study Status": trial.overall_status,
        "Conditions": "|".join(trial.conditions),
        "Interventions": "|".join(f"{i.type}: {i.name}" for i in trial.interventions),
        "Sponsor": trial.lead_sponsor.name if trial.lead_sponsor else "",
        "Sex": trial.sex,
        "Age": ages,
        "Phases": phase_text(trial.phases).replace("/", "|"),
        "Enrollment": "" if trial.enrollment_count is None else str(trial.enrollment_count),
        "Study Type": trial.study_type,
        "Start Date": trial.start_date,
        "Last Update Posted": trial.last_update_posted,
        "Locations": "|".join(
            ", ".join(filter(None, (loc.facility, loc.city, loc.state, loc.zip, loc.country)))
            for loc in trial.locations
        ),
    }


def csv_columns(text: str | None) -> list[str]:
    """The CSV columns `fields` asks for (by column or piece name); all when None."""
    if not text or not text.strip():
        return [column for column, _ in CSV_COLUMNS]
    by_name = {column.lower(): column for column, _ in CSV_COLUMNS}
    by_name.update({piece: column for column, piece in CSV_COLUMNS})
    chosen = []
    for name in (n.strip() for n in text.replace("|", ",").split(",")):
        if not name:
            continue
        column = by_name.get(name.lower())
        if column is None:
            raise QueryError(
                f"fields: {name[:60]!r} is not a CSV column; use "
                + ", ".join(column for column, _ in CSV_COLUMNS),
                "fields",
            )
        chosen.append(column)
    return chosen


def trials_csv(trials: list[Trial], columns: list[str]) -> str:
    """The CSV text of trials with the given columns (header first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for trial in trials:
        writer.writerow(_csv_row(trial))
    return out.getvalue()
