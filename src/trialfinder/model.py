"""The typed trial record: everything a trial page shows, from any ClinicalTrials.gov format.

Enumerated values use the API v2 spelling (``RECRUITING``, ``PHASE2``, ``RANDOMIZED``), whatever
the source format. Dates are ISO strings as precise as the source: ``2015-08`` or ``2015-07-31``.
Ages keep the registry text (``"6 Years"``) beside the value in years (``None`` means no limit).
"""

from __future__ import annotations

import msgspec


class Record(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base for model records: keyword-only, compact when encoded."""


class SecondaryId(Record, kw_only=True, omit_defaults=True):
    id: str
    type: str = ""
    domain: str = ""


class MeshTerm(Record, kw_only=True, omit_defaults=True):
    id: str = ""
    term: str


class Intervention(Record, kw_only=True, omit_defaults=True):
    type: str = ""
    name: str
    description: str = ""
    other_names: list[str] = []
    arm_group_labels: list[str] = []


class ArmGroup(Record, kw_only=True, omit_defaults=True):
    label: str
    type: str = ""
    description: str = ""
    intervention_names: list[str] = []


class Contact(Record, kw_only=True, omit_defaults=True):
    name: str = ""
    role: str = ""
    phone: str = ""
    phone_ext: str = ""
    email: str = ""


class Official(Record, kw_only=True, omit_defaults=True):
    name: str = ""
    affiliation: str = ""
    role: str = ""


class GeoPoint(Record, kw_only=True, omit_defaults=True):
    lat: float
    lon: float


class Location(Record, kw_only=True, omit_defaults=True):
    facility: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    status: str = ""
    geo: GeoPoint | None = None
    contacts: list[Contact] = []


class Sponsor(Record, kw_only=True, omit_defaults=True):
    name: str
    agency_class: str = ""


class Outcome(Record, kw_only=True, omit_defaults=True):
    measure: str
    description: str = ""
    time_frame: str = ""


class Design(Record, kw_only=True, omit_defaults=True):
    primary_purpose: str = ""
    allocation: str = ""
    intervention_model: str = ""
    intervention_model_description: str = ""
    masking: str = ""
    who_masked: list[str] = []
    observational_model: str = ""
    time_perspective: str = ""


class Trial(Record, kw_only=True, omit_defaults=True):
    """One clinical trial, normalised from API v2 JSON or legacy XML."""

    nct_id: str
    org_study_id: str = ""
    secondary_ids: list[SecondaryId] = []
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""

    overall_status: str = ""
    why_stopped: str = ""
    phases: list[str] = []
    study_type: str = ""

    conditions: list[str] = []
    keywords: list[str] = []
    condition_mesh: list[MeshTerm] = []
    condition_mesh_ancestors: list[MeshTerm] = []
    interventions: list[Intervention] = []
    intervention_mesh: list[MeshTerm] = []
    intervention_mesh_ancestors: list[MeshTerm] = []

    brief_summary: str = ""
    detailed_description: str = ""

    enrollment_count: int | None = None
    enrollment_type: str = ""

    sex: str = "ALL"
    gender_based: bool | None = None
    gender_description: str = ""
    minimum_age: str = ""
    minimum_age_years: float | None = None
    maximum_age: str = ""
    maximum_age_years: float | None = None
    std_ages: list[str] = []
    healthy_volunteers: bool | None = None
    eligibility_criteria: str = ""

    design: Design = msgspec.field(default_factory=Design)
    arm_groups: list[ArmGroup] = []

    central_contacts: list[Contact] = []
    overall_officials: list[Official] = []
    locations: list[Location] = []

    lead_sponsor: Sponsor | None = None
    collaborators: list[Sponsor] = []

    start_date: str = ""
    primary_completion_date: str = ""
    completion_date: str = ""
    first_posted: str = ""
    last_update_posted: str = ""

    primary_outcomes: list[Outcome] = []
    secondary_outcomes: list[Outcome] = []
    has_results: bool = False

    source_format: str = ""
