"""Issue 5, session 10: condition and treatment readings in lab- and score-heavy criteria.

A biopsy named with what it showed, "surgically" beside a word of resectability, a therapy said
to be completed and names of organisations are no treatment or condition of the patient; a
"non-" written onto a mention negates it; cytopenias and sarcomas are conditions.
"""

from __future__ import annotations

import pytest

from trialfinder.criteria.constraints import ConditionConstraint, TreatmentConstraint
from trialfinder.criteria.parser import parse_criterion


def _treatments(text: str) -> list[str]:
    return [c.text for c in parse_criterion(text) if isinstance(c, TreatmentConstraint)]


def _conditions(text: str) -> list[tuple[str, str, bool]]:
    return [
        (c.text, c.concept, c.negated)
        for c in parse_criterion(text)
        if isinstance(c, ConditionConstraint)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Histopathology: Lip biopsy showing focal lymphocytic sialadenitis", []),
        ("Must have a renal biopsy showing active WHO Class III or IV lupus nephritis", []),
        ("A liver biopsy demonstrating significant liver scarring.", []),
        ("Temporal artery biopsy confirming GCA", []),
        ("Prior liver biopsy compatible with diagnosis of PBC", []),
        ("a bone marrow biopsy done within 4 weeks showing less than 5% blasts", []),
        ("prostate biopsies revealing Gleason 7 adenocarcinoma", []),
        ("willing to undergo a tumor biopsy", ["tumor biopsy"]),
        ("prior liver biopsy within 6 months", ["biopsy"]),
        ("Patients who had a mastectomy and a biopsy showing recurrence", ["mastectomy"]),
    ],
    ids=[
        "lip-biopsy-showing",
        "renal-biopsy-showing",
        "demonstrating",
        "confirming",
        "compatible-with",
        "words-between",
        "plural-revealing",
        "biopsy-to-undergo-stays",
        "biopsy-history-stays",
        "operation-before-and-stays",
    ],
)
def test_a_biopsy_named_with_its_finding_is_no_treatment(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("locally advanced (surgically unresectable) or metastatic", []),
        ("advanced sarcoma that is metastatic or incurable surgically", []),
        ("Locally advanced or distant metastatic disease surgically incurable", []),
        ("surgically inoperable tumour", []),
        ("surgically removed tumor", ["surgically"]),
        ("unresectable disease treated surgically before", ["surgically"]),
    ],
    ids=[
        "surgically-unresectable",
        "incurable-surgically",
        "surgically-incurable",
        "surgically-inoperable",
        "surgically-removed-stays",
        "treated-surgically-stays",
    ],
)
def test_surgically_beside_resectability_is_no_treatment(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Patients are not considered to have active malignancy if they have completed therapy",
            [],
        ),
        ("must have completed treatment at least 4 weeks before", []),
        ("must have completed curative antiviral therapy", ["antiviral therapy"]),
        ("completed hormone therapy 6 months ago", ["hormone therapy"]),
        ("must have completed chemotherapy", ["chemotherapy"]),
    ],
    ids=["completed-therapy", "completed-treatment", "class-kept", "hormone", "named-drug-kept"],
)
def test_completed_therapy_is_generic(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Performance status must be Cancer and Leukemia Group B (CALGB) Performance Status"
            " (PS) 0, 1, or 2.",
            [],
        ),
        (
            "renal disease marked by eGFR < 40 mL/min/1.73 m2 (as defined by Kidney Disease"
            " Improving Global Outcomes guidelines).",
            ["renal disease"],
        ),
        ("diagnosis of asthma (according to Global Initiative for Asthma (GINA) 2021)", ["asthma"]),
        ("Diagnosis of PAH Group A", ["PAH"]),
        ("History of Asthma and COPD", ["Asthma", "COPD"]),
    ],
    ids=[
        "lettered-group",
        "guideline-outcomes",
        "initiative-for",
        "one-word-group-stays",
        "capitalised-list-stays",
    ],
)
def test_a_condition_inside_an_organisation_name_is_none(text: str, expected: list[str]) -> None:
    assert [mention for mention, _, _ in _conditions(text)] == expected


@pytest.mark.parametrize(
    ("text", "mention", "negated"),
    [
        ("Healthy non-smokers", "smokers", True),
        ("Non-smoker for a minimum of 6 months.", "smoker", True),
        ("Fit, non-obese (BMI under 30)", "obese", True),
        ("non diabetic adults", "diabetic", True),
        ("No concurrent malignancy other than non-melanoma skin carcinoma", "melanoma", True),
        ("obese adults", "obese", False),
        ("non-small cell lung cancer", "non-small cell lung cancer", False),
        ("canon obesity", "obesity", False),
    ],
)
def test_a_non_prefix_negates_its_mention(text: str, mention: str, negated: bool) -> None:
    readings = {
        c.text: c.negated for c in parse_criterion(text) if isinstance(c, ConditionConstraint)
    }
    assert readings[mention] is negated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thrombocytopenia (platelet count less than 100,000/mm3).", ["Thrombocytopenia"]),
        (
            "Hematopoietic: Granulocytopenia, anemia, and/or thrombocytopenia allowed",
            ["Neutropenia", "Anemia", "Thrombocytopenia"],
        ),
        ("grade 3 febrile neutropenia or leukopenia", ["Neutropenia", "Leukopenia"]),
        ("Diagnosis of soft tissue sarcoma of the extremity", ["Sarcoma"]),
        ("Overweight or obese (BMI > 25 kg/m2)", ["Overweight", "Obesity"]),
    ],
)
def test_cytopenias_sarcoma_and_overweight_are_conditions(text: str, expected: list[str]) -> None:
    assert [concept for _, concept, _ in _conditions(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Optimally dialyzed (urea reduction ratio greater than 65%)", ["dialyzed"]),
        ("Prior surgeries at any level of the lumbar spine", ["surgeries"]),
    ],
)
def test_dialyzed_and_surgeries_are_treatments(text: str, expected: list[str]) -> None:
    assert _treatments(text) == expected
