"""Values derived from a profile: age on the screening date, eGFR and BMI.

eGFR uses the bedside Schwartz formula under 18 years (Schwartz et al., JASN 2009) and the
race-free CKD-EPI 2021 creatinine equation from 18 (Inker et al., NEJM 2021). Units go through
``criteria.units``, the layer the criteria engine uses, so "88 µmol/L" creatinine works.
"""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from trialfinder.criteria import lexicon
from trialfinder.criteria.units import UnitError, convert
from trialfinder.match.profile import Observation, PatientProfile, Score

__all__ = [
    "Derived",
    "age_on",
    "bmi",
    "bedside_schwartz",
    "ckd_epi_2021",
    "derive",
    "latest_value",
    "with_derived",
]


class Derived(msgspec.Struct, frozen=True):
    """Derived values; ``egfr_formula`` is "bedside_schwartz" or "ckd_epi_2021"."""

    age_years: float | None = None
    egfr: float | None = None
    egfr_formula: str | None = None
    bmi: float | None = None


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Return the age in whole years on date ``on`` (a 29 February birthday turns on 1 March)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def bedside_schwartz(height_cm: float, creatinine_mg_dl: float) -> float:
    """Return eGFR in mL/min/1.73 m² by bedside Schwartz: 0.413 × height / creatinine."""
    return 0.413 * height_cm / creatinine_mg_dl


def ckd_epi_2021(creatinine_mg_dl: float, age_years: float, sex: str) -> float:
    """Return eGFR in mL/min/1.73 m² by the CKD-EPI 2021 creatinine equation (no race term).

    142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^age × 1.012 [female], with
    κ = 0.7 (female) or 0.9 (male) and α = -0.241 (female) or -0.302 (male).
    """
    if sex not in {"female", "male"}:
        raise ValueError(f"CKD-EPI 2021 needs sex 'female' or 'male', got {sex!r}")
    female = sex == "female"
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    egfr = 142 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age_years
    return float(egfr * 1.012 if female else egfr)


def bmi(weight_kg: float, height_cm: float) -> float:
    """Return the body-mass index in kg/m²."""
    return weight_kg / (height_cm / 100) ** 2


def _matches(observation: Observation, lab: str) -> bool:
    known = lexicon.labs()[lab]
    if observation.loinc is not None:
        return observation.loinc == known.loinc
    return observation.name is not None and lexicon.lab_of(observation.name) is known


def latest_value(profile: PatientProfile, lab: str, unit: str) -> float | None:
    """Return the most recent value of ``lab`` (a name in ``vocab/labs.tsv``) in ``unit``.

    Matches by LOINC code, or by name when the observation has no code. Values whose unit cannot
    be converted are skipped; a value without a unit is taken to be in ``unit``.
    """
    found: list[tuple[dt.date, int, float]] = []
    for index, observation in enumerate(profile.observations):
        if observation.value is None or not _matches(observation, lab):
            continue
        try:
            value = (
                observation.value
                if not observation.unit
                else convert(observation.value, observation.unit, unit, analyte=lab)
            )
        except UnitError:
            continue
        found.append((observation.date or dt.date.min, index, value))
    return max(found)[2] if found else None


def _age(profile: PatientProfile, on: dt.date) -> float | None:
    if profile.birth_date is not None:
        return float(age_on(profile.birth_date, on))
    return profile.age_years


def derive(profile: PatientProfile, on: dt.date) -> Derived:
    """Return the age on ``on`` (the screening date), eGFR and BMI where the profile allows."""
    age = _age(profile, on)
    creatinine = latest_value(profile, "creatinine", "mg/dL")
    height = latest_value(profile, "height", "cm")
    weight = latest_value(profile, "weight", "kg")
    egfr = formula = None
    if age is not None and creatinine is not None and creatinine > 0:
        if age < 18 and height is not None:
            egfr, formula = bedside_schwartz(height, creatinine), "bedside_schwartz"
        elif age >= 18 and profile.sex in {"female", "male"}:
            egfr = ckd_epi_2021(creatinine, age, profile.sex or "")
            formula = "ckd_epi_2021"
    body_mass = bmi(weight, height) if weight is not None and height and height > 0 else None
    return Derived(
        age_years=age,
        egfr=None if egfr is None else round(egfr, 1),
        egfr_formula=formula,
        bmi=None if body_mass is None or not math.isfinite(body_mass) else round(body_mass, 1),
    )


def with_derived(profile: PatientProfile, on: dt.date) -> PatientProfile:
    """Return ``profile`` with the derived age, eGFR and BMI added where it lacks them.

    A measured eGFR or a stated BMI is kept; derived facts have ``source="derived"``.
    """
    values = derive(profile, on)
    observations = list(profile.observations)
    scores = list(profile.scores)
    egfr_loinc = lexicon.labs()["egfr"].loinc
    if values.egfr is not None and latest_value(profile, "egfr", "ml_min_173") is None:
        observations.append(
            Observation(
                loinc=egfr_loinc,
                name=f"eGFR ({values.egfr_formula})",
                value=values.egfr,
                unit="mL/min/1.73m2",
                date=on,
                source="derived",
            )
        )
    if values.bmi is not None and not any(s.name == "BMI" for s in scores):
        scores.append(Score(name="BMI", value=values.bmi, date=on, source="derived"))
    return msgspec.structs.replace(
        profile, age_years=values.age_years, observations=observations, scores=scores
    )
