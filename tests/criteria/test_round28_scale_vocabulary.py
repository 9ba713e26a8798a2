"""Rules round 28: a shipped list of widely used rating scales — instruments that eligibility
criteria name with a bound across specialties, read on their own rows with their published
ranges rather than generically or not at all (issue 5). One sentence per specialty group."""

from __future__ import annotations

import pytest

from support import Bound, score_bounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # psychiatry and addiction
        ("Fagerström Test for Nicotine Dependence score ≥ 4", [("FTND", 4.0, None)]),
        ("CIWA-Ar > 8 at screening", [("CIWA-Ar", 8.0, None)]),
        # neurology and neuromuscular disease
        ("Quantitative Myasthenia Gravis score ≥ 11", [("QMG", 11.0, None)]),
        ("HFMSE ≥ 10 and ≤ 54", [("HFMSE", 10.0, 54.0)]),
        # geriatrics, cognition and nutrition
        ("Addenbrooke's Cognitive Examination-III < 88", [("ACE-III", None, 88.0)]),
        ("Nutritional Risk Screening 2002 score ≥ 3", [("NRS-2002", 3.0, None)]),
        # pain and function
        (
            "Disabilities of the Arm, Shoulder and Hand score of at least 30",
            [("QuickDASH", 30.0, None)],
        ),
        # rheumatology
        ("Birmingham Vasculitis Activity Score version 3 ≥ 3", [("BVAS", 3.0, None)]),
        # dermatology
        ("Peak Pruritus NRS ≥ 7 at baseline", [("Peak Pruritus NRS", 7.0, None)]),
        # urology and pelvic health
        ("NIH-CPSI total ≥ 15", [("NIH-CPSI", 15.0, None)]),
        # ENT and audiology
        ("Tinnitus Handicap Inventory ≥ 38", [("THI", 38.0, None)]),
        # ophthalmology
        (
            "Clinical Activity Score ≥ 4 in the more severe eye",
            [("Clinical Activity Score", 4.0, None)],
        ),
        # gastroenterology and hepatology
        ("Maddrey discriminant function ≥ 32", [("Maddrey", 32.0, None)]),
        ("partial Mayo score of 5 to 9", [("Partial Mayo", 5.0, 9.0)]),
        # cardiology
        ("STS-PROM ≥ 8%", [("STS score", 8.0, None)]),
        ("logistic EuroSCORE ≥ 20%", [("EuroSCORE II", 20.0, None)]),
        # pulmonology
        ("Childhood Asthma Control Test ≤ 19", [("C-ACT", None, 19.0)]),
        # critical care and infection severity
        ("National Early Warning Score ≥ 5", [("NEWS2", 5.0, None)]),
        ("WHO ordinal scale 3 to 5", [("WHO ordinal scale", 3.0, 5.0)]),
        # anaesthesia and surgery
        ("Revised Cardiac Risk Index ≥ 2", [("RCRI", 2.0, None)]),
        # paediatrics
        ("Westley croup score ≥ 3", [("Westley", 3.0, None)]),
        # oncology: symptoms, quality of life and prognosis
        ("Oncotype DX Recurrence Score ≤ 25", [("Oncotype DX", None, 25.0)]),
        ("HCT-CI > 3", [("HCT-CI", 3.0, None)]),
        ("Deauville score of 4 or 5", [("Deauville", 4.0, 5.0)]),
        # sleep
        ("STOP-Bang ≥ 5", [("STOP-Bang", 5.0, None)]),
        # obstetrics and gynaecology
        ("modified Ferriman-Gallwey ≥ 8", [("Ferriman-Gallwey", 8.0, None)]),
    ],
)
def test_a_widely_used_scale_reads_on_its_row(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Deauville score ≥ 6",  # beyond the five-point scale
        "ACE-III score > 120",  # beyond 100
    ],
)
def test_a_value_beyond_a_listed_scales_range_is_not_read(text: str) -> None:
    assert score_bounds(text) == []
