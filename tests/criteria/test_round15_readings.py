"""Round 15: performance status named by a cooperative group in the PDQ layout, a scale's values
on a wrapped line, Gleason scores written as sums, HER2 immunohistochemistry scores, the
alveolar-arterial oxygen gradient, the share of the liver replaced by tumour, the Rancho Los
Amigos levels, three lab spellings and "must not be more than" (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds

A_A_GRADIENT = "alveolar_arterial_gradient"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Performance status: WHO 0-2", [("ECOG", 0.0, 2.0)]),
        ("Performance status: CCG 0-2", [("ECOG", 0.0, 2.0)]),
        ("Performance status - POG 0 or 1", [("ECOG", 0.0, 1.0)]),
        (
            "PATIENT CHARACTERISTICS: Age: 18 to 75 Performance status: WHO 0-1 Life expectancy: "
            "Not specified Hematopoietic: Not specified",
            [("ECOG", 0.0, 1.0)],
        ),
        # the field's value as a bullet of its own
        ("WHO 0-2", [("ECOG", 0.0, 2.0)]),
        ("WHO 0-1 OR", [("ECOG", 0.0, 1.0)]),
        ("CCG 0, 1, or 2", [("ECOG", 0.0, 2.0)]),
    ],
)
def test_group_named_performance_status_is_ecog(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "WHO grade 0-2",  # a grade, not a performance status
        "WHO grade II-III glioma",
        "No WHO 0-2",  # more than the field's value
        "WHO 60-100%",
        "CTC 0-4",  # alone, CTC may count circulating tumour cells
        "Performance status: who 0-2",  # the group's name is written in capitals
        # an unnamed performance status outside the PDQ field stays unread (rounds 9 and 12)
        "Patients must have a performance status of 0, 1 or 2",
        "Performance status of 0 to 2",
        "Performance status: WHO grade 2",
        # a comparator before a range: not "at most 0"
        "Performance status of =< 0-2",
        "Performance status: =< 0-2",
    ],
)
def test_who_outside_a_performance_status_field_is_no_score(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Performance status: Karnofsky\r\n        70-100% Life expectancy: At least 8 weeks",
            [("Karnofsky", 70.0, 100.0)],
        ),
        (
            "Karnofsky 70-100% Zubrod\r\n        0-2 Life expectancy",
            [
                ("Karnofsky", 70.0, 100.0),
                ("ECOG", 0.0, 2.0),
            ],
        ),
        (
            "Cancer and Leukemia Group B (CALGB) Performance Status (PS)\r\n        0, 1, or 2.",
            [("ECOG", 0.0, 2.0)],
        ),
        # a numbered item on the next line is not the scale's value
        ("ECOG\r\n 2. No prior chemotherapy", []),
        ("Karnofsky\r\n        Hematopoietic: 3-4", []),
    ],
)
def test_values_on_the_line_after_the_scale(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gleason score 4+3", [("Gleason", 7.0, 7.0)]),
        ("Gleason 3 + 4 = 7", [("Gleason", 7.0, 7.0)]),
        ("Gleason score ≥ 4+3", [("Gleason", 7.0, None)]),
        ("Gleason sum 4+4, 4+5 or 5+4", [("Gleason", 8.0, 9.0)]),
        ("Primary Gleason pattern 5 (Gleason score 5+4 or 5+5)", [("Gleason", 9.0, 10.0)]),
        ("Gleason Score 4+4 or 4+5 OR PSA 20", [("Gleason", 8.0, 9.0)]),
        # the total written first keeps its reading
        ("Gleason score 7 (4+3)", [("Gleason", 7.0, 7.0)]),
        # a pattern is one term of the score, not the score; a first term alone is no score
        ("Gleason pattern 4 or 5", []),
        ("Gleason score ≤ 3+4 or 4+3", []),
        ("Gleason 4+3+2", []),
        # a "+ 1" after another scale's value is no sum
        ("BMI >27 +1 weight-related comorbidity", [("BMI", 27.0, None)]),
    ],
)
def test_gleason_sums_read_as_totals(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cohort A: solid tumors that are HER2 IHC 3+", [("HER2 IHC", 3.0, 3.0)]),
        ("endometrial cancer that is HER2 IHC 2+ or 1+.", [("HER2 IHC", 1.0, 2.0)]),
        (
            "HER2-positive (IHC 3+ or IHC 2+ with ISH positive)",
            [("HER2 IHC", 3.0, 3.0), ("HER2 IHC", 2.0, 2.0)],
        ),
        ("HER2-negative (IHC zero, 1+, 2+/ISH-)", [("HER2 IHC", 0.0, 2.0)]),
        (
            "erbB-2 overexpression by IHC (defined as IHC3+, or IHC2+ with FISH)",
            [("HER2 IHC", 3.0, 3.0), ("HER2 IHC", 2.0, 2.0)],
        ),
        ("HER-2/neu overexpression (3+ by immunohistochemistry OR FISH)", [("HER2 IHC", 3.0, 3.0)]),
        (
            "Overexpression of HER2 protein (2+ or 3+ by immunohistochemistry)",
            [("HER2 IHC", 2.0, 3.0)],
        ),
        (
            "overexpress HER2 as shown by greater than or equal to 2+ immunohistochemical staining",
            [("HER2 IHC", 2.0, None)],
        ),
        (
            "HER2-positive; immunohistochemistry requires a strongly positive (3+) staining score",
            [("HER2 IHC", 3.0, 3.0)],
        ),
        (
            "Expression of +1 to 3+ HER2/neu on immunohistochemical staining",
            [("HER2 IHC", 1.0, 3.0)],
        ),
    ],
)
def test_her2_immunohistochemistry_scores(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "MET (IHC) expression of 1+, 2+, or 3+ as determined by the central laboratory",
        "interpalpebral staining greater than or equal to 3+ or corneal staining",
        "PD-L1 IHC 22C3 pharmDx; HER2 negative",
        "HER2: 20 by IHC",  # the "0" of 20
        "HER2 13+ by IHC",
    ],
)
def test_plus_scores_of_other_markers_are_not_her2(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Packed Cell Volume (PCV) >21%.", [("hematocrit", 21.0, None)]),
        ("packed cell volume at least 30%", [("hematocrit", 30.0, None)]),
        (
            "On a room air ABG, the PO2 value greater than or equal to 70 mm Hg",
            [("pao2", 70.0, None)],
        ),
        ("arterial pO2 < 60 torr without other cause", [("pao2", None, 60.0)]),
        ("Resting PO2 at least 80 mm Hg", [("pao2", 80.0, None)]),
        ("FEV_1 ≥ 60% of predicted for patients", [("fev1", 60.0, None)]),
        ("fall in FEV_1 of ≥ 20% after methacholine", []),  # a change, not a level
    ],
)
def test_packed_cell_volume_po2_and_fev_1(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_po2_is_not_read_inside_spo2() -> None:
    assert lab_bounds("SpO2 ≥ 92% on room air") == [("oxygen_saturation", 92.0, None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patients must have an (A-a) DO2 < 40 mmHg on room air.", [(A_A_GRADIENT, None, 40.0)]),
        ("Ventilator dependence or (A-a) DO2 = > 30 mm Hg.", [(A_A_GRADIENT, 30.0, None)]),
        (
            "Resting (A-a) DO2 < 30 torr on room air or resting (A-a) DO2 = or < 55 torr",
            [(A_A_GRADIENT, None, 30.0), (A_A_GRADIENT, None, 55.0)],
        ),
        ("Resting (A-a)DO2 < 30 torr", [(A_A_GRADIENT, None, 30.0)]),
        ("the (A-a) DO2\r\n   less than 35 mm Hg.", [(A_A_GRADIENT, None, 35.0)]),
        ("A-a gradient > 35 mmHg", [(A_A_GRADIENT, 35.0, None)]),
        ("alveolar-arterial gradient of at least 45 mm Hg", [(A_A_GRADIENT, 45.0, None)]),
        (
            "Resting alveolar-arterial oxygen differences = or > 30 mm Hg",
            [(A_A_GRADIENT, 30.0, None)],
        ),
        # a change, and "a gradient" alone, are not the quantity's level
        ("rapid deterioration in (A-a)DO2 and chest radiograph", []),
        ("a gradient > 35 mmHg", []),
    ],
)
def test_alveolar_arterial_oxygen_gradient(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patients with extensive liver replacement (greater than 50%) by tumor", [(50.0, None)]),
        ("Liver tumor replacement should be less than 50% total liver surface.", [(None, 50.0)]),
        ("Liver tumor replacement\r\n must not be more than 40% by volume", [(None, 40.0)]),
    ],
)
def test_share_of_the_liver_replaced_by_tumour(
    text: str, expected: list[tuple[float | None, float | None]]
) -> None:
    assert lab_bounds(text) == [("liver_tumor_replacement", low, high) for low, high in expected]


def test_liver_involvement_alone_stays_a_subgroup_condition() -> None:
    """ "Liver involvement" names no quantity: in "5 × ULN if liver involvement" it is the
    condition of a subgroup's bound, so it is not a synonym of the replaced share."""
    assert lab_bounds("AST ≤ 3 × ULN (≤ 5 × ULN if liver involvement)") == [
        ("ast", None, 3.0),
        ("ast", None, 5.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("creatinine must not be more than 1.5 mg/dL", [("creatinine", None, 1.5)]),
        ("creatinine should not be greater than 1.5 mg/dL", [("creatinine", None, 1.5)]),
        ("DLCO must not be less than 65% predicted.", [("dlco", 65.0, None)]),
        ("platelets must not be below 100,000/mm3", [("platelets", 100000.0, None)]),
        ("hemoglobin should not be less than or equal to 8 g/dL", [("hemoglobin", 8.0, None)]),
    ],
)
def test_a_negated_be_comparator_keeps_its_direction(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_a_negated_be_comparator_on_a_score() -> None:
    assert score_bounds("ECOG must not be greater than 2") == [("ECOG", None, 2.0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("traumatic brain injury (Ranchos Los Amigos Scale class of 1-8)", [(1.0, 8.0)]),
        (
            "scores of less than 7 on the Rancho Los Amigos\r\n Scale of Cognitive Functioning",
            [(None, 7.0)],
        ),
        ("Rancho Los Amigos level ≥ 4", [(4.0, None)]),
        ("Rancho Los Amigos level 12", []),  # beyond the scale's ten levels
    ],
)
def test_rancho_los_amigos_levels(
    text: str, expected: list[tuple[float | None, float | None]]
) -> None:
    assert score_bounds(text) == [("Rancho Los Amigos", low, high) for low, high in expected]
