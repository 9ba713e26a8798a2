"""Issue 5, round 3: the treatment and condition false positives fixed by rules and word lists.

Each case is a cause seen in ``labelled/ctgov_round3_treatment.json`` or the tuning half of
``ctgov_dev.json``, written as a short criterion of the same shape; each asserts the exact
condition and treatment mentions read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trialfinder.criteria.constraints import ConditionConstraint, TreatmentConstraint
from trialfinder.criteria.evaluate import load_labels, occurrences
from trialfinder.criteria.parser import parse_criterion

LABELS = Path(__file__).parent / "labelled" / "ctgov_round3_treatment.json"


def mentions(text: str) -> list[tuple[str, str]]:
    """Return (kind, text) of each condition and treatment read from ``text``, in order."""
    out = []
    for constraint in parse_criterion(text):
        if isinstance(constraint, ConditionConstraint):
            out.append(("condition", constraint.text))
        elif isinstance(constraint, TreatmentConstraint):
            out.append(("treatment", constraint.text))
    return out


CASES = [
    # NCI PDQ headings name the topic of what follows, not a therapy the patient had.
    (
        "pdq_headings",
        "PRIOR CONCURRENT THERAPY: Biologic therapy: Not specified Chemotherapy: At least 4 weeks"
        " since chemotherapy Endocrine therapy: Not specified Radiotherapy: Not specified"
        " Surgery: Not specified",
        [("treatment", "chemotherapy")],
    ),
    (
        "running_text_colon_kept",
        "Prior chemotherapy: at least 4 weeks since the last dose",
        [("treatment", "chemotherapy")],
    ),
    # A disease before the therapy's name says what the therapy is for.
    (
        "cancer_chemotherapy",
        "Scheduled to receive highly emetogenic cancer chemotherapy regimens",
        [("treatment", "chemotherapy")],
    ),
    (
        "influenza_vaccine",
        "Pneumococcal and annual influenza vaccine will be given.",
        [("treatment", "vaccine")],
    ),
    (
        "chemotherapy_naive_keeps_condition",
        "Chemotherapy-naive NSCLC",
        [("treatment", "Chemotherapy"), ("condition", "NSCLC")],
    ),
    # A procedure is not a condition; its recipient is.
    (
        "transplantation_is_a_procedure",
        "Availability of both pre- and post-transplantation disease status records.",
        [("treatment", "transplantation")],
    ),
    (
        "solid_organ_transplant",
        "History of solid organ transplant",
        [("treatment", "solid organ transplant")],
    ),
    (
        "transplant_recipient",
        "Solid organ transplant recipient",
        [("condition", "Solid organ transplant recipient")],
    ),
    # Words that say how a therapy is given, not which one.
    (
        "continuous_therapy",
        "For previously untreated patients as continuous therapy with or without obinutuzumab",
        [("treatment", "obinutuzumab")],
    ),
    # A drug or protein named as a lab test, a code book, a sample's source.
    ("lab_level", "Lithium levels within the therapeutic range", []),
    ("icd_code", "ICD-10 diagnosis Z73", []),
    (
        "biopsy_for_biomarkers",
        "Has evaluable core or excisional lymph node biopsy for biomarker analysis",
        [],
    ),
    ("tissue_blocks", "Tumor tissue blocks must be available", []),
    ("surgery_performed_kept", "Surgery performed within 4 weeks", [("treatment", "Surgery")]),
    (
        "sentinel_node_biopsy_is_surgery",
        "Must have undergone lumpectomy and sentinel lymph node biopsy",
        [("treatment", "lumpectomy"), ("treatment", "sentinel lymph node biopsy")],
    ),
    # "anti-HIV" names the therapy's target, not the patient's infection.
    ("anti_hiv", "No previous anti-HIV treatment", [("treatment", "anti-HIV treatment")]),
    # Generic words with a time word only, and an adjective, are not mentions of their own.
    ("prior_therapy_alone", "Relapsed after prior therapy or supportive care", []),
    (
        "metastatic_adjective",
        "Locally advanced or metastatic non-small cell lung cancer",
        [("condition", "non-small cell lung cancer")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mentions(text: str, expected: list[tuple[str, str]]) -> None:
    assert mentions(text) == expected


def test_round3_labels_name_text_in_their_criterion() -> None:
    """Every condition and treatment label of the round-3 file occurs in its criterion."""
    items = load_labels(LABELS)
    missing = [
        (item.nct_id, label.text)
        for item in items
        for label in item.expected
        if label.kind in {"condition", "treatment"} and not occurrences(label.text or "", item.text)
    ]
    assert (len(items), {item.split for item in items}, missing) == (264, {"tuning"}, [])
