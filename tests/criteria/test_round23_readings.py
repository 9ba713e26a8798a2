"""Round 23: the stenosis of a vessel as a measurement in per cent, its analyte named by the
vessel nearest the bound ("≥ 70% stenosis in a major coronary artery", "left main stenosis of 50%
or more", "residual stenosis < 30%"), no reading where the vessel is none of ours (a spinal
canal, a peripheral artery), a glucose value two hours into a glucose tolerance test read as
the 2-hour OGTT glucose, the echocardiographic valve measures (mean gradient, valve area, aortic
jet velocity, with the units cm² and m/s), the proBNP spellings of NT-proBNP, no score value
from the number of a question or item ("Question #8", "item 10") and the Neck Disability score
as the NDI (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds, score_bounds
from trialfinder.criteria.constraints import Measurement
from trialfinder.criteria.lexicon import unit_of
from trialfinder.criteria.parser import parse_criterion
from trialfinder.criteria.units import convert


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Adult patients with greater than 50% stenosis in at least one major coronary artery.",
            [("coronary_stenosis", 50.0, None)],
        ),
        ("8. Left main stenosis of 50% or more;", [("left_main_stenosis", 50.0, None)]),
        (
            "Unprotected left main coronary artery disease (stenosis greater than 50%).",
            [("left_main_stenosis", 50.0, None)],
        ),
        (
            "coronary lesion(s) less than 50% stenosis",
            [("coronary_stenosis", None, 50.0)],
        ),
        (
            "a stenosis exceeding 70% in the internal carotid artery ipsilateral to the paresis",
            [("carotid_stenosis", 70.0, None)],
        ),
        (
            "relevant bilateral stenosis of renal artery (> 75%)",
            [("renal_artery_stenosis", 75.0, None)],
        ),
        ("successful angioplasty (residual stenosis < 30%)", [("residual_stenosis", None, 30.0)]),
        (
            "native coronary artery lesion with greater than 50 and less than 100% stenosis",
            [("coronary_stenosis", 50.0, 100.0)],
        ),
        (
            "Significant CAD: at least one stenosis ≥ 70% by QCA",
            [("coronary_stenosis", 70.0, None)],
        ),
        (
            "Ischemic cardiomyopathy: 70% or greater stenosis in one major vessel",
            [("coronary_stenosis", 70.0, None)],
        ),
        (
            "Non-obstructive coronary arteries (<50% luminal diameter narrowing)",
            [("coronary_stenosis", None, 50.0)],
        ),
    ],
)
def test_a_stenosis_is_its_vessels_measurement(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "left main coronary disease (≥50% stenosis); or triple-vessel disease (3 major "
            "epicardial coronaries with >70% stenoses)",
            [("left_main_stenosis", 50.0, None), ("coronary_stenosis", 70.0, None)],
        ),
        (
            "documented >50% peripheral arterial stenosis or cerebrovascular disease (stroke, "
            "documented > 50% carotid stenosis)",
            [("carotid_stenosis", 50.0, None)],
        ),
        (
            "residual diameter stenosis < 20% in patients with stent implantation or < 50% in "
            "those with balloon angioplasty",
            [("residual_stenosis", None, 20.0), ("residual_stenosis", None, 50.0)],
        ),
        (
            "carotid stenosis greater than or equal to 50% by angiography or greater than or "
            "equal to 70% by ultrasound",
            [("carotid_stenosis", 50.0, None), ("carotid_stenosis", 70.0, None)],
        ),
    ],
)
def test_each_bound_takes_the_vessel_nearest_it(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Moderate spinal stenosis is defined as 25% to 50% reduction in the foramen",
        "Lumbar disc herniation with >50% canal narrowing",
        "Significant stenosis (> 50%) of the superficial femoral artery",
        "Aortic valve stenosis with a valve area < 1.0 cm2",
        "stenosis of 50%",
        "More than 50% of patients had a stenosis",
    ],
)
def test_no_stenosis_reading_without_a_vessel_of_ours(text: str) -> None:
    assert [b for b in lab_bounds(text) if b[0].endswith("_stenosis")] == []


def test_a_chained_stenosis_bound_spans_from_its_comparator() -> None:
    text = "residual stenosis < 20% with a stent or < 50% after balloon angioplasty"
    read = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert [text[slice(*c.span)] for c in read] == ["stenosis < 20%", "< 50%"]
    assert {c.canonical_unit for c in read} == {"percent"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a fasting glucose value above 126 mg/dl on 2 occasions; blood glucose level at 2 "
            "hours after an oral glucose tolerance test is equal to or more than 200 mg/dl",
            [("glucose", 126.0, None), ("ogtt_2h_glucose", 200.0, None)],
        ),
        (
            "fasting plasma glucose level greater than 126 mg/dl, or a 2-hour postload value in "
            "the oral glucose tolerance test of greater than 200 mg/dl",
            [("glucose", 126.0, None), ("ogtt_2h_glucose", 200.0, None)],
        ),
        (
            "2-hour plasma glucose ≥ 200 mg/dL or fasting glucose ≥ 126 mg/dL",
            [("ogtt_2h_glucose", 200.0, None), ("glucose", 126.0, None)],
        ),
        ("2h-OGTT glucose > 11.1 mmol/L", [("ogtt_2h_glucose", 11.1, None)]),
        ("Fasting glucose ≥ 126 mg/dL", [("glucose", 126.0, None)]),
        ("Blood glucose < 250 mg/dL within 24 hours of surgery", [("glucose", None, 250.0)]),
    ],
)
def test_a_two_hour_glucose_is_the_ogtt_glucose(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_the_ogtt_glucose_is_converted_in_its_own_unit() -> None:
    (read,) = [
        c for c in parse_criterion("2 hour glucose ≥ 11.1 mmol/L") if isinstance(c, Measurement)
    ]
    assert read.analyte == "ogtt_2h_glucose"
    assert read.canonical is not None and read.canonical.low == pytest.approx(200, abs=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "aortic stenosis: jet >3.0 meters per second [m/s], mean gradient >25 mmHg, and aortic "
            "valve area <1.5 centimeters squared [cm^2]; mitral stenosis: mean gradient >5 mmHg "
            "and mitral valve area <1.5 cm^2",
            [
                ("mean_transvalvular_gradient", 25.0, None),
                ("aortic_valve_area", None, 1.5),
                ("mean_transvalvular_gradient", 5.0, None),
                ("mitral_valve_area", None, 1.5),
            ],
        ),
        (
            "a mean transvalvular gradient > 20 mmHg and effective orifice area =1.2 cm²",
            [("mean_transvalvular_gradient", 20.0, None), ("effective_orifice_area", 1.2, 1.2)],
        ),
        (
            "AVA < 1.0 cm2 or mean aortic gradient ≥ 40 mm Hg",
            [
                ("aortic_valve_area", None, 1.0),
                ("mean_transvalvular_gradient", 40.0, None),
            ],
        ),
        ("peak aortic jet velocity ≥ 4 m/s", [("peak_transvalvular_velocity", 4.0, None)]),
    ],
)
def test_valve_measures_of_an_echocardiogram(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


def test_a_tricuspid_jet_is_no_valve_measure() -> None:
    assert lab_bounds("tricuspid regurgitant jet velocity of greater than 2.5m/s") == []


def test_an_indexed_valve_area_is_its_own_measure() -> None:
    assert lab_bounds("Aortic valve area index < 0.6 cm2/m2") == [
        ("aortic_valve_area_index", None, 0.6)
    ]
    (read,) = [c for c in parse_criterion("AVA < 0.8 cm2") if isinstance(c, Measurement)]
    assert (read.analyte, read.canonical_unit) == ("aortic_valve_area", "cm**2")


@pytest.mark.parametrize(
    ("unit", "pint_unit"),
    [
        ("cm²", "cm**2"),
        ("cm^2", "cm**2"),
        ("centimeters squared", "cm**2"),
        ("3 m/s", None),
        ("m/s", "m/s"),
        ("meters per second", "m/s"),
        ("cm", "cm"),
    ],
)
def test_area_and_velocity_units(unit: str, pint_unit: str | None) -> None:
    assert unit_of(unit) == pint_unit


def test_valve_area_converts_from_square_millimetres() -> None:
    assert convert(150, "mm**2", "cm**2") == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "BNP >150 pg/ml (or pro-BNP [N-terminal-proBNP] = 600 pg / ml)",
            [("bnp", 150.0, None), ("ntprobnp", 600.0, 600.0)],
        ),
        (
            "BNP > 100 pg/mL or NTproBNP > 400 pg/mL",
            [("bnp", 100.0, None), ("ntprobnp", 400.0, None)],
        ),
        ("N-terminal pro-brain natriuretic peptide ≥ 300 pg/mL", [("ntprobnp", 300.0, None)]),
        ("proBNP > 125 pg/ml", [("ntprobnp", 125.0, None)]),
    ],
)
def test_probnp_spellings_are_nt_probnp(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'Epworth Sleepiness Scale (ESS): Question #8 score above "0" will prompt a question',
        "MADRS item 10 rated 4 or more",
        "HAM-D item 3 score of 2",
        "Hamilton Depression Rating Scale question 3 answered",
    ],
)
def test_a_question_or_item_number_is_no_score_value(text: str) -> None:
    assert score_bounds(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ECOG performance status of 0 or 1", [("ECOG", 0.0, 1.0)]),
        ("HAM-D 17-item score of 18 or more", [("HAM-D", 18.0, None)]),
        ("Baseline Neck Disability score ≥ 20", [("NDI", 20.0, None)]),
        ("Neck Disability Index score of at least 10", [("NDI", 10.0, None)]),
    ],
)
def test_scale_values_beside_items_and_the_neck_disability_score(
    text: str, expected: list[Bound]
) -> None:
    assert score_bounds(text) == expected
