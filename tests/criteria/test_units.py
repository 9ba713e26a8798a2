"""Unit conversion: clinical units on pint."""

from __future__ import annotations

import pytest

from trialfinder.criteria.units import UnitError, convert, is_convertible, parse_unit


@pytest.mark.parametrize(
    ("value", "unit", "to_unit", "analyte", "expected"),
    [
        (1.2, "mg/dL", "umol/L", "creatinine", 106.082036777),
        (106.08, "µmol/L", "mg/dL", "creatinine", 1.19997696),
        (100000, "/mm³", "x10^9/L", None, 100.0),
        (100, "x 10^9/L", "/µL", None, 100000.0),
        (1.5, "x10^3/µL", "G/L", None, 1.5),
        (9, "g/dL", "g/L", None, 90.0),
        (30, "ml/(min.1.73m2)", "mL/min/1.73 m2", None, 30.0),
        (1.5, "mg/dL", "umol/L", "bilirubin", 25.6559367838),
    ],
)
def test_convert(
    value: float, unit: str, to_unit: str, analyte: str | None, expected: float
) -> None:
    assert convert(value, unit, to_unit, analyte) == pytest.approx(expected, rel=1e-9)


def test_convert_needs_molar_mass() -> None:
    with pytest.raises(UnitError) as error:
        convert(1, "mg/dL", "umol/L")
    assert error.value.args[0] == (
        "Cannot convert 'mg/dL' to 'umol/L': dimensions differ and no molar mass is known"
    )


def test_egfr_is_not_creatinine_clearance() -> None:
    assert not is_convertible("mL/min/1.73 m2", "mL/min")


def test_parse_unit_unknown() -> None:
    with pytest.raises(UnitError) as error:
        parse_unit("splodges per hour")
    assert error.value.args[0] == (
        "Unit 'splodges per hour' is not a known clinical unit; "
        "add a spelling to criteria/vocab/units.tsv"
    )
