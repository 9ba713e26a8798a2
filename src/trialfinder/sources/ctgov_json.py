"""ClinicalTrials.gov API v2 JSON: one study object → `Trial`.

The v2 schema is mirrored by msgspec structs holding only the fields the model needs; unknown
fields are skipped without being built, which keeps decoding at several thousand studies/s per
core, and wrong types fail with a JSON path (``$.protocolSection.designModule.phases[0]``).
"""

from __future__ import annotations

import msgspec

from trialfinder.errors import RecordError
from trialfinder.model import (
    ArmGroup,
    Contact,
    Design,
    GeoPoint,
    Intervention,
    Location,
    MeshTerm,
    Official,
    Outcome,
    SecondaryId,
    Sponsor,
    Trial,
)
from trialfinder.sources.normalize import age_in_years, check_nct_id, check_trial

MAX_RECORD_BYTES = 16 * 1024 * 1024


class _V2(msgspec.Struct, rename="camel", kw_only=True):
    """Base of the API v2 mirror structs: camelCase keys, unknown keys ignored."""


class _OrgStudyIdInfo(_V2, kw_only=True):
    id: str = ""


class _SecondaryIdInfo(_V2, kw_only=True):
    id: str = ""
    type: str = ""
    domain: str = ""


class _Identification(_V2, kw_only=True):
    nct_id: str = ""
    org_study_id_info: _OrgStudyIdInfo | None = None
    secondary_id_infos: list[_SecondaryIdInfo] = []
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""


class _DateStruct(_V2, kw_only=True):
    date: str = ""
    type: str = ""


class _Status(_V2, kw_only=True):
    overall_status: str = ""
    why_stopped: str = ""
    start_date_struct: _DateStruct | None = None
    primary_completion_date_struct: _DateStruct | None = None
    completion_date_struct: _DateStruct | None = None
    study_first_post_date_struct: _DateStruct | None = None
    last_update_post_date_struct: _DateStruct | None = None


class _Party(_V2, kw_only=True):
    name: str = ""
    class_: str = msgspec.field(default="", name="class")


class _SponsorCollaborators(_V2, kw_only=True):
    lead_sponsor: _Party | None = None
    collaborators: list[_Party] = []


class _Description(_V2, kw_only=True):
    brief_summary: str = ""
    detailed_description: str = ""


class _Conditions(_V2, kw_only=True):
    conditions: list[str] = []
    keywords: list[str] = []


class _Masking(_V2, kw_only=True):
    masking: str = ""
    who_masked: list[str] = []


class _DesignInfo(_V2, kw_only=True):
    allocation: str = ""
    intervention_model: str = ""
    intervention_model_description: str = ""
    primary_purpose: str = ""
    observational_model: str = ""
    time_perspective: str = ""
    masking_info: _Masking | None = None


class _Enrollment(_V2, kw_only=True):
    count: int | None = None
    type: str = ""


class _DesignModule(_V2, kw_only=True):
    study_type: str = ""
    phases: list[str] = []
    design_info: _DesignInfo | None = None
    enrollment_info: _Enrollment | None = None


class _ArmGroup(_V2, kw_only=True):
    label: str = ""
    type: str = ""
    description: str = ""
    intervention_names: list[str] = []


class _Intervention(_V2, kw_only=True):
    type: str = ""
    name: str = ""
    description: str = ""
    arm_group_labels: list[str] = []
    other_names: list[str] = []


class _ArmsInterventions(_V2, kw_only=True):
    arm_groups: list[_ArmGroup] = []
    interventions: list[_Intervention] = []


class _Outcome(_V2, kw_only=True):
    measure: str = ""
    description: str = ""
    time_frame: str = ""


class _Outcomes(_V2, kw_only=True):
    primary_outcomes: list[_Outcome] = []
    secondary_outcomes: list[_Outcome] = []


class _Eligibility(_V2, kw_only=True):
    eligibility_criteria: str = ""
    healthy_volunteers: bool | None = None
    sex: str = ""
    gender_based: bool | None = None
    gender_description: str = ""
    minimum_age: str = ""
    maximum_age: str = ""
    std_ages: list[str] = []


class _Contact(_V2, kw_only=True):
    name: str = ""
    role: str = ""
    phone: str = ""
    phone_ext: str = ""
    email: str = ""


class _Official(_V2, kw_only=True):
    name: str = ""
    affiliation: str = ""
    role: str = ""


class _GeoPoint(_V2, kw_only=True):
    lat: float
    lon: float


class _Location(_V2, kw_only=True):
    facility: str = ""
    status: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    contacts: list[_Contact] = []
    geo_point: _GeoPoint | None = None


class _ContactsLocations(_V2, kw_only=True):
    central_contacts: list[_Contact] = []
    overall_officials: list[_Official] = []
    locations: list[_Location] = []


class _Protocol(_V2, kw_only=True):
    identification_module: _Identification | None = None
    status_module: _Status | None = None
    sponsor_collaborators_module: _SponsorCollaborators | None = None
    description_module: _Description | None = None
    conditions_module: _Conditions | None = None
    design_module: _DesignModule | None = None
    arms_interventions_module: _ArmsInterventions | None = None
    outcomes_module: _Outcomes | None = None
    eligibility_module: _Eligibility | None = None
    contacts_locations_module: _ContactsLocations | None = None


class _Mesh(_V2, kw_only=True):
    id: str = ""
    term: str = ""


class _Browse(_V2, kw_only=True):
    meshes: list[_Mesh] = []
    ancestors: list[_Mesh] = []


class _Derived(_V2, kw_only=True):
    condition_browse_module: _Browse | None = None
    intervention_browse_module: _Browse | None = None


class _Study(_V2, kw_only=True):
    protocol_section: _Protocol | None = None
    derived_section: _Derived | None = None
    has_results: bool = False


_decoder = msgspec.json.Decoder(_Study)


def parse_study(data: bytes, where: str) -> Trial:
    """Parse one API v2 study object into a `Trial`, or raise `RecordError` saying why not."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(
            "too_large",
            f"{where}: record is {len(data):,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit",
        )
    try:
        study = _decoder.decode(data)
    except msgspec.ValidationError as error:
        raise RecordError("wrong_type", f"{where}: {error}") from None
    except UnicodeDecodeError as error:
        raise RecordError("invalid_utf8", f"{where}: not valid UTF-8: {error}") from None
    except msgspec.DecodeError as error:
        raise RecordError("invalid_json", f"{where}: not valid JSON: {error}") from None
    return study_to_trial(study, where)


def _date(struct: _DateStruct | None) -> str:
    return struct.date if struct is not None else ""


def _mesh(terms: list[_Mesh]) -> list[MeshTerm]:
    return [MeshTerm(id=m.id, term=m.term) for m in terms if m.term]


def _contact(c: _Contact) -> Contact:
    return Contact(name=c.name, role=c.role, phone=c.phone, phone_ext=c.phone_ext, email=c.email)


def study_to_trial(study: _Study, where: str) -> Trial:
    """Map the decoded v2 mirror onto the model, checking id, ages and absurd values."""
    protocol = study.protocol_section or _Protocol()
    ident = protocol.identification_module or _Identification()
    nct_id = check_nct_id(ident.nct_id, where)
    status = protocol.status_module or _Status()
    sponsors = protocol.sponsor_collaborators_module or _SponsorCollaborators()
    description = protocol.description_module or _Description()
    conditions = protocol.conditions_module or _Conditions()
    design_module = protocol.design_module or _DesignModule()
    design_info = design_module.design_info or _DesignInfo()
    masking = design_info.masking_info or _Masking()
    enrollment = design_module.enrollment_info or _Enrollment()
    arms = protocol.arms_interventions_module or _ArmsInterventions()
    outcomes = protocol.outcomes_module or _Outcomes()
    eligibility = protocol.eligibility_module or _Eligibility()
    contacts = protocol.contacts_locations_module or _ContactsLocations()
    derived = study.derived_section or _Derived()
    condition_browse = derived.condition_browse_module or _Browse()
    intervention_browse = derived.intervention_browse_module or _Browse()

    trial = Trial(
        nct_id=nct_id,
        org_study_id=ident.org_study_id_info.id if ident.org_study_id_info else "",
        secondary_ids=[
            SecondaryId(id=s.id, type=s.type, domain=s.domain)
            for s in ident.secondary_id_infos
            if s.id
        ],
        brief_title=ident.brief_title,
        official_title=ident.official_title,
        acronym=ident.acronym,
        overall_status=status.overall_status,
        why_stopped=status.why_stopped,
        phases=design_module.phases,
        study_type=design_module.study_type,
        conditions=conditions.conditions,
        keywords=conditions.keywords,
        condition_mesh=_mesh(condition_browse.meshes),
        condition_mesh_ancestors=_mesh(condition_browse.ancestors),
        interventions=[
            Intervention(
                type=i.type,
                name=i.name,
                description=i.description,
                other_names=i.other_names,
                arm_group_labels=i.arm_group_labels,
            )
            for i in arms.interventions
            if i.name
        ],
        intervention_mesh=_mesh(intervention_browse.meshes),
        intervention_mesh_ancestors=_mesh(intervention_browse.ancestors),
        brief_summary=description.brief_summary,
        detailed_description=description.detailed_description,
        enrollment_count=enrollment.count,
        enrollment_type=enrollment.type,
        sex=eligibility.sex or "ALL",
        gender_based=eligibility.gender_based,
        gender_description=eligibility.gender_description,
        minimum_age=eligibility.minimum_age,
        minimum_age_years=age_in_years(eligibility.minimum_age, nct_id, "minimumAge"),
        maximum_age=eligibility.maximum_age,
        maximum_age_years=age_in_years(eligibility.maximum_age, nct_id, "maximumAge"),
        std_ages=eligibility.std_ages,
        healthy_volunteers=eligibility.healthy_volunteers,
        eligibility_criteria=eligibility.eligibility_criteria,
        design=Design(
            primary_purpose=design_info.primary_purpose,
            allocation=design_info.allocation,
            intervention_model=design_info.intervention_model,
            intervention_model_description=design_info.intervention_model_description,
            masking=masking.masking,
            who_masked=masking.who_masked,
            observational_model=design_info.observational_model,
            time_perspective=design_info.time_perspective,
        ),
        arm_groups=[
            ArmGroup(
                label=a.label,
                type=a.type,
                description=a.description,
                intervention_names=a.intervention_names,
            )
            for a in arms.arm_groups
            if a.label
        ],
        central_contacts=[_contact(c) for c in contacts.central_contacts],
        overall_officials=[
            Official(name=o.name, affiliation=o.affiliation, role=o.role)
            for o in contacts.overall_officials
        ],
        locations=[
            Location(
                facility=loc.facility,
                city=loc.city,
                state=loc.state,
                zip=loc.zip,
                country=loc.country,
                status=loc.status,
                geo=GeoPoint(lat=loc.geo_point.lat, lon=loc.geo_point.lon)
                if loc.geo_point is not None
                else None,
                contacts=[_contact(c) for c in loc.contacts],
            )
            for loc in contacts.locations
        ],
        lead_sponsor=Sponsor(
            name=sponsors.lead_sponsor.name, agency_class=sponsors.lead_sponsor.class_
        )
        if sponsors.lead_sponsor is not None and sponsors.lead_sponsor.name
        else None,
        collaborators=[
            Sponsor(name=c.name, agency_class=c.class_) for c in sponsors.collaborators if c.name
        ],
        start_date=_date(status.start_date_struct),
        primary_completion_date=_date(status.primary_completion_date_struct),
        completion_date=_date(status.completion_date_struct),
        first_posted=_date(status.study_first_post_date_struct),
        last_update_posted=_date(status.last_update_post_date_struct),
        primary_outcomes=[
            Outcome(measure=o.measure, description=o.description, time_frame=o.time_frame)
            for o in outcomes.primary_outcomes
            if o.measure
        ],
        secondary_outcomes=[
            Outcome(measure=o.measure, description=o.description, time_frame=o.time_frame)
            for o in outcomes.secondary_outcomes
            if o.measure
        ],
        has_results=study.has_results,
        source_format="ctgov_json",
    )
    return check_trial(trial)
