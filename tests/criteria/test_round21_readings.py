"""Round 21: negative ends of T- and Z-score ranges, a second scale named after a slash
("Karnofsky/Lansky"), new scales and spellings (SPMSQ, Baseline Dyspnea Index, "CHADS2VASc",
"WHO/NYHA-FC", "GOLD 2-3"), a lab named as one term of a ratio or as the end of a cardiac phase
("neutrophil-to-lymphocyte ratio", "end-diastolic diameter") not read as that lab, and new lab
rows and spellings (LVEDP, left atrial pressure, PRA, Plt, HgA1c, GGPT, ventricular rate)
(issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Have a T score between -1 and -2.49 at the femoral neck", [("T-score", -2.49, -1.0)]),
        ("BMD T-score between -1.0 and -2.5, or a hip T-score", [("T-score", -2.5, -1.0)]),
        ("lumbar spine T-score -1.0 to -2.5", [("T-score", -2.5, -1.0)]),
        ("height Z-score from -2 to +2", [("Z-score", -2.0, 2.0)]),
        ("osteopenia of the spine (T-score of -1.0 or lower)", [("T-score", None, -1.0)]),
        ("a T score of -2.5 or less at the hip", [("T-score", None, -2.5)]),
    ],
)
def test_a_negative_end_of_a_standard_score(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T-SCORE worse than -1.0", []),  # a negative value that a list cannot read
        ("SDMT z-score range (-2 to +1)", []),  # the SDMT's z-score, not bone density's
        ("ECOG 0-2", [("ECOG", 0.0, 2.0)]),  # a dash between values is no minus
        ("ECOG performance status -2 or less", [("ECOG", None, 2.0)]),
        ("T-score between 1 and 2", [("T-score", 1.0, 2.0)]),
    ],
)
def test_a_minus_is_read_only_where_the_scale_has_negative_values(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Karnofsky/Lansky score 50 or greater",
            [("Karnofsky", 50.0, None), ("Lansky", 50.0, None)],
        ),
        ("Lansky/Karnofsky ≥ 60%", [("Lansky", 60.0, None), ("Karnofsky", 60.0, None)]),
        ("Has WHO/NYHA-FC of II or III.", [("NYHA", 2.0, 3.0)]),
        ("WHO/NYHA functional class III or IV", [("NYHA", 3.0, 4.0)]),
        ("ECOG/KPS 0-1", [("ECOG", 0.0, 1.0)]),  # unlike scales: 0-1 is no Karnofsky bound
        ("performance status (ECOG/Karnofsky) of 0-1", [("ECOG", 0.0, 1.0)]),
    ],
)
def test_scales_joined_by_a_slash(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "defined as score = 5 on the Short Portable Mental Status Questionnaire",
            [("SPMSQ", 5.0, 5.0)],
        ),
        ("SPMSQ score of 3 or more errors", [("SPMSQ", 3.0, None)]),
        ("Baseline Dyspnea Index focal score <or= 8", [("Baseline Dyspnea Index", None, 8.0)]),
        ("Mahler Baseline Dyspnoea Index ≤ 6", [("Baseline Dyspnea Index", None, 6.0)]),
        ("Patient with a CHADS2VASC score =2", [("CHA2DS2-VASc", 2.0, 2.0)]),
        ("CHA2DS2VASc score of 3 or more", [("CHA2DS2-VASc", 3.0, None)]),
        ("FEV1 30 - 79% of predicted (GOLD 2-3)", [("GOLD", 2.0, 3.0)]),
        ("COPD GOLD > 2", [("GOLD", 2.0, None)]),
    ],
)
def test_scales_and_spellings_new_in_round_21(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the Gold score of hypoglycaemia awareness keeps its own name, off the GOLD stages
        ("Hypoglycemia unawareness defined by Gold score ≥ 4", [("Gold", 4.0, None)]),
        ("BDI score > 13", [("BDI-II", 13.0, None)]),  # BDI stays the Beck inventory
        ("SPMSQ score of 12", []),  # off the 0-10 scale
        ("A Fib-4 score > 3.25 is exclusionary", [("FIB-4", 3.25, None)]),  # a short form still
    ],
)
def test_short_forms_of_the_new_scales_keep_their_meaning(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "heart failure New York Heart Association Grade III/IV, COPD GOLD > 2, chronic kidney",
            [("NYHA", 3.0, 4.0), ("GOLD", 2.0, None)],
        ),
        ("ECOG, Karnofsky ≥ 70", [("Karnofsky", 70.0, None)]),
        (
            "Karnofsky performance status or Lansky ≥ 50",
            [("Karnofsky", 50.0, None), ("Lansky", 50.0, None)],
        ),
        (
            "T-score equal to or below -2.5 at the spine OR T-score equal to or below -2.0",
            [("T-score", None, -2.5), ("T-score", None, -2.0)],
        ),
    ],
)
def test_a_value_after_another_scale_is_that_scales(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "neutrophil-to-lymphocyte ratio ≥ 3",
        "platelet to lymphocyte ratio > 150",
        "AST to platelet ratio index (APRI) > 1.5",
        "AST/ALT ratio > 2",
        "BUN to creatinine ratio > 20",
        "albumin to globulin ratio < 1",
        "LV end-diastolic diameter > 55 mm",
        "left ventricular end-systolic diameter = 45 mm",
    ],
)
def test_a_term_of_a_ratio_or_a_cardiac_phase_is_no_lab(text: str) -> None:
    assert lab_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("urine protein-to-creatinine ratio > 2 g/g", [("upcr", 2.0, None)]),
        ("FEV1/FVC ratio < 0.7", [("fev1_fvc", None, 0.7)]),
        ("AST/ALT > 3 x ULN", [("ast", 3.0, None), ("alt", 3.0, None)]),
        ("diastolic > 100 mmHg", [("dbp", 100.0, None)]),
        ("systolic blood pressure > 160 mmHg at the end of the infusion", [("sbp", 160.0, None)]),
    ],
)
def test_listed_ratios_and_plain_pressures_are_still_read(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "mean left atrial pressure or left ventricular end-diastolic pressure ≤15 mmHg",
            [("left_atrial_pressure", None, 15.0), ("lv_end_diastolic_pressure", None, 15.0)],
        ),
        ("LVEDP > 18 mmHg at catheterization", [("lv_end_diastolic_pressure", 18.0, None)]),
        ("Sensitization (i.e. PRA >20%)", [("panel_reactive_antibody", 20.0, None)]),
        ("calculated PRA ≥ 80%", [("panel_reactive_antibody", 80.0, None)]),
        ("plasma renin activity (PRA) > 2 ng/mL/h", []),  # not a per cent: no PRA of a panel
        ("Thrombocytopenia (Plt < 50,000/mm3)", [("platelets", None, 50000.0)]),
        ("Screening HgA1c blood test > 10.0", [("hba1c", 10.0, None)]),
        ("poorly controlled diabetes (Hb1Ac>8.5)", [("hba1c", 8.5, None)]),
        ("GGPT > 2.5 x ULN", [("ggt", 2.5, None)]),
        ("ventricular response rate > 100 bpm", [("heart_rate", 100.0, None)]),
        ("arrhythmia with ventricular rate less than 60 bpm", [("heart_rate", None, 60.0)]),
    ],
)
def test_lab_rows_and_spellings_new_in_round_21(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected
