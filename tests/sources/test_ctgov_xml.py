"""The legacy ClinicalTrials.gov XML reader: mapping, quarantine codes and the real corpora."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from trialfinder.errors import RecordError
from trialfinder.model import (
    ArmGroup,
    Contact,
    Design,
    Intervention,
    Location,
    MeshTerm,
    Official,
    Outcome,
    SecondaryId,
    Sponsor,
    Trial,
)
from trialfinder.sources import ctgov_xml
from trialfinder.sources.ctgov_json import MAX_RECORD_BYTES
from trialfinder.sources.ctgov_xml import parse_clinical_study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# ../shared/data beside the checkout: tests/sources/x.py → parents[2] is the repository root.
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
XML_FOLDERS = ("ctgov-xml", "ctgov-xml-2023")
WHERE = "test.xml"


def _fixture() -> bytes:
    return (FIXTURES / "NCT03204344.xml").read_bytes()


def _study(body: str) -> bytes:
    """A minimal document: an NCT id plus `body`."""
    return (
        f"<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info>{body}</clinical_study>"
    ).encode()


def _real(folder: str, nct_id: str) -> Trial:
    path = DATA / folder / f"{nct_id}.xml"
    if not path.is_file():
        pytest.skip(
            f"{path} is absent: the real-data tests need ../shared/data beside the checkout"
        )
    return parse_clinical_study(path.read_bytes(), str(path))


def test_fixture_maps_every_field() -> None:
    trial = parse_clinical_study(_fixture(), "NCT03204344.xml")
    investigator = Contact(
        name="Dong-Xin Wang, MD, PhD",
        role="CONTACT",
        phone="8610 83572784",
        email="wangdongxin@hotmail.com",
    )
    backup = Contact(
        name="Xue Li, MD", role="CONTACT", phone="8610 83572460", email="3999165@163.com"
    )
    expected = Trial(
        nct_id="NCT03204344",
        org_study_id="2017[1362]",
        brief_title=(
            "Preoperative Oral Carbohydrate and Postoperative Recovery in Diabetic Patients"
        ),
        official_title=(
            "Impact of Preoperative Oral Carbohydrate on Recovery in Diabetic Patients After "
            "Gastrointestinal Surgery: a Pilot Randomized Controlled Trial"
        ),
        overall_status="RECRUITING",
        phases=["NA"],
        study_type="INTERVENTIONAL",
        conditions=["Gastrointestinal Surgery"],
        keywords=["Gastrointestinal surgery", "Preoperative oral carbohydrate"],
        interventions=[
            Intervention(
                type="DIETARY_SUPPLEMENT",
                name="Oral carbohydrate (Outfast)",
                description=(
                    "For all patients, 2 bottles of oral carbohydrate (Outfast, 710 ml) is "
                    "provided between 22:00-24:00 on the day before surgery."
                ),
                arm_group_labels=["Intervention group"],
            ),
            Intervention(
                type="OTHER",
                name="Routine fasting",
                description=(
                    "For all patients, routine fasting (water drinking allowed) begin from 22:00 "
                    "on the day before surgery until entering the operating room on the day of "
                    "surgery."
                ),
                arm_group_labels=["Control group"],
            ),
        ],
        intervention_mesh=[MeshTerm(term="Insulin, Globin Zinc"), MeshTerm(term="Insulin")],
        brief_summary=(
            "For non-diabetic patients undergoing gastrointestinal surgery, preoperative oral "
            "carbohydrate\nimproves postoperative recovery. The purpose of this pilot study is to "
            "investigate the impact\nof preoperative oral carbohydrate (outfast®) on the recovery "
            "in diabetic patients after\ngastrointestinal surgery."
        ),
        enrollment_count=60,
        enrollment_type="ESTIMATED",
        sex="ALL",
        minimum_age="18 Years",
        minimum_age_years=18.0,
        maximum_age="N/A",
        maximum_age_years=None,
        std_ages=["ADULT", "OLDER_ADULT"],
        healthy_volunteers=False,
        eligibility_criteria=(
            "Inclusion Criteria:\n\n"
            "  1. Age of 18 years and beyond;\n\n"
            "  2. Diagnosed with type 2 diabetes before surgery;\n\n"
            "Exclusion Criteria:\n\n"
            "  1. Refuse to participate in the study;\n\n"
            "  2. Previous history of total or partial gastrectomy;"
        ),
        design=Design(
            primary_purpose="PREVENTION",
            allocation="RANDOMIZED",
            intervention_model="PARALLEL",
            intervention_model_description=(
                "This is a outcomes assessor-blinded, randomized controlled trial with two "
                "parallel arms."
            ),
            masking="SINGLE",
            who_masked=["OUTCOMES_ASSESSOR"],
        ),
        arm_groups=[
            ArmGroup(
                label="Intervention group",
                type="EXPERIMENTAL",
                description=(
                    "For all patients, 2 bottles of oral carbohydrate (Outfast, 710 ml) is "
                    "provided between 22:00-24:00 on the day before surgery."
                ),
                intervention_names=["Dietary Supplement: Oral carbohydrate (Outfast)"],
            ),
            ArmGroup(
                label="Control group",
                type="SHAM_COMPARATOR",
                description=(
                    "For all patients, routine fasting (drinking water allowed) begins from 22:00 "
                    "on the day before surgery."
                ),
                intervention_names=["Other: Routine fasting"],
            ),
        ],
        central_contacts=[investigator, backup],
        overall_officials=[
            Official(
                name="Dong-Xin Wang, MD, PhD",
                affiliation="Peking University First Hospital",
                role="PRINCIPAL_INVESTIGATOR",
            )
        ],
        locations=[
            Location(
                facility="Peking University First Hospital",
                city="Beijing",
                state="Beijing",
                zip="100034",
                country="China",
                status="RECRUITING",
                contacts=[
                    investigator,
                    backup,
                    Contact(name="Xue Li, MD", role="PRINCIPAL_INVESTIGATOR"),
                ],
            )
        ],
        lead_sponsor=Sponsor(name="Dong-Xin Wang", agency_class="OTHER"),
        start_date="2017-08-01",
        primary_completion_date="2018-08",
        completion_date="2018-09",
        first_posted="2017-07-02",
        last_update_posted="2017-09-19",
        primary_outcomes=[
            Outcome(
                measure="Recovery of gastrointestinal function",
                description="Time to first flatus and defecation after surgery.",
                time_frame=(
                    "From end of surgery until the time of first flatus and defecation, assessed "
                    "up to 7 days after surgery."
                ),
            )
        ],
        secondary_outcomes=[
            Outcome(
                measure="Blood glucose variation",
                description="Difference between the highest and the lowest blood glucose levels.",
                time_frame="From 22:00 on the day before surgery until 24 hours after surgery.",
            )
        ],
        has_results=False,
        source_format="ctgov_xml",
    )
    assert trial == expected


# (folder, nct_id, what, expected): values read by hand from the XML files.
REAL_CASES: list[tuple[str, str, Callable[[Trial], Any], Any]] = [
    ("ctgov-xml", "NCT02513394", lambda t: t.org_study_id, "AFT-05"),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: t.secondary_ids,
        [SecondaryId(id="ABCSG 42"), SecondaryId(id="BIG 14-03"), SecondaryId(id="2014-005181-30")],
    ),
    ("ctgov-xml", "NCT02513394", lambda t: t.acronym, "PALLAS"),
    ("ctgov-xml", "NCT02513394", lambda t: t.overall_status, "ACTIVE_NOT_RECRUITING"),
    ("ctgov-xml", "NCT02513394", lambda t: t.phases, ["PHASE3"]),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: (t.start_date, t.primary_completion_date, t.completion_date),
        ("2015-08", "2020-09", "2025-09"),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: (t.first_posted, t.last_update_posted),
        ("2015-07-31", "2020-03-09"),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: (t.enrollment_count, t.enrollment_type),
        (5796, "ACTUAL"),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: t.design,
        Design(
            primary_purpose="TREATMENT",
            allocation="RANDOMIZED",
            intervention_model="PARALLEL",
            masking="NONE",
        ),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: [(a.label, a.type, a.intervention_names) for a in t.arm_groups],
        [
            (
                "Arm A",
                "EXPERIMENTAL",
                ["Drug: Palbociclib", "Drug: Standard Adjuvant Endocrine Therapy"],
            ),
            ("Arm B", "OTHER", ["Drug: Standard Adjuvant Endocrine Therapy"]),
        ],
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: [t.lead_sponsor, *t.collaborators],
        [
            Sponsor(name="Alliance Foundation Trials, LLC.", agency_class="OTHER"),
            Sponsor(name="Austrian Breast & Colorectal Cancer Study Group", agency_class="OTHER"),
            Sponsor(name="NSABP Foundation Inc", agency_class="OTHER"),
            Sponsor(name="PrECOG, LLC.", agency_class="OTHER"),
            Sponsor(name="Breast International Group", agency_class="OTHER"),
            Sponsor(name="Pfizer", agency_class="INDUSTRY"),
        ],
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: (t.minimum_age, t.minimum_age_years, t.maximum_age, t.maximum_age_years),
        ("18 Years", 18.0, "N/A", None),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: t.overall_officials[0],
        Official(
            name="Monica Bertagnolli, MD",
            affiliation="Alliance Foundation Trials, LLC.",
            role="PRINCIPAL_INVESTIGATOR",
        ),
    ),
    ("ctgov-xml", "NCT02513394", lambda t: len(t.locations), 233),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: t.locations[0],
        Location(
            facility="University of South Alabama Mitchell Cancer Institute",
            city="Mobile",
            state="Alabama",
            zip="36604",
            country="United States",
        ),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: (t.condition_mesh, t.intervention_mesh, t.has_results),
        ([MeshTerm(term="Breast Neoplasms")], [MeshTerm(term="Palbociclib")], False),
    ),
    (
        "ctgov-xml",
        "NCT02513394",
        lambda t: t.eligibility_criteria.splitlines()[:4],
        [
            "Inclusion Criteria:",
            "",
            "  -  Signed informed consent prior to study specific procedures.",
            "",
        ],
    ),
    ("ctgov-xml", "NCT00001177", lambda t: t.study_type, "OBSERVATIONAL"),
    ("ctgov-xml", "NCT00001177", lambda t: t.secondary_ids, [SecondaryId(id="81-M-0126")]),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: (t.sex, t.minimum_age_years, t.maximum_age_years, t.healthy_volunteers),
        ("FEMALE", 18.0, 50.0, True),
    ),
    ("ctgov-xml", "NCT00001177", lambda t: t.start_date, "1981-08-24"),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: (t.enrollment_count, t.enrollment_type),
        (1600, "ESTIMATED"),
    ),
    ("ctgov-xml", "NCT00001177", lambda t: (t.phases, t.design), ([], Design())),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: t.central_contacts,
        [
            Contact(
                name="Peter J Schmidt, M.D.",
                role="CONTACT",
                phone="(301) 496-6120",
                email="peterschmidt@mail.nih.gov",
            )
        ],
    ),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: t.locations,
        [
            Location(
                facility="National Institutes of Health Clinical Center, 9000 Rockville Pike",
                city="Bethesda",
                state="Maryland",
                zip="20892",
                country="United States",
                status="RECRUITING",
                contacts=[
                    Contact(
                        name=(
                            "For more information at the NIH Clinical Center contact Office of "
                            "Patient Recruitment (OPR)"
                        ),
                        role="CONTACT",
                        phone="800-411-1222",
                        phone_ext="TTY8664111010",
                        email="prpl@cc.nih.gov",
                    )
                ],
            )
        ],
    ),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: t.lead_sponsor,
        Sponsor(name="National Institute of Mental Health (NIMH)", agency_class="NIH"),
    ),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: t.brief_summary.split("\n\n")[0],
        "The purpose of this study is to identify and describe the symptoms of premenstrual "
        "syndrome\n(PMS).",
    ),
    (
        "ctgov-xml",
        "NCT00001177",
        lambda t: [m.term for m in t.condition_mesh],
        ["Depression", "Mood Disorders", "Premenstrual Syndrome"],
    ),
    ("ctgov-xml-2023", "NCT00000135", lambda t: t.phases, ["PHASE2", "PHASE3"]),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: (t.design.masking, t.design.who_masked),
        ("DOUBLE", ["PARTICIPANT", "CARE_PROVIDER"]),
    ),
    ("ctgov-xml-2023", "NCT00000135", lambda t: t.has_results, True),
    ("ctgov-xml-2023", "NCT00000135", lambda t: t.acronym, "MACRT"),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: t.interventions,
        [
            Intervention(
                type="DRUG",
                name="MSL-109",
                description=(
                    "60 mg, IV (in vein) every two weeks, treatment continued until death or "
                    "common closeout."
                ),
                other_names=["Monoclonal antibodies"],
                arm_group_labels=["MSL-109"],
            ),
            Intervention(
                type="OTHER",
                name="Placebo",
                description=(
                    "60 mg, IV (in vein) every two weeks, treatment continued until death or "
                    "common closeout."
                ),
                arm_group_labels=["Placebo"],
            ),
        ],
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: [(a.label, a.type, a.intervention_names) for a in t.arm_groups],
        [
            ("MSL-109", "EXPERIMENTAL", ["Drug: MSL-109"]),
            ("Placebo", "PLACEBO_COMPARATOR", ["Other: Placebo"]),
        ],
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: t.brief_summary,
        "To evaluate the efficacy and safety of a human anti-CMV monoclonal antibody, MSL-109, "
        "as\nadjunct therapy for controlling CMV retinitis.",
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: t.eligibility_criteria.splitlines()[:5],
        [
            "Inclusion criteria:",
            "",
            "  -  13 years or older at entry",
            "",
            "  -  Diagnosis of AIDS according to the Centers for Disease Control and Prevention "
            "(CDC)",
        ],
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: (t.start_date, t.primary_completion_date, t.completion_date, t.first_posted),
        ("1995-09", "1996-08", "1996-08", "1999-09-24"),
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: t.primary_outcomes,
        [
            Outcome(
                measure="Mortality Rate",
                description=(
                    "to evaluate the efficacy of an intravenous human monoclonal antibody to "
                    "cytomegalovirus (CMV), MSL-109, as adjuvant treatment for CMV retinitis. ."
                ),
                time_frame=(
                    "All patients enrolled were followed for a 17 month period or until a common "
                    "study closing date"
                ),
            )
        ],
    ),
    (
        "ctgov-xml-2023",
        "NCT00000135",
        lambda t: (t.enrollment_count, t.enrollment_type, t.minimum_age_years),
        (209, "ACTUAL", 13.0),
    ),
]
REAL_IDS = [
    "NCT02513394-org_study_id",
    "NCT02513394-secondary_ids",
    "NCT02513394-acronym",
    "NCT02513394-overall_status",
    "NCT02513394-phases",
    "NCT02513394-study_dates",
    "NCT02513394-posted_dates",
    "NCT02513394-enrollment",
    "NCT02513394-design",
    "NCT02513394-arm_groups",
    "NCT02513394-sponsors",
    "NCT02513394-ages",
    "NCT02513394-first_official",
    "NCT02513394-location_count",
    "NCT02513394-first_location",
    "NCT02513394-mesh_and_results",
    "NCT02513394-criteria_dedented",
    "NCT00001177-study_type",
    "NCT00001177-secondary_ids",
    "NCT00001177-eligibility",
    "NCT00001177-start_date_with_day",
    "NCT00001177-enrollment_anticipated",
    "NCT00001177-no_phase_no_design",
    "NCT00001177-central_contacts",
    "NCT00001177-location_with_contact",
    "NCT00001177-lead_sponsor",
    "NCT00001177-summary_paragraph",
    "NCT00001177-condition_mesh",
    "NCT00000135-phases",
    "NCT00000135-masking",
    "NCT00000135-has_results",
    "NCT00000135-acronym",
    "NCT00000135-interventions",
    "NCT00000135-arm_groups",
    "NCT00000135-summary_without_cr",
    "NCT00000135-criteria_without_cr",
    "NCT00000135-dates",
    "NCT00000135-primary_outcomes",
    "NCT00000135-enrollment_and_age",
]


@pytest.mark.parametrize(("folder", "nct_id", "what", "expected"), REAL_CASES, ids=REAL_IDS)
def test_real_trial(folder: str, nct_id: str, what: Callable[[Trial], Any], expected: Any) -> None:
    assert what(_real(folder, nct_id)) == expected


@pytest.mark.parametrize("folder", XML_FOLDERS)
def test_every_shared_file_parses(folder: str) -> None:
    paths = sorted((DATA / folder).glob("NCT*.xml"))
    if not paths:
        pytest.skip(f"{DATA / folder} has no NCT*.xml: it needs ../shared/data beside the checkout")
    failures: dict[str, str] = {}
    formats: set[str] = set()
    for path in paths:
        try:
            formats.add(parse_clinical_study(path.read_bytes(), path.name).source_format)
        except RecordError as error:
            failures[path.name] = f"{error.code}: {error.message}"
    assert failures == {}
    assert formats == {"ctgov_xml"}


# (element XML, what, expected): display text → API v2 enumerations.
ENUM_CASES: list[tuple[str, Callable[[Trial], Any], Any]] = [
    ("<overall_status>Recruiting</overall_status>", lambda t: t.overall_status, "RECRUITING"),
    (
        "<overall_status>Active, not recruiting</overall_status>",
        lambda t: t.overall_status,
        "ACTIVE_NOT_RECRUITING",
    ),
    (
        "<overall_status>Not yet recruiting</overall_status>",
        lambda t: t.overall_status,
        "NOT_YET_RECRUITING",
    ),
    (
        "<overall_status>Enrolling by invitation</overall_status>",
        lambda t: t.overall_status,
        "ENROLLING_BY_INVITATION",
    ),
    ("<overall_status>Completed</overall_status>", lambda t: t.overall_status, "COMPLETED"),
    ("<overall_status>Terminated</overall_status>", lambda t: t.overall_status, "TERMINATED"),
    ("<overall_status>Withdrawn</overall_status>", lambda t: t.overall_status, "WITHDRAWN"),
    ("<overall_status>Suspended</overall_status>", lambda t: t.overall_status, "SUSPENDED"),
    ("<overall_status>Unknown status</overall_status>", lambda t: t.overall_status, "UNKNOWN"),
    ("<overall_status>Available</overall_status>", lambda t: t.overall_status, "AVAILABLE"),
    (
        "<overall_status>No longer available</overall_status>",
        lambda t: t.overall_status,
        "NO_LONGER_AVAILABLE",
    ),
    (
        "<overall_status>Temporarily not available</overall_status>",
        lambda t: t.overall_status,
        "TEMPORARILY_NOT_AVAILABLE",
    ),
    (
        "<overall_status>Approved for marketing</overall_status>",
        lambda t: t.overall_status,
        "APPROVED_FOR_MARKETING",
    ),
    ("<overall_status>Withheld</overall_status>", lambda t: t.overall_status, "WITHHELD"),
    (
        "<overall_status>Paused: awaiting funds</overall_status>",
        lambda t: t.overall_status,
        "PAUSED_AWAITING_FUNDS",
    ),
    ("<phase>Phase 1/Phase 2</phase>", lambda t: t.phases, ["PHASE1", "PHASE2"]),
    ("<phase>Phase 2/Phase 3</phase>", lambda t: t.phases, ["PHASE2", "PHASE3"]),
    ("<phase>Early Phase 1</phase>", lambda t: t.phases, ["EARLY_PHASE1"]),
    ("<phase>Phase 4</phase>", lambda t: t.phases, ["PHASE4"]),
    ("<phase>N/A</phase>", lambda t: t.phases, ["NA"]),
    ("", lambda t: t.phases, []),
    ("<study_type>Interventional</study_type>", lambda t: t.study_type, "INTERVENTIONAL"),
    ("<study_type>Observational</study_type>", lambda t: t.study_type, "OBSERVATIONAL"),
    (
        "<study_type>Observational [Patient Registry]</study_type>",
        lambda t: t.study_type,
        "OBSERVATIONAL",
    ),
    ("<study_type>Expanded Access</study_type>", lambda t: t.study_type, "EXPANDED_ACCESS"),
    ("<study_type>N/A</study_type>", lambda t: t.study_type, "NA"),
    (
        "<intervention><intervention_type>Dietary Supplement</intervention_type>"
        "<intervention_name>Vitamin D</intervention_name></intervention>",
        lambda t: t.interventions[0].type,
        "DIETARY_SUPPLEMENT",
    ),
    (
        "<intervention><intervention_type>Biological</intervention_type>"
        "<intervention_name>BCG</intervention_name></intervention>",
        lambda t: t.interventions[0].type,
        "BIOLOGICAL",
    ),
    (
        "<intervention><intervention_type>Diagnostic Test</intervention_type>"
        "<intervention_name>PET</intervention_name></intervention>",
        lambda t: t.interventions[0].type,
        "DIAGNOSTIC_TEST",
    ),
    (
        "<intervention><intervention_type>Combination Product</intervention_type>"
        "<intervention_name>Pen</intervention_name><other_name>Autoinjector</other_name>"
        "</intervention>",
        lambda t: (t.interventions[0].type, t.interventions[0].other_names),
        ("COMBINATION_PRODUCT", ["Autoinjector"]),
    ),
    ('<enrollment type="Actual">12</enrollment>', lambda t: t.enrollment_type, "ACTUAL"),
    ('<enrollment type="Anticipated">12</enrollment>', lambda t: t.enrollment_type, "ESTIMATED"),
    ("<enrollment>12</enrollment>", lambda t: (t.enrollment_count, t.enrollment_type), (12, "")),
    ("<eligibility><gender>Male</gender></eligibility>", lambda t: t.sex, "MALE"),
    ("<eligibility><gender>Female</gender></eligibility>", lambda t: t.sex, "FEMALE"),
    ("<eligibility><gender>All</gender></eligibility>", lambda t: t.sex, "ALL"),
    ("", lambda t: t.sex, "ALL"),
    (
        "<eligibility><gender>Female</gender><gender_based>Yes</gender_based>"
        "<gender_description>Self-identified women</gender_description></eligibility>",
        lambda t: (t.gender_based, t.gender_description),
        (True, "Self-identified women"),
    ),
    (
        "<eligibility><healthy_volunteers>Accepts Healthy Volunteers</healthy_volunteers>"
        "</eligibility>",
        lambda t: t.healthy_volunteers,
        True,
    ),
    (
        "<eligibility><healthy_volunteers>No</healthy_volunteers></eligibility>",
        lambda t: t.healthy_volunteers,
        False,
    ),
    ("", lambda t: t.healthy_volunteers, None),
    (
        "<eligibility><minimum_age>6 Months</minimum_age><maximum_age>17 Years</maximum_age>"
        "</eligibility>",
        lambda t: (t.minimum_age, t.minimum_age_years, t.maximum_age, t.maximum_age_years),
        ("6 Months", 0.5, "17 Years", 17.0),
    ),
    (
        "<study_design_info><primary_purpose>Treatment</primary_purpose></study_design_info>",
        lambda t: t.design.primary_purpose,
        "TREATMENT",
    ),
    (
        "<study_design_info><primary_purpose>Supportive Care</primary_purpose></study_design_info>",
        lambda t: t.design.primary_purpose,
        "SUPPORTIVE_CARE",
    ),
    (
        "<study_design_info><primary_purpose>Educational/Counseling/Training</primary_purpose>"
        "</study_design_info>",
        lambda t: t.design.primary_purpose,
        "ECT",
    ),
    (
        "<study_design_info><allocation>Randomized</allocation></study_design_info>",
        lambda t: t.design.allocation,
        "RANDOMIZED",
    ),
    (
        "<study_design_info><allocation>Non-Randomized</allocation></study_design_info>",
        lambda t: t.design.allocation,
        "NON_RANDOMIZED",
    ),
    (
        "<study_design_info><allocation>N/A</allocation></study_design_info>",
        lambda t: t.design.allocation,
        "NA",
    ),
    (
        "<study_design_info><intervention_model>Parallel Assignment</intervention_model>"
        "</study_design_info>",
        lambda t: t.design.intervention_model,
        "PARALLEL",
    ),
    (
        "<study_design_info><intervention_model>Single Group Assignment</intervention_model>"
        "</study_design_info>",
        lambda t: t.design.intervention_model,
        "SINGLE_GROUP",
    ),
    (
        "<study_design_info><intervention_model>Crossover Assignment</intervention_model>"
        "</study_design_info>",
        lambda t: t.design.intervention_model,
        "CROSSOVER",
    ),
    (
        "<study_design_info><intervention_model>Factorial Assignment</intervention_model>"
        "</study_design_info>",
        lambda t: t.design.intervention_model,
        "FACTORIAL",
    ),
    (
        "<study_design_info><intervention_model>Sequential Assignment</intervention_model>"
        "</study_design_info>",
        lambda t: t.design.intervention_model,
        "SEQUENTIAL",
    ),
    (
        "<study_design_info><observational_model>Case-Control</observational_model>"
        "<time_perspective>Cross-Sectional</time_perspective></study_design_info>",
        lambda t: (t.design.observational_model, t.design.time_perspective),
        ("CASE_CONTROL", "CROSS_SECTIONAL"),
    ),
    (
        "<study_design_info><observational_model>Ecologic or Community</observational_model>"
        "</study_design_info>",
        lambda t: t.design.observational_model,
        "ECOLOGIC_OR_COMMUNITY",
    ),
    (
        "<arm_group><arm_group_label>A</arm_group_label>"
        "<arm_group_type>Active Comparator</arm_group_type></arm_group>",
        lambda t: t.arm_groups[0].type,
        "ACTIVE_COMPARATOR",
    ),
    (
        "<arm_group><arm_group_label>A</arm_group_label>"
        "<arm_group_type>Placebo Comparator</arm_group_type></arm_group>",
        lambda t: t.arm_groups[0].type,
        "PLACEBO_COMPARATOR",
    ),
    (
        "<arm_group><arm_group_label>A</arm_group_label>"
        "<arm_group_type>No Intervention</arm_group_type></arm_group>",
        lambda t: t.arm_groups[0].type,
        "NO_INTERVENTION",
    ),
    (
        "<arm_group><arm_group_label>A</arm_group_label>"
        "<arm_group_type>Sham Comparator</arm_group_type></arm_group>",
        lambda t: t.arm_groups[0].type,
        "SHAM_COMPARATOR",
    ),
    (
        "<sponsors><lead_sponsor><agency>VA</agency><agency_class>U.S. Fed</agency_class>"
        "</lead_sponsor></sponsors>",
        lambda t: t.lead_sponsor,
        Sponsor(name="VA", agency_class="FED"),
    ),
    (
        "<sponsors><lead_sponsor><agency>[Redacted]</agency></lead_sponsor></sponsors>",
        lambda t: t.lead_sponsor,
        Sponsor(name="[Redacted]"),
    ),
    (
        "<overall_official><first_name>Ada</first_name><last_name>Lovelace</last_name>"
        "<degrees>PhD</degrees><role>Study Chair</role></overall_official>",
        lambda t: t.overall_officials,
        [Official(name="Ada Lovelace, PhD", role="STUDY_CHAIR")],
    ),
    (
        "<location><facility><name>Site</name></facility><status>Active, not recruiting</status>"
        "<investigator><last_name>Bo Li</last_name><role>Sub-Investigator</role></investigator>"
        "</location>",
        lambda t: t.locations,
        [
            Location(
                facility="Site",
                status="ACTIVE_NOT_RECRUITING",
                contacts=[Contact(name="Bo Li", role="SUB_INVESTIGATOR")],
            )
        ],
    ),
    ("<why_stopped>Slow accrual</why_stopped>", lambda t: t.why_stopped, "Slow accrual"),
    ("<clinical_results/>", lambda t: t.has_results, True),
]
ENUM_IDS = [
    "status-recruiting",
    "status-active_not_recruiting",
    "status-not_yet_recruiting",
    "status-enrolling_by_invitation",
    "status-completed",
    "status-terminated",
    "status-withdrawn",
    "status-suspended",
    "status-unknown",
    "status-available",
    "status-no_longer_available",
    "status-temporarily_not_available",
    "status-approved_for_marketing",
    "status-withheld",
    "status-unknown_text_generic",
    "phase-1_2",
    "phase-2_3",
    "phase-early_1",
    "phase-4",
    "phase-na",
    "phase-absent",
    "study_type-interventional",
    "study_type-observational",
    "study_type-patient_registry",
    "study_type-expanded_access",
    "study_type-na",
    "intervention-dietary_supplement",
    "intervention-biological",
    "intervention-diagnostic_test",
    "intervention-combination_product",
    "enrollment-actual",
    "enrollment-anticipated",
    "enrollment-untyped",
    "sex-male",
    "sex-female",
    "sex-all",
    "sex-absent",
    "gender_based",
    "healthy_volunteers-accepts",
    "healthy_volunteers-no",
    "healthy_volunteers-absent",
    "ages-months_years",
    "purpose-treatment",
    "purpose-supportive_care",
    "purpose-ect",
    "allocation-randomized",
    "allocation-non_randomized",
    "allocation-na",
    "model-parallel",
    "model-single_group",
    "model-crossover",
    "model-factorial",
    "model-sequential",
    "observational-case_control",
    "observational-ecologic",
    "arm-active_comparator",
    "arm-placebo_comparator",
    "arm-no_intervention",
    "arm-sham_comparator",
    "agency-us_fed",
    "agency-missing_class",
    "official-name_parts",
    "location-investigator",
    "why_stopped",
    "has_results",
]


@pytest.mark.parametrize(("body", "what", "expected"), ENUM_CASES, ids=ENUM_IDS)
def test_enumeration(body: str, what: Callable[[Trial], Any], expected: Any) -> None:
    assert what(parse_clinical_study(_study(body), WHERE)) == expected


@pytest.mark.parametrize(
    ("masking", "expected"),
    [
        ("None (Open Label)", ("NONE", [])),
        ("Single", ("SINGLE", [])),
        ("Single (Participant)", ("SINGLE", ["PARTICIPANT"])),
        ("Double (Participant, Investigator)", ("DOUBLE", ["PARTICIPANT", "INVESTIGATOR"])),
        (
            "Triple (Participant, Care Provider, Investigator)",
            ("TRIPLE", ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"]),
        ),
        (
            "Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)",
            ("QUADRUPLE", ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]),
        ),
        ("Open Label", ("NONE", [])),
        ("Double Blind (Subject, Caregiver)", ("DOUBLE", ["PARTICIPANT", "CARE_PROVIDER"])),
        ("", ("", [])),
    ],
    ids=[
        "none_open_label",
        "single_unnamed",
        "single_participant",
        "double",
        "triple",
        "quadruple",
        "legacy_open_label",
        "legacy_double_blind",
        "absent",
    ],
)
def test_masking(masking: str, expected: tuple[str, list[str]]) -> None:
    body = f"<study_design_info><masking>{masking}</masking></study_design_info>"
    design = parse_clinical_study(_study(body), WHERE).design
    assert (design.masking, design.who_masked) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<start_date>August 2015</start_date>", "2015-08"),
        ("<start_date>July 31, 2015</start_date>", "2015-07-31"),
        ('<start_date type="Actual">July 3, 2015</start_date>', "2015-07-03"),
        ("<start_date>Aug 2015</start_date>", "2015-08"),
        ("<start_date>2015-07-31</start_date>", "2015-07-31"),
        ("", ""),
    ],
    ids=["month_year", "full_date", "one_digit_day", "abbreviated_month", "iso", "absent"],
)
def test_date(body: str, expected: str) -> None:
    assert parse_clinical_study(_study(body), WHERE).start_date == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '<study_first_posted type="Estimate">April 21, 2011</study_first_posted>'
            '<last_update_posted type="Estimate">May 2, 2012</last_update_posted>'
            "<firstreceived_date>April 20, 2011</firstreceived_date>"
            "<lastchanged_date>May 1, 2012</lastchanged_date>",
            ("2011-04-21", "2012-05-02"),
        ),
        (
            "<firstreceived_date>April 20, 2011</firstreceived_date>"
            "<lastchanged_date>May 1, 2012</lastchanged_date>",
            ("2011-04-20", "2012-05-01"),
        ),
    ],
    ids=["posted_dates_win", "old_tags_when_alone"],
)
def test_posted_dates(body: str, expected: tuple[str, str]) -> None:
    trial = parse_clinical_study(_study(body), WHERE)
    assert (trial.first_posted, trial.last_update_posted) == expected


@pytest.mark.parametrize(
    ("textblock", "expected"),
    [
        (
            "\n      First line\n      wraps here.\n\n      Second paragraph.\n    ",
            "First line\nwraps here.\n\nSecond paragraph.",
        ),
        (
            "\n        Inclusion:&#xD;\n&#xD;\n          -  adults&#xD;\n    ",
            "Inclusion:\n\n  -  adults",
        ),
        ("\n   \n", ""),
    ],
    ids=["indent_and_paragraphs", "crlf_entities_2023", "blank"],
)
def test_textblock_dedent(textblock: str, expected: str) -> None:
    body = f"<brief_summary><textblock>{textblock}</textblock></brief_summary>"
    assert parse_clinical_study(_study(body), WHERE).brief_summary == expected


XXE_FILE = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE clinical_study [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<clinical_study><id_info><nct_id>NCT03204344</nct_id></id_info>"
    b"<brief_title>&x;</brief_title></clinical_study>"
)
XXE_EXTERNAL_DTD = (
    b'<!DOCTYPE clinical_study SYSTEM "http://127.0.0.1:9/x.dtd">'
    b"<clinical_study><id_info><nct_id>NCT03204344</nct_id></id_info></clinical_study>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE clinical_study [\n<!ENTITY a "lol">\n'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(9)
    )
    + b"]>\n<clinical_study><brief_title>&j;</brief_title></clinical_study>"
)
REFUSED = "ClinicalTrials.gov XML has no DOCTYPE, so the document is refused"


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (
            b"<study><nct_id>NCT03204344</nct_id></study>",
            "invalid_xml",
            f"{WHERE}: root element is <study>, expected <clinical_study>",
        ),
        (
            b'<ns:clinical_study xmlns:ns="urn:x"/>',
            "invalid_xml",
            f"{WHERE}: root element is <{{urn:x}}clinical_study>, expected <clinical_study>",
        ),
        (
            _fixture().replace(b"<nct_id>NCT03204344</nct_id>", b""),
            "missing_nct_id",
            f"{WHERE}: the record has no NCT id",
        ),
        (
            _fixture().replace(b"<nct_id>NCT03204344</nct_id>", b"<nct_id> </nct_id>"),
            "missing_nct_id",
            f"{WHERE}: the record has no NCT id",
        ),
        (
            _fixture().replace(b"<nct_id>NCT03204344</nct_id>", b"<nct_id>NCT0320</nct_id>"),
            "bad_nct_id",
            f"{WHERE}: NCT id 'NCT0320' is not 'NCT' followed by 8 digits",
        ),
        (
            _fixture().replace(b"18 Years", b"18 Yrs"),
            "bad_age",
            "NCT03204344: minimum_age '18 Yrs' is not "
            "'<n> Years|Months|Weeks|Days|Hours|Minutes' or 'N/A'",
        ),
        (
            _fixture().replace(b"<maximum_age>N/A", b"<maximum_age>12 Years"),
            "absurd_value",
            "NCT03204344: minimum age '18 Years' is above maximum age '12 Years'",
        ),
        (
            _fixture().replace(b">60</enrollment>", b">about 60</enrollment>"),
            "wrong_type",
            "NCT03204344: enrollment 'about 60' is not a whole number of participants",
        ),
        (
            _fixture().replace(b"August 1, 2017", b"Augst 1, 2017"),
            "bad_date",
            "NCT03204344: start_date 'Augst 1, 2017' is not 'Month YYYY' or 'Month D, YYYY'",
        ),
        (
            _fixture().replace(b"August 1, 2017", b"February 30, 2017"),
            "bad_date",
            "NCT03204344: start_date 'February 30, 2017' is not a day of the calendar",
        ),
        (
            XXE_FILE,
            "invalid_xml",
            f"{WHERE}: declares <!DOCTYPE clinical_study>; {REFUSED} "
            "(its entities were not expanded)",
        ),
        (
            XXE_EXTERNAL_DTD,
            "invalid_xml",
            f'{WHERE}: declares <!DOCTYPE clinical_study SYSTEM "http://127.0.0.1:9/x.dtd">; '
            f"{REFUSED} (its entities were not expanded)",
        ),
        (
            bytes(MAX_RECORD_BYTES + 1),
            "too_large",
            f"{WHERE}: record is {MAX_RECORD_BYTES + 1:,} bytes, "
            f"over the {MAX_RECORD_BYTES:,}-byte limit",
        ),
    ],
    ids=[
        "wrong_root",
        "namespaced_root",
        "missing_nct_id",
        "blank_nct_id",
        "bad_nct_id",
        "bad_age",
        "minimum_above_maximum",
        "enrollment_not_a_number",
        "misspelt_month",
        "impossible_day",
        "xxe_file_entity",
        "xxe_external_dtd",
        "too_large",
    ],
)
def test_quarantine(data: bytes, code: str, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_clinical_study(data, WHERE)
    assert (caught.value.code, caught.value.message) == (code, message)


# libxml2 words its own reasons; the code, the position and our prefix are what we promise.
@pytest.mark.parametrize(
    ("data", "code", "prefix"),
    [
        (
            b"<clinical_study>\n  <id_info>\n    <nct_id>NCT0",
            "invalid_xml",
            f"{WHERE}: not well-formed XML at line 3, column ",
        ),
        (_fixture()[:1500], "invalid_xml", f"{WHERE}: not well-formed XML at line 31, column "),
        (b"", "invalid_xml", f"{WHERE}: not well-formed XML at line 1, column "),
        (
            b"<clinical_study><brief_title>&x;</brief_title></clinical_study>",
            "invalid_xml",
            f"{WHERE}: not well-formed XML at line 1, column ",
        ),
        (
            _fixture().replace("®".encode(), b"\xae"),
            "invalid_utf8",
            f"{WHERE}: bytes at line 27, column ",
        ),
    ],
    ids=["truncated_tiny", "truncated_fixture", "empty", "undeclared_entity", "latin1_byte"],
)
def test_quarantine_malformed(data: bytes, code: str, prefix: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_clinical_study(data, WHERE)
    assert caught.value.code == code
    assert caught.value.message.startswith(prefix), caught.value.message


def test_parser_never_expands_an_external_entity() -> None:
    """Defence in depth: even before the DOCTYPE refusal, the parser leaves ``&x;`` unread."""
    root = etree.fromstring(XXE_FILE, ctgov_xml._parser())
    title = root.find("brief_title")
    assert (title.text, [node.text for node in title]) == (None, ["&x;"])


def test_billion_laughs_is_refused() -> None:
    """libxml2 stops the expansion itself or parses it inert and we refuse the DOCTYPE."""
    with pytest.raises(RecordError) as caught:
        parse_clinical_study(BILLION_LAUGHS, WHERE)
    assert caught.value.code == "invalid_xml"
    assert "lollol" not in caught.value.message
