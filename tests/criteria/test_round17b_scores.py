"""Round 17b: a BMI's unit written between its values or before "or more", unlisted scales named
by a short form beside their long name in a bracket or by a long name alone, a listed scale's
short form after a long name and a value, the VAS written after its value in millimetres and its
"visual analog(ue) score" spelling, and "RT" of "RT-PCR" (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, score_bounds
from trialfinder.criteria.constraints import TreatmentConstraint
from trialfinder.criteria.parser import parse_criterion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BMI of 30.0 kg/m2 or more.", [("BMI", 30.0, None)]),
        ("body mass index of 27 kilograms per square metre or higher", [("BMI", 27.0, None)]),
        (
            "Body mass index (BMI) between 23.0 kilogram per meter square (kg/m\\^2) and 39.9 "
            "kg/m\\^2 (both inclusive) at screening",
            [("BMI", 23.0, 39.9)],
        ),
        (
            "Body mass index (BMI) of 18.0 kilograms per meter squared (kg/m\\^2) through 32.0 "
            "kg/m\\^2, inclusive.",
            [("BMI", 18.0, 32.0)],
        ),
        ("BMI 18 kg/m2 to 30 kg/m2", [("BMI", 18.0, 30.0)]),
        ("BMI between 18.5 kg/m² and 30 kg/m²", [("BMI", 18.5, 30.0)]),
        ("BMI 19 kg/m(2) - 32 kg/m(2) and ECOG 0-1", [("BMI", 19.0, 32.0), ("ECOG", 0.0, 1.0)]),
    ],
)
def test_a_bmi_unit_between_values_or_before_a_direction(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


def test_a_bmi_with_its_unit_and_no_direction_is_no_bound() -> None:
    assert score_bounds("BMI 30 kg/m2 at screening") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HCT comorbidity index (HCT-CI) \\<5", [("HCT-CI", None, 5.0)]),
        ("Drug Abuse Screening Test-10 (DAST-10) (score greater than 2)", [("DAST-10", 2.0, None)]),
        (
            "Birmingham Vasculitis Activity Score (BVAS) score 3 or greater within 28 days",
            [("BVAS", 3.0, None)],
        ),
        ("a Nottingham Prognostic Index (NPI) of \\> 5.4", [("NPI", 5.4, None)]),
        ("a Gastroparesis Cardinal Symptom Index (GCSI) of \\>2.", [("GCSI", 2.0, None)]),
        ("Fatigue Severity Scale (FSS) score of at least 36", [("FSS", 36.0, None)]),
        (
            "MDAS [Memorial Delirium Assessment Scale] < 13 (13 or above: delirium)",
            [("MDAS", None, 13.0)],
        ),
        ("GCSI (Gastroparesis Cardinal Symptom Index) of 2 or more", [("GCSI", 2.0, None)]),
    ],
)
def test_an_unlisted_scale_named_by_its_short_form(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Oxygenation Index (OI) greater than 15 and less than 25",  # a measurement
        "have an oxygenation index (OI) > 15",
        "OI (oxygenation index) > 15",
        "absolute neutrophil count (ANC) ≥ 1500/µL",
        "Quality of life questionnaire (QLQ-C30) 30 days before surgery",
        "MDAS [Memorial Delirium Assessment Scale] at baseline",
    ],
)
def test_no_short_form_reading_without_a_scale_or_a_bound(text: str) -> None:
    assert [b for b in score_bounds(text) if b[0] != "BMI"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Evidence of active disease as defined by a Vasculitis Disease Activity Index of\r\n"
            "             greater than or equal to 3.",
            [("Vasculitis Disease Activity Index", 3.0, None)],
        ),
        (
            "Western Ontario Shoulder Instability Index below 50",
            [("Western Ontario Shoulder Instability Index", None, 50.0)],
        ),
        (
            "Fear Avoidance Beliefs Questionnaire must be 15 or higher",
            [("Fear Avoidance Beliefs Questionnaire", 15.0, None)],
        ),
        ("Glasgow Coma Scale of 8 or less", [("GCS", None, 8.0)]),  # a listed scale keeps its name
    ],
)
def test_an_unlisted_scale_named_in_full(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Oxygenation Index greater than 15",  # two words: a measurement's name
        "Vasculitis Disease Activity Index at baseline",
        "a vasculitis disease activity index of 3 or more",  # not a name in capitals
    ],
)
def test_no_long_name_reading_without_a_name_or_a_bound(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a score of ≥ 10 on the Patient Health Questionnaire (PHQ-9)", [("PHQ-9", 10.0, None)]),
        (
            "scores of 20 or more on the Montgomery Depression Scale (MADRS)",
            [("MADRS", 20.0, None)],
        ),
        ("at least 3 on the Rankin (mRS)", [("mRS", 3.0, None)]),
    ],
)
def test_a_listed_short_form_after_a_long_name_and_a_value(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Severity of radicular pain with Visual Analog Score of at least 4/10",
            [("VAS", 4.0, None)],
        ),
        ("pain of at least 30 mm on a 100 mm visual analogue scale", [("VAS", 30.0, None)]),
        ("pain ≥ 40 mm on a 100-mm VAS", [("VAS", 40.0, None)]),
        ("at least 40 on a 100-point pain visual analog scale", [("VAS", 40.0, None)]),
        ("Severity rating at least 20 mm on a 100 mm visual analog scale", [("VAS", 20.0, None)]),
    ],
)
def test_the_vas_after_its_value_and_its_score_spelling(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "low back pain between 40 and 80 point on 100mm pain visual analogue scale",
            [("VAS", 40.0, 80.0)],
        ),
        ("a score of 15 to 25 on the MADRS", [("MADRS", 15.0, 25.0)]),
        ("scores between 10 and 20 on the Hamilton Depression Scale", [("HAM-D", 10.0, 20.0)]),
    ],
)
def test_a_range_before_the_scale_name(text: str, expected: list[Bound]) -> None:
    assert score_bounds(text) == expected


@pytest.mark.parametrize(
    "text", ["between 40 and 80 years on the VAS", "a score of 15 on the MADRS"]
)
def test_no_range_before_a_scale_without_two_values(text: str) -> None:
    assert score_bounds(text) == []


def test_a_value_in_centimetres_before_a_vas_is_not_read() -> None:
    assert score_bounds("pain ≥ 4 cm on a 10 cm VAS") == []


def _treatments(text: str) -> list[str]:
    return [c.text for c in parse_criterion(text) if isinstance(c, TreatmentConstraint)]


@pytest.mark.parametrize(
    "text",
    [
        "HIV RNA of at least 10,000 copies/ml by reverse transcriptase polymerase chain\r\n"
        "reaction (RT-PCR, Amplicor test kit) at screening.",
        "Positive RT-qPCR for SARS-CoV-2 within 72 hours",
        "MET exon 14 skipping by RT-PCR or next generation sequencing",
    ],
)
def test_rt_that_begins_a_lab_method_is_no_radiotherapy(text: str) -> None:
    assert _treatments(text) == []


def test_rt_alone_stays_radiotherapy_beside_an_rt_pcr() -> None:
    assert _treatments("COVID-19 confirmed by RT-PCR, and prior RT to the pelvis") == ["RT"]
