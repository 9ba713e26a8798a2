"""Checks and normalisations shared by every format reader.

Each function raises `RecordError` with a stable code, so a bad value quarantines one record
instead of stopping the ingest.
"""

from __future__ import annotations

import re

from trialfinder.errors import RecordError
from trialfinder.model import Trial

NCT_ID = re.compile(r"NCT\d{8}")

# Days in one unit, for turning registry ages into years.
_AGE_UNITS_IN_DAYS = {
    "year": 365.25,
    "month": 365.25 / 12,
    "week": 7.0,
    "day": 1.0,
    "hour": 1 / 24,
    "minute": 1 / 1440,
}
_AGE = re.compile(
    r"""^\s*
    (?P<value>\d+(?:\.\d+)?)           # 6, 18, 1.5
    \s*
    (?P<unit>year|month|week|day|hour|minute)s?   # unit, singular or plural
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_NO_AGE_LIMIT = {"", "n/a", "na", "none", "no limit"}
MAX_AGE_YEARS = 130.0


def check_nct_id(value: str, where: str) -> str:
    """Return `value` stripped when it is a well-formed NCT id, else raise `RecordError`."""
    nct_id = value.strip().upper()
    if not nct_id:
        raise RecordError("missing_nct_id", f"{where}: the record has no NCT id")
    if not NCT_ID.fullmatch(nct_id):
        raise RecordError(
            "bad_nct_id", f"{where}: NCT id {value!r} is not 'NCT' followed by 8 digits"
        )
    return nct_id


def age_in_years(text: str, nct_id: str, field: str) -> float | None:
    """Years in a registry age (``"6 Years"``, ``"18 Months"``); None for ``"N/A"`` (no limit)."""
    if text.strip().lower() in _NO_AGE_LIMIT:
        return None
    match = _AGE.match(text)
    if match is None:
        raise RecordError(
            "bad_age",
            f"{nct_id}: {field} {text!r} is not "
            "'<n> Years|Months|Weeks|Days|Hours|Minutes' or 'N/A'",
        )
    years = float(match["value"]) * _AGE_UNITS_IN_DAYS[match["unit"].lower()] / 365.25
    if years > MAX_AGE_YEARS:
        raise RecordError(
            "absurd_value", f"{nct_id}: {field} {text!r} is over {MAX_AGE_YEARS:g} years"
        )
    return round(years, 4)


def standard_age_groups(minimum_years: float | None, maximum_years: float | None) -> list[str]:
    """The registry's age groups an age range overlaps: CHILD (<18), ADULT (18-64), OLDER_ADULT.

    Legacy XML has no `stdAges`; this derives them the way ClinicalTrials.gov does.
    """
    low = 0.0 if minimum_years is None else minimum_years
    high = float("inf") if maximum_years is None else maximum_years
    groups = [
        name
        for name, start, end in (
            ("CHILD", 0.0, 18.0),
            ("ADULT", 18.0, 65.0),
            ("OLDER_ADULT", 65.0, float("inf")),
        )
        if low < end and high >= start
    ]
    return groups


def check_trial(trial: Trial) -> Trial:
    """Reject values no real trial has (negative enrollment, minimum age above maximum)."""
    if trial.enrollment_count is not None and trial.enrollment_count < 0:
        raise RecordError(
            "absurd_value",
            f"{trial.nct_id}: enrollment count {trial.enrollment_count} is negative",
        )
    low, high = trial.minimum_age_years, trial.maximum_age_years
    if low is not None and high is not None and low > high:
        raise RecordError(
            "absurd_value",
            f"{trial.nct_id}: minimum age {trial.minimum_age!r} is above "
            f"maximum age {trial.maximum_age!r}",
        )
    for location in trial.locations:
        geo = location.geo
        if geo is not None and not (-90 <= geo.lat <= 90 and -180 <= geo.lon <= 180):
            raise RecordError(
                "absurd_value",
                f"{trial.nct_id}: site {location.facility!r} has geoPoint "
                f"({geo.lat}, {geo.lon}) outside latitude ±90 / longitude ±180",
            )
    return trial
