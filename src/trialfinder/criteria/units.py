"""Clinical units on top of pint: cell counts, eGFR per 1.73 m², molar ↔ mass concentrations.

The API is three functions, shared by the criteria engine and patient matching:

- ``parse_unit("mg/dl")`` → ``"mg/dL"``: the pint expression of a unit as written in criteria;
- ``convert(1.2, "mg/dL", "umol/L", analyte="creatinine")`` → ``106.08…``; ``convert(101.5, "°F",
  "degC")`` → ``38.6…`` (an offset unit);
- ``is_convertible(unit, to_unit, analyte=None)``.

Units as written ("x10^9/L", "/mm³", "ml/(min.1.73m2)") are accepted wherever a unit is.
Molar ↔ mass conversion needs the analyte's molar mass, taken from ``vocab/labs.tsv``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pint

from trialfinder.criteria import lexicon

__all__ = ["UnitError", "convert", "is_convertible", "parse_unit", "registry"]

# Units pint lacks. Cell counts are plain numbers per volume, so 1/mm³ = 1/µL = 10⁻³ × 10⁹/L.
_DEFINITIONS = (
    "giga_per_liter = 1e9 / liter = G_per_L",
    "thousand_per_microliter = 1e3 / microliter = K_per_uL",
    # eGFR is normalised to a body surface of 1.73 m²: a unit of its own, never mL/min.
    "ml_min_173 = milliliter / minute / (1.73 * meter ** 2)",
    "mmHg_clinical = millimeter_Hg",
)


class UnitError(ValueError):
    """A unit is unknown, or two units cannot be converted into each other."""


@cache
def registry() -> Any:
    """Return the shared pint registry with the clinical units defined."""
    ureg: Any = pint.UnitRegistry()
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


def parse_unit(text: str) -> str:
    """Return the pint expression for a unit as written, e.g. "x 10^9/L" -> "giga_per_liter".

    Raises UnitError when the text is neither a known spelling nor a pint expression.
    """
    known = lexicon.unit_of(text)
    if known is not None:
        return known
    try:
        registry().parse_units(text)
    except (pint.errors.UndefinedUnitError, ValueError, AttributeError, TypeError) as error:
        raise UnitError(
            f"Unit {text!r} is not a known clinical unit; "
            f"add a spelling to criteria/vocab/units.tsv"
        ) from error
    return text


@cache
def _factor(unit: str, to_unit: str, analyte: str | None) -> tuple[float, float]:
    """Return (scale, offset) with value_in_to_unit = value * scale + offset."""
    ureg = registry()
    source, target = parse_unit(unit), parse_unit(to_unit)
    try:
        one = ureg.Quantity(1.0, source)
        if one.dimensionality == ureg.Quantity(1.0, target).dimensionality:
            # Temperatures have an offset (°F → °C): read it from where 0 lands.
            offset = float(ureg.Quantity(0.0, source).to(target).magnitude)
            return float(one.to(target).magnitude) - offset, offset
        lab = lexicon.labs().get(analyte or "")
        if lab is None or lab.molar_mass is None:
            raise UnitError(
                f"Cannot convert {unit!r} to {to_unit!r}"
                + (f" for {analyte!r}" if analyte else "")
                + ": dimensions differ and no molar mass is known"
            )
        mass = lab.molar_mass * ureg("g/mol")
        return float(one.to(target, "chemistry", mw=mass).magnitude), 0.0
    except (pint.errors.DimensionalityError, ZeroDivisionError) as error:
        raise UnitError(
            f"Cannot convert {unit!r} to {to_unit!r}"
            + (f" for {analyte!r}" if analyte else "")
            + f": {error}"
        ) from error


def convert(value: float, unit: str, to_unit: str, analyte: str | None = None) -> float:
    """Return ``value`` in ``unit`` expressed in ``to_unit``.

    Args:
        analyte: a lab name from ``vocab/labs.tsv`` ("creatinine"), needed for µmol/L ↔ mg/dL.

    Raises UnitError when the units are unknown or not convertible.
    """
    scale, offset = _factor(unit, to_unit, analyte)
    return float(f"{value * scale + offset:.12g}")  # drop binary noise: 99999.99999999999


def is_convertible(unit: str, to_unit: str, analyte: str | None = None) -> bool:
    """Return True when ``convert`` would succeed for these units."""
    try:
        _factor(unit, to_unit, analyte)
    except UnitError:
        return False
    return True
