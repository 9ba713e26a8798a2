"""Engine rules round 27: analytes mined by how many shared trials name them before a comparator
and a number that no rule read: a fasting insulin (in micro-units per mL as well), the pulmonary
vascular resistance (in Wood units or dyn·s/cm⁵), the urine output (in mL per day), and the
birth weight (no longer the bare "weight"), the short form PVR with a resistance unit written,
the spellings "bone marrow plasmacytosis" and "urinary protein"; and a disc's height is not the
patient's (issue 5)."""

from __future__ import annotations

import pytest

from support import Bound, lab_bounds
from trialfinder.criteria.constraints import Measurement, TreatmentConstraint
from trialfinder.criteria.parser import parse_criterion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hyperinsulinaemia, i.e. fasting insulin > 30 microunits/mL", [("insulin", 30.0, None)]),
        ("Fasting insulin < 20 mcU/mL", [("insulin", None, 20.0)]),
        ("Fasting serum insulin of at least 15 µIU/mL", [("insulin", 15.0, None)]),
        (
            "Pulmonary hypertension (pulmonary vascular resistance > 6 Wood units)",
            [("pulmonary_vascular_resistance", 6.0, None)],
        ),
        (
            "Pulmonary vascular resistance greater than 3 mm Hg/L/min",
            [("pulmonary_vascular_resistance", 3.0, None)],
        ),
        ("Anuria (urine output less than 50 mL/day)", [("urine_output", None, 50.0)]),
        ("Oliguria: urine output below 400 ml per day", [("urine_output", None, 400.0)]),
        ("Bone marrow plasmacytosis >= 20%", [("bone_marrow_plasma_cells", 20.0, None)]),
        ("Nephrotic range proteinuria (urinary protein > 3.5 g/day)", [("proteinuria", 3.5, None)]),
        ("24-hour urinary protein ≥ 1.0 g/24 h", [("proteinuria", 1.0, None)]),
        (
            "Preterm infants with birth weight less than 1,500 grams",
            [("birth_weight", None, 1500.0)],
        ),
        ("Birthweight at least 2500 g", [("birth_weight", 2500.0, None)]),
        ("Weight at birth less than 2500 gm", [("birth_weight", None, 2500.0)]),
        (
            "PVR > 4 Wood units at right heart catheterisation",
            [("pulmonary_vascular_resistance", 4.0, None)],
        ),
    ],
)
def test_a_mined_analyte_is_read(text: str, expected: list[Bound]) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    ("text", "analyte", "canonical_low"),
    [
        # 1 µIU/mL = 1 mU/L: the TSH's canonical unit, now read in micro-units too
        ("TSH greater than 6.0 microunits/mL", "tsh", 6.0),
        ("TSH above 4.4 micro IU/ml", "tsh", 4.4),
        # 1 Wood unit = 80 dyn·s/cm⁵
        ("Pulmonary vascular resistance ≥ 240 dyn·s/cm5", "pulmonary_vascular_resistance", 3.0),
    ],
)
def test_a_micro_unit_or_resistance_unit_converts(
    text: str, analyte: str, canonical_low: float
) -> None:
    found = [c for c in parse_criterion(text) if isinstance(c, Measurement)]
    assert [c.analyte for c in found] == [analyte]
    assert found[0].canonical is not None
    assert found[0].canonical.low == pytest.approx(canonical_low, rel=1e-3)


def test_an_insulin_level_is_no_insulin_treatment() -> None:
    found = parse_criterion("Fasting insulin < 20 mcU/mL")
    assert not [c for c in found if isinstance(c, TreatmentConstraint)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a dose of the drug is no insulin level
        (
            "Insulin requirements in excess of 1 U/kg per day, or fasting insulin < 20 mcU/mL",
            [("insulin", None, 20.0)],
        ),
        ("Basal insulin dose > 50 U; fasting insulin ≥ 15 µIU/mL", [("insulin", 15.0, None)]),
        # the bare PVR is a post-void residual as often as the resistance: not read as the latter
        (
            "Post-void residual (PVR) > 100 mL; pulmonary vascular resistance > 6 Wood units",
            [("post_void_residual", 100.0, None), ("pulmonary_vascular_resistance", 6.0, None)],
        ),
    ],
)
def test_only_the_level_is_read_beside_a_dose_or_a_post_void_residual(
    text: str, expected: list[Bound]
) -> None:
    assert lab_bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "If all discs are degenerated, disc height must be at least 5 mm",
        "Central disc height less than 4 millimeters on neutral x-rays",
        "Decreased disc height, on average by > 2 mm",
    ],
)
def test_a_disc_height_is_not_the_patients_height(text: str) -> None:
    assert lab_bounds(text) == []
