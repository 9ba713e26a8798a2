"""Round 10 of issue 5 (labels: ctgov_round5.json, a fresh sample labelled before any parser
run): the classes of error that sample showed, one test per reading, each text a real wording
from the shared ClinicalTrials.gov data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readings import conditions, labs, treatments
from trialfinder.criteria.constraints import (
    ConditionConstraint,
    TreatmentConstraint,
)
from trialfinder.criteria.evaluate import KINDS, load_labels, occurrences
from trialfinder.criteria.parser import parse_criterion

LABELLED = Path(__file__).parent / "labelled" / "ctgov_round5.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Contraception is a pregnancy statement, not a treatment.
        (
            "Subjects who are on oral contraceptives need to discontinue the medication for "
            "1-2 days before the clamp study.",
            [],
        ),
        (
            "Women of childbearing potential should use effective non-hormonal contraception "
            "during treatment",
            [],
        ),
        # This study's own product is no treatment; another trial's investigational drug is.
        ("within 3 months following the last dose of the investigational product", []),
        (
            "Other investigational drugs including ganciclovir.",
            ["investigational drugs", "ganciclovir"],
        ),
        # Radiation that the study's imaging exposes a participant to is no therapy.
        (
            "Infants and children under age 3 will be excluded due to radiation risk on the "
            "developing visual system.",
            [],
        ),
        (
            "Pregnancy will exclude participation due to the radiation exposure involved in "
            "this protocol.",
            [],
        ),
        # Names of drugs, regimens and operations the lists lacked.
        (
            "Current treatment with intravenous immune globulin (IVIG), CMV immune globulin "
            "(CMVIG), alpha-interferon (alpha-IFN), gamma-interferon (gamma-IFN) or "
            "interleukin-2 (IL-2)",
            [
                "intravenous immune globulin (IVIG)",
                "CMV immune globulin (CMVIG)",
                "alpha-interferon (alpha-IFN)",
                "gamma-interferon (gamma-IFN)",
                "interleukin-2 (IL-2)",
            ],
        ),
        (
            "Dideoxyinosine (ddI) and other antiretroviral available via expanded access programs",
            ["Dideoxyinosine (ddI)", "antiretroviral"],
        ),
        ("Qualifying indications for AZT therapy.", ["AZT"]),
        ("At least 8 weeks since prior epoetin alfa", ["epoetin alfa"]),
        ("Patient has used Latanoprost within two weeks prior to enrollment", ["Latanoprost"]),
        ("Radical prostatectomy performed within 90 days of enrollment", ["Radical prostatectomy"]),
        ("require isolated CABG with median sternotomy", ["CABG", "median sternotomy"]),
        (
            "At least 48 hours since drugs other than acetaminophen, ibuprofen, and aspirin",
            ["acetaminophen", "ibuprofen", "aspirin"],
        ),
        (
            "Immunomodulators (such as corticosteroids or interferons).",
            ["Immunomodulators", "corticosteroids", "interferons"],
        ),
        (
            "Recommended regimens: CMF (cyclophosphamide/methotrexate/fluorouracil) CEF",
            ["CMF (cyclophosphamide/methotrexate/fluorouracil)", "CEF"],
        ),
        ("an adverse event due to general anesthesia", ["general anesthesia"]),
        # "<condition> medication" is a drug class, not the condition.
        ("Daily asthma medication", ["asthma medication"]),
        ("Diabetic Medication", ["Diabetic Medication"]),
        (
            "Cannot use within 24 hours: anti-histamines or allergy medications.",
            ["anti-histamines", "allergy medications"],
        ),
    ],
)
def test_treatments(text: str, expected: list[str]) -> None:
    assert treatments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A condition naming a drug class or a drug is no condition of the patient.
        (
            "Use of one of more additional daily maintenance asthma controller medications "
            "according to standard practice of care is required.",
            [],
        ),
        (
            "Regularly prescribed medications (such as antipyretics, analgesics, allergy "
            "medications) that are associated with an increased risk of pancreatitis",
            ["pancreatitis"],
        ),
        ("Cytomegalovirus hyperimmune globulin in therapeutic doses.", []),
        # A condition named as a risk is not one the patient has.
        (
            "a minimum projected 5 year probability of invasive breast cancer of at least "
            "1.66%, using Breast Cancer Risk Assessment Profile",
            ["breast cancer"],
        ),
        (
            "the investigator considers that it may cause hemorrhage risk.",
            [],
        ),
    ],
)
def test_conditions(text: str, expected: list[str]) -> None:
    assert conditions(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "after" / "following" end a negation's scope: the therapy took place.
        (
            "No resistant or refractory lymphoma (no partial response following up to 3 "
            "courses of combination chemotherapy)",
            [("lymphoma", True), ("chemotherapy", False)],
        ),
        (
            "Must have optimal disease defined as no residual lesions after resection",
            [("resection", False)],
        ),
        ("No chemotherapy after surgery", [("chemotherapy", True), ("surgery", False)]),
        # "the following" introduces a list; the negation runs on.
        (
            "Must not have current or anticipated future need for the following anticonvulsants:",
            [("anticonvulsants", True)],
        ),
        # A negation written after its scope is not cut: both are ruled out.
        (
            "Surgery after chemotherapy not allowed",
            [("Surgery", True), ("chemotherapy", True)],
        ),
    ],
)
def test_negation_scope(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [
        (c.text, c.negated)
        for c in parse_criterion(text)
        if isinstance(c, ConditionConstraint | TreatmentConstraint)
    ] == expected


def test_a_plan_after_an_event_stays_a_plan() -> None:
    """The words "after" and "following" end only a negation's scope, not a plan's."""
    text = (
        "or planned organ transplant within 6 months following randomisation "
        "(including kidney transplant)."
    )
    assert [
        (c.text, c.temporality) for c in parse_criterion(text) if isinstance(c, TreatmentConstraint)
    ] == [("organ transplant", "hypothetical"), ("kidney transplant", "hypothetical")]


def test_fbs_is_fasting_glucose() -> None:
    text = "two verifiable FBS test results of 140 mg/dl or above"
    assert labs(text) == [("glucose", 140.0, None)]


def test_round5_file_is_labelled_for_every_item() -> None:
    items = load_labels(LABELLED)
    raw = json.loads(LABELLED.read_text())
    assert (len(items), len({item.nct_id for item in items})) == (300, 300)
    assert [item.split for item in items] == ["tuning"] * 200 + ["held_out"] * 100
    assert {label.kind for item in items for label in item.expected} <= set(KINDS)
    assert "random.Random(2040)" in raw["description"]
    assert "random.Random(2041)" in raw["description"]
    # Every condition and treatment label names text that is in its criterion.
    assert all(
        occurrences(label.text or "", item.text)
        for item in items
        for label in item.expected
        if label.kind in {"condition", "treatment"}
    )
