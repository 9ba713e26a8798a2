"""Derived values, checked against worked examples computed by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from trialfinder.match import (
    Observation,
    PatientProfile,
    Score,
    age_on,
    bedside_schwartz,
    bmi,
    ckd_epi_2021,
    derive,
    load_profile,
    with_derived,
)
from trialfinder.match.derive import Derived, latest_value

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (dt.date(2015, 6, 20), dt.date(2024, 6, 19), 8),
        (dt.date(2015, 6, 20), dt.date(2024, 6, 20), 9),
        (dt.date(2000, 2, 29), dt.date(2018, 2, 28), 17),
        (dt.date(2000, 2, 29), dt.date(2018, 3, 1), 18),
    ],
    ids=["day-before-birthday", "birthday", "leap-day-before", "leap-day-after"],
)
def test_age_on(birth: dt.date, on: dt.date, age: int) -> None:
    assert age_on(birth, on) == age


def test_bedside_schwartz() -> None:
    """0.413 × 131 cm / 0.5 mg/dL = 54.103 / 0.5 = 108.206 mL/min/1.73 m²."""
    assert bedside_schwartz(131, 0.5) == pytest.approx(108.206, abs=1e-9)


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "egfr"),
    [
        # male, 50 y, Scr 1.0: Scr/κ = 1/0.9 = 1.1111; 1.1111^-1.2 = 0.88124;
        # 0.9938^50 = 0.73275; 142 × 0.88124 × 0.73275 = 91.69 (NKF calculator: 92)
        (1.0, 50, "male", 91.69),
        # female, 60 y, Scr 0.8: 0.8/0.7 = 1.1429; 1.1429^-1.2 = 0.85194; 0.9938^60 = 0.68856;
        # 142 × 0.85194 × 0.68856 × 1.012 = 84.30
        (0.8, 60, "female", 84.30),
        # female, 40 y, Scr 0.5 (below κ): (0.5/0.7)^-0.241 = 1.08447; 0.9938^40 = 0.77976;
        # 142 × 1.08447 × 0.77976 × 1.012 = 121.52
        (0.5, 40, "female", 121.52),
    ],
    ids=["male-50-cr1.0", "female-60-cr0.8", "female-40-cr0.5"],
)
def test_ckd_epi_2021(creatinine: float, age: int, sex: str, egfr: float) -> None:
    assert ckd_epi_2021(creatinine, age, sex) == pytest.approx(egfr, abs=0.01)


def test_ckd_epi_needs_sex() -> None:
    with pytest.raises(ValueError) as raised:
        ckd_epi_2021(1.0, 50, "unknown")
    assert raised.value.args[0] == "CKD-EPI 2021 needs sex 'female' or 'male', got 'unknown'"


def test_bmi() -> None:
    """28 kg / 1.31² m² = 28 / 1.7161 = 16.316."""
    assert bmi(28, 131) == pytest.approx(16.316, abs=1e-3)


def test_child_gets_bedside_schwartz() -> None:
    profile = load_profile((FIXTURES / "srns-boy-bundle.json").read_bytes())
    assert derive(profile, dt.date(2024, 6, 1)) == Derived(
        age_years=8.0, egfr=108.2, egfr_formula="bedside_schwartz", bmi=16.3
    )


def test_adult_gets_ckd_epi_with_molar_creatinine() -> None:
    """70.7 µmol/L ÷ 88.4 = 0.7998 mg/dL; female, 34 y: (0.7998/0.7)^-1.2 = 0.85210,
    0.9938^34 = 0.80969, 142 × 0.85210 × 0.80969 × 1.012 = 99.1."""
    profile = load_profile((FIXTURES / "pregnant-woman-bundle.json").read_bytes())
    assert derive(profile, dt.date(2024, 6, 1)) == Derived(
        age_years=34.0, egfr=99.1, egfr_formula="ckd_epi_2021", bmi=None
    )


def test_adult_without_sex_gets_no_egfr() -> None:
    profile = PatientProfile(
        age_years=50, observations=[Observation(name="creatinine", value=1.0, unit="mg/dL")]
    )
    assert derive(profile, dt.date(2024, 1, 1)) == Derived(age_years=50.0)


def test_latest_value_converts_and_takes_newest() -> None:
    profile = PatientProfile(
        observations=[
            Observation(loinc="8302-2", value=1.2, unit="m", date=dt.date(2020, 1, 1)),
            Observation(name="height", value=52, unit="in", date=dt.date(2024, 1, 1)),
            Observation(loinc="8302-2", value=3, unit="mg/dL", date=dt.date(2025, 1, 1)),
        ]
    )
    # 52 in × 2.54 = 132.08 cm; the value in mg/dL cannot be a height and is skipped
    assert latest_value(profile, "height", "cm") == pytest.approx(132.08)


def test_with_derived_adds_egfr_and_bmi() -> None:
    profile = load_profile((FIXTURES / "srns-boy-bundle.json").read_bytes())
    derived = with_derived(profile, dt.date(2024, 6, 1))
    assert derived.age_years == 8.0
    assert derived.observations[-1] == Observation(
        loinc="33914-3",
        name="eGFR (bedside_schwartz)",
        value=108.2,
        unit="mL/min/1.73m2",
        date=dt.date(2024, 6, 1),
        source="derived",
    )
    assert derived.scores == [
        Score(name="BMI", value=16.3, date=dt.date(2024, 6, 1), source="derived")
    ]


def test_with_derived_keeps_a_measured_egfr() -> None:
    document = json.loads((FIXTURES / "srns-boy-bundle.json").read_text())
    document["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "33914-3"}]},
                "valueQuantity": {"value": 75, "unit": "mL/min/1.73m2"},
            }
        }
    )
    profile = load_profile(json.dumps(document).encode())
    derived = with_derived(profile, dt.date(2024, 6, 1))
    assert [o.value for o in derived.observations if o.loinc == "33914-3"] == [75.0]
