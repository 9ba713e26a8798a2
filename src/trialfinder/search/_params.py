"""ClinicalTrials.gov API v2 request parameters → a `SearchQuery` (shared by the API and web).

Parameter names are the official ones (`query.cond`, `filter.overallStatus`, `filter.geo`,
`aggFilters`, `filter.advanced`, `sort`, `pageSize`, `pageToken`, `countTotal`), plus
trialfinder's own: `filter.age` (the patient's age in years), `filter.country`, `filter.ecog` and
`filter.egfr` (the patient's ECOG grade and eGFR, checked against the criteria read from each
trial's eligibility text) and `sort=distance`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trialfinder.errors import QueryError
from trialfinder.search._places import parse_distance, resolve_place
from trialfinder.search._query import SearchQuery
from trialfinder.store.base import GeoArea

TEXT_PARAMETERS = {
    "query.term": "term",
    "query.cond": "cond",
    "query.intr": "intr",
    "query.titles": "titles",
    "query.spons": "spons",
    "query.locn": "locn",
    "query.id": "id",
}

SEARCH_PARAMETERS = (
    *TEXT_PARAMETERS,
    "filter.overallStatus",
    "filter.ids",
    "filter.geo",
    "filter.advanced",
    "filter.age",
    "filter.country",
    "filter.ecog",
    "filter.egfr",
    "aggFilters",
    "sort",
)
"""Every parameter `query_from_params` reads."""

_GEO = re.compile(r"\s*distance\((?P<place>.+),(?P<distance>[^,]+)\)\s*", re.I | re.S)

_AGG_VALUES: dict[str, tuple[str, dict[str, str]]] = {
    "phase": (
        "phases",
        {
            "0": "EARLY_PHASE1",
            "1": "PHASE1",
            "2": "PHASE2",
            "3": "PHASE3",
            "4": "PHASE4",
            "na": "NA",
        },
    ),
    "status": (
        "statuses",
        {
            "rec": "RECRUITING",
            "not": "NOT_YET_RECRUITING",
            "act": "ACTIVE_NOT_RECRUITING",
            "com": "COMPLETED",
            "enr": "ENROLLING_BY_INVITATION",
            "sus": "SUSPENDED",
            "ter": "TERMINATED",
            "wit": "WITHDRAWN",
            "unk": "UNKNOWN",
            "ava": "AVAILABLE",
            "nla": "NO_LONGER_AVAILABLE",
            "tna": "TEMPORARILY_NOT_AVAILABLE",
            "afm": "APPROVED_FOR_MARKETING",
            "whd": "WITHHELD",
        },
    ),
    "studyType": (
        "study_types",
        {"int": "INTERVENTIONAL", "obs": "OBSERVATIONAL", "exp": "EXPANDED_ACCESS"},
    ),
    "ages": ("age_groups", {"child": "CHILD", "adult": "ADULT", "older": "OLDER_ADULT"}),
    "sex": ("sex", {"f": "FEMALE", "m": "MALE", "a": "ALL"}),
    "healthy": ("healthy_volunteers", {"y": "true", "n": "false"}),
    "results": ("has_results", {"with": "true", "without": "false"}),
}

_SORTS = {
    "@relevance": "relevance",
    "distance": "distance",
    "lastupdatepostdate": "last_update",
    "startdate": "start_date",
    "nctid": "nct_id",
}

_AREA = re.compile(r"\s*AREA\[(?P<area>\w+)\]\s*(?P<value>.+?)\s*", re.S)
_RANGE = re.compile(r"RANGE\[\s*(?P<low>[^,\]]+?)\s*,\s*(?P<high>[^,\]]+?)\s*\]", re.I)
_AGE = re.compile(
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>years?|months?|weeks?|days?|hours?|minutes?)", re.I
)
_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_YEARS_PER = {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25}
_YEARS_PER.update(hour=1 / 8766, minute=1 / 525960)

_ADVANCED_LISTS = {
    "phase": "phases",
    "overallstatus": "statuses",
    "studytype": "study_types",
    "stdage": "age_groups",
    "locationcountry": "countries",
}
_ADVANCED_HELP = (
    "supported: AREA[Phase], AREA[OverallStatus], AREA[StudyType], AREA[StdAge], "
    "AREA[LocationCountry], AREA[Sex], AREA[HealthyVolunteers] with a value or (A OR B); "
    "AREA[MinimumAge], AREA[MaximumAge], AREA[StartDate], AREA[LastUpdatePostDate] with "
    "RANGE[low, high] (MIN and MAX allowed); joined with AND"
)


@dataclass(frozen=True, slots=True)
class Paging:
    """Page size, token and whether to count the total, as the request asked."""

    page_size: int
    page_token: str | None
    count_total: bool


def query_from_params(
    params: Mapping[str, str], *, default_statuses: tuple[str, ...] = ()
) -> SearchQuery:
    """Build a `SearchQuery` from API v2 parameters; raises QueryError naming the bad one."""
    values: dict[str, Any] = {}
    for parameter, field in TEXT_PARAMETERS.items():
        values[field] = params.get(parameter, "")
    statuses = params.get("filter.overallStatus")
    values["statuses"] = _split(statuses) if statuses else default_statuses
    if ids := params.get("filter.ids"):
        values["nct_ids"] = _split(ids)
    if geo := params.get("filter.geo"):
        values["geo"] = parse_geo(geo)
    if (age := params.get("filter.age")) is not None:
        values["age"] = _number(age, "filter.age")
    if country := params.get("filter.country"):
        values["countries"] = _split(country)
    for parameter, field in (("filter.ecog", "ecog"), ("filter.egfr", "egfr")):
        if (text := params.get(parameter)) is not None:
            values[field] = _number(text, parameter)
    if agg := params.get("aggFilters"):
        values.update(_agg_filters(agg))
    if advanced := params.get("filter.advanced"):
        values.update(_advanced(advanced))
    if sort := params.get("sort"):
        values["sort"], values["is_descending"] = _sort(sort)
    return SearchQuery(**values)


def paging_from_params(params: Mapping[str, str], default_page_size: int = 10) -> Paging:
    """Read `pageSize`, `pageToken` and `countTotal`; raises QueryError."""
    size_text = params.get("pageSize")
    page_size = default_page_size
    if size_text is not None:
        if not size_text.strip().isdigit():
            raise QueryError(
                f"pageSize {size_text[:40]!r} is not a whole number from 1 to 1000", "pageSize"
            )
        page_size = int(size_text)
    return Paging(
        page_size=page_size,
        page_token=params.get("pageToken") or None,
        count_total=parse_bool(params.get("countTotal", "false"), "countTotal"),
    )


def parse_bool(text: str, parameter: str) -> bool:
    """``true``/``false`` (any case) → bool; raises QueryError otherwise."""
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise QueryError(f"{parameter} {text[:40]!r} is not true or false", parameter)
    return value == "true"


def parse_geo(text: str, parameter: str = "filter.geo") -> GeoArea:
    """``distance(42.36,-71.06,50mi)`` or ``distance(Boston, MA,50mi)`` → a GeoArea."""
    match = _GEO.fullmatch(text)
    if match is None:
        raise QueryError(
            f"{parameter} {text[:80]!r} is not distance(lat,lon,50mi) or distance(place,80km)",
            parameter,
        )
    place = resolve_place(match.group("place"), parameter)
    return GeoArea(place.lat, place.lon, parse_distance(match.group("distance"), parameter))


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,|]", text) if part.strip())


def _number(text: str, parameter: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise QueryError(f"{parameter} {text[:40]!r} is not a number", parameter) from None


def _agg_filters(text: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in _split(text):
        name, _, codes = item.partition(":")
        if name.strip() not in _AGG_VALUES:
            raise QueryError(
                f"aggFilters: {name.strip()[:40]!r} is not one of {', '.join(_AGG_VALUES)}",
                "aggFilters",
            )
        field, table = _AGG_VALUES[name.strip()]
        chosen = []
        for code in codes.split():
            if code.lower() not in table:
                raise QueryError(
                    f"aggFilters: {name.strip()}:{code[:20]!r} is not one of {', '.join(table)}",
                    "aggFilters",
                )
            chosen.append(table[code.lower()])
        if field in ("sex", "healthy_volunteers", "has_results"):
            if len(chosen) != 1:
                raise QueryError(f"aggFilters: {name.strip()} takes one value", "aggFilters")
            if field == "sex":
                values[field] = chosen[0]
            else:
                values[field] = chosen[0] == "true"
        else:
            values[field] = tuple(chosen)
    return values


def _advanced(text: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if len(text) > 2_000:
        raise QueryError("filter.advanced is longer than 2,000 characters", "filter.advanced")
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = _AREA.fullmatch(part)
        if match is None:
            raise QueryError(
                f"filter.advanced: {part[:80]!r} is not supported; {_ADVANCED_HELP}",
                "filter.advanced",
            )
        area, value = match.group("area").lower(), match.group("value")
        if area in _ADVANCED_LISTS:
            field = _ADVANCED_LISTS[area]
            # Replaces what other parameters chose; repeated AREAs add alternatives.
            values[field] = tuple(values.get(field, ())) + _alternatives(value)
        elif area in ("sex", "gender"):
            values["sex"] = _single(value, area)
        elif area == "healthyvolunteers":
            values["healthy_volunteers"] = parse_bool(_single(value, area), "filter.advanced")
        elif area in ("minimumage", "maximumage"):
            low, high = _range(value, area)
            field = "minimum_age" if area == "minimumage" else "maximum_age"
            values[field] = (_years(low), _years(high))
        elif area in ("startdate", "lastupdatepostdate"):
            low, high = _range(value, area)
            field = "start_date" if area == "startdate" else "last_update"
            values[field] = (_date(low), _date(high))
        else:
            raise QueryError(
                f"filter.advanced: AREA[{match.group('area')}] is not supported; {_ADVANCED_HELP}",
                "filter.advanced",
            )
    return values


def _alternatives(value: str) -> tuple[str, ...]:
    inner = value.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return tuple(part.strip().strip('"') for part in re.split(r"\s+OR\s+", inner) if part.strip())


def _single(value: str, area: str) -> str:
    values = _alternatives(value)
    if len(values) != 1:
        raise QueryError(f"filter.advanced: AREA[{area}] takes one value", "filter.advanced")
    return values[0]


def _range(value: str, area: str) -> tuple[str | None, str | None]:
    match = _RANGE.fullmatch(value.strip())
    if match is None:
        raise QueryError(
            f"filter.advanced: AREA[{area}] needs RANGE[low, high], not {value[:60]!r}",
            "filter.advanced",
        )
    low, high = match.group("low"), match.group("high")
    return (None if low.upper() == "MIN" else low, None if high.upper() == "MAX" else high)


def _years(text: str | None) -> float | None:
    if text is None:
        return None
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise QueryError(
            f"filter.advanced: age {text[:40]!r} is not like '16 years' or '6 months'",
            "filter.advanced",
        )
    unit = match.group("unit").lower().rstrip("s")
    return float(match.group("value")) * _YEARS_PER[unit]


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    if not _DATE.fullmatch(text.strip()):
        raise QueryError(
            f"filter.advanced: date {text[:40]!r} is not YYYY-MM-DD (or YYYY-MM, YYYY)",
            "filter.advanced",
        )
    return text.strip()


def _sort(text: str) -> tuple[str, bool]:
    first = _split(text)[0] if _split(text) else ""
    name, _, direction = first.partition(":")
    key = _SORTS.get(name.strip().lower())
    if key is None:
        raise QueryError(
            f"sort {name[:40]!r} is not one of @relevance, LastUpdatePostDate, StartDate, NCTId, "
            "distance (add :asc or :desc)",
            "sort",
        )
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise QueryError(f"sort direction {direction[:20]!r} is not asc or desc", "sort")
    is_date = key in ("last_update", "start_date")
    return key, direction == "desc" or (direction == "" and is_date)
