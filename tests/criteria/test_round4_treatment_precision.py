"""Round 4 of issue 5: where a named drug or procedure is no treatment, and short forms that a
trial defines as another concept than the word list's."""

from __future__ import annotations

import pytest

from trialfinder.criteria.constraints import ConditionConstraint, TreatmentConstraint
from trialfinder.criteria.parser import parse_criteria, parse_criterion


def _treatments(text: str) -> list[str]:
    return [c.text for c in parse_criterion(text) if isinstance(c, TreatmentConstraint)]


def _conditions(text: str) -> list[tuple[str, str]]:
    return [
        (c.text, c.concept) for c in parse_criterion(text) if isinstance(c, ConditionConstraint)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patients allergic to penicillin", []),
        ("Allergic reaction against steroids or local anaesthetic", []),
        ("Known allergy to bupivacaine, clonidine or similar local anesthetics", []),
        ("Hypersensitivity to any component of pembrolizumab", []),
        ("Known penicillin allergy", []),
        (
            "Known hypersensitivity to pembrolizumab or prior treatment with nivolumab",
            ["nivolumab"],
        ),
        ("Intolerant to imatinib", ["imatinib"]),
    ],
    ids=[
        "allergic-to",
        "reaction-against-a-list",
        "allergy-to-a-list",
        "any-component-of",
        "drug-before-allergy",
        "list-ends-at-prior-treatment",
        "intolerance-is-treatment-history",
    ],
)
def test_a_drug_named_as_an_allergen_is_no_treatment(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


def test_allergic_to_is_an_allergy() -> None:
    assert _conditions("patients allergic to penicillin") == [("allergic to", "Allergy")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Histologically proven non-small cell lung cancer (NSCLC) by mediastinoscopy,\r\n"
            "             video-assisted thoracic surgery, or needle biopsy",
            [],
        ),
        ("Evidence of chronic hepatitis on liver biopsy done within the previous 12 months", []),
        ("Has an archival or newly obtained biopsy", []),
        ("Diagnosis confirmed by biopsy, requiring surgery", ["surgery"]),
        ("Documented progression on prior surgery", ["surgery"]),
        ("Disease documented by biopsy while on pembrolizumab", ["pembrolizumab"]),
        ("Willing to undergo a tumor biopsy", ["tumor biopsy"]),
        ("Documentation of surgical sterilisation by hysterectomy", ["hysterectomy"]),
    ],
    ids=[
        "proven-by-a-list",
        "evidence-on-biopsy",
        "sample-source",
        "planned-surgery-after-the-means",
        "progression-on",
        "a-drug-is-not-a-means",
        "biopsy-the-patient-will-get",
        "sterilisation-is-not-a-diagnosis",
    ],
)
def test_a_procedure_named_as_how_a_diagnosis_was_made_is_no_treatment(
    text: str, expected: list[str]
) -> None:
    assert _treatments(text) == expected


def test_a_condition_inside_a_diagnostic_procedure_stays_part_of_it() -> None:
    text = "Documented ER-positive disease assessed locally on the most recent tumor biopsy"
    assert (_treatments(text), _conditions(text)) == ([], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("considered for enrollment in the NOVO-CART® Disc study", []),
        ("Patients must own a smartphone to participate in the CBT application.", []),
        ("CBT within the last 6 months", ["CBT"]),
        ("Topical steroid application within 2 weeks", ["steroid"]),
        ("Prior CAR-T cell therapy", ["CAR-T cell therapy"]),
    ],
    ids=["product-name", "app", "therapy-short-form", "applying-a-drug", "no-product-mark"],
)
def test_a_product_or_app_name_is_no_treatment(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "isolated myeloid sarcoma (MS) (either de novo or secondary)",
            [("sarcoma (MS)", "Sarcoma")],
        ),
        (
            "Relapsing multiple sclerosis (MS) per McDonald criteria",
            [("Relapsing multiple sclerosis (MS)", "Multiple Sclerosis")],
        ),
    ],
    ids=["another-concept", "the-same-concept"],
)
def test_a_short_form_defined_as_another_concept_is_not_the_word_lists(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert _conditions(text) == expected


def _trial_conditions(text: str) -> list[list[tuple[str, str]]]:
    parsed = parse_criteria(text)
    return [
        [(c.text, c.concept) for c in criterion.constraints if isinstance(c, ConditionConstraint)]
        for criterion in parsed.inclusion + parsed.exclusion
    ]


def test_a_short_form_defined_in_one_criterion_holds_in_the_others() -> None:
    text = (
        "Inclusion Criteria:\n\n* isolated myeloid sarcoma (MS)\n\n"
        "Exclusion Criteria:\n\n* Other disease than isolated MS\n* Multiple sclerosis"
    )
    assert _trial_conditions(text) == [
        [("sarcoma (MS)", "Sarcoma")],
        [("MS", "Sarcoma")],
        [("Multiple sclerosis", "Multiple Sclerosis")],
    ]


def test_without_a_definition_a_short_form_is_the_word_lists() -> None:
    text = "Exclusion Criteria:\n\n* Other disease than isolated MS"
    assert _trial_conditions(text) == [[("MS", "Multiple Sclerosis")]]


@pytest.mark.parametrize(
    ("definition", "use", "expected"),
    [
        (
            "Systematic Sclerosis (SSc)",
            "PAH associated with SSc",
            [("PAH", "Hypertension, Pulmonary"), ("SSc", "Scleroderma, Systemic")],
        ),
        ("confirmed progressive disease (PD)", "evidence of PD", []),
    ],
    ids=["a-misspelt-long-name-keeps-it", "a-shared-head-word-is-not-enough"],
)
def test_a_long_name_like_one_of_the_concepts_names_keeps_it(
    definition: str, use: str, expected: list[tuple[str, str]]
) -> None:
    text = f"Inclusion Criteria:\n\n* {definition}\n* {use}"
    assert _trial_conditions(text)[1] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("History of radiation pneumonitis requiring steroid therapy", ["steroid"]),
        ("Opioid overdose within the past year", []),
        ("Current moderate or severe cannabis use disorder", []),
        ("Diabetes mellitus, insulin dependent", ["insulin"]),
        ("Not recovered from chemotherapy-related toxicity", ["chemotherapy"]),
    ],
    ids=["radiation-pneumonitis", "overdose", "use-disorder", "dependent-on", "related-to"],
)
def test_a_therapy_naming_a_condition_is_no_treatment(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Enrolled in the treatment phase of another drug study", []),
        ("Completed induction therapy", ["induction therapy"]),
    ],
    ids=["generic-phase", "a-named-phase"],
)
def test_a_therapy_phase_is_read_by_its_names_only(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HCT comorbidity index below 3", []),
        ("Assessment by a radiation oncologist", []),
        ("Surgery performed within the Department of Neurological Surgery", ["Surgery"]),
        ("RADIOTHERAPY: Radiotherapy within 21 days", ["Radiotherapy"]),
        ("MONOCLONAL ANTIBODIES AND INVESTIGATIONAL DRUGS: none", []),
        ("Prior radiotherapy: at least 4 weeks", ["radiotherapy"]),
        ("Daily insulin units of at least 20", ["insulin"]),
    ],
    ids=[
        "scale",
        "specialist",
        "department-name",
        "heading-in-capitals",
        "joined-headings",
        "running-text-colon",
        "insulin-units",
    ],
)
def test_a_therapy_word_naming_a_scale_a_service_or_a_heading_is_no_treatment(
    text: str, expected: list[str]
) -> None:
    assert _treatments(text) == expected
