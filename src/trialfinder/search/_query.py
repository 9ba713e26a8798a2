"""The one query model that the CLI, the API and the web pages fill in, and its vocabularies."""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.errors import QueryError
from trialfinder.search._places import country_name
from trialfinder.search._text import plain_words, text_search
from trialfinder.sources.normalize import NCT_ID
from trialfinder.store.base import GeoArea, StudyFilter, StudySort, TextSearch

OVERALL_STATUSES = (
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "ENROLLING_BY_INVITATION",
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
)
"""The 14 `overallStatus` values of ClinicalTrials.gov API v2."""

OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING")
"""What the website and the CLI show by default (the API defaults to every status)."""

PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS")
SEXES = ("FEMALE", "MALE", "ALL")
AGE_GROUPS = ("CHILD", "ADULT", "OLDER_ADULT")
SORT_KEYS = ("relevance", "distance", "last_update", "start_date", "nct_id")

DateRange = tuple[str | None, str | None]
AgeRange = tuple[float | None, float | None]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to search for. Text fields use ClinicalTrials.gov's `query.*` meanings; empty
    tuples and None do not filter. `sex` is the patient's: "FEMALE" finds trials open to women.
    """

    term: str = ""
    cond: str = ""
    intr: str = ""
    titles: str = ""
    spons: str = ""
    locn: str = ""
    id: str = ""
    nct_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    sex: str = ""
    age: float | None = None
    age_groups: tuple[str, ...] = ()
    healthy_volunteers: bool | None = None
    countries: tuple[str, ...] = ()
    has_results: bool | None = None
    start_date: DateRange | None = None
    last_update: DateRange | None = None
    minimum_age: AgeRange | None = None
    maximum_age: AgeRange | None = None
    geo: GeoArea | None = None
    ecog: float | None = None
    egfr: float | None = None
    sort: str = "relevance"
    is_descending: bool = False

    def study_filter(self) -> StudyFilter:
        """Check every value and translate the query for the store; raises QueryError."""
        texts: list[TextSearch] = []
        for text, parameter, columns, expand in (
            (self.term, "query.term", (), True),
            (self.cond, "query.cond", ("conditions", "keywords", "title"), True),
            (self.intr, "query.intr", ("interventions",), False),
            (self.titles, "query.titles", ("title",), False),
        ):
            search = text_search(text, parameter, columns, expand_synonyms=expand)
            if search is not None:
                texts.append(search)
        return StudyFilter(
            text=tuple(texts),
            nct_ids=_nct_ids(self.nct_ids),
            id_words=plain_words(self.id, "query.id"),
            sponsor_words=plain_words(self.spons, "query.spons"),
            location_words=plain_words(self.locn, "query.locn"),
            statuses=_check(self.statuses, OVERALL_STATUSES, "filter.overallStatus"),
            phases=_check(self.phases, PHASES, "phase"),
            study_types=_check(self.study_types, STUDY_TYPES, "studyType"),
            sexes=_patient_sex(self.sex),
            age_years=_age(self.age),
            minimum_age_range=self.minimum_age,
            maximum_age_range=self.maximum_age,
            age_groups=_check(self.age_groups, AGE_GROUPS, "ageGroup"),
            healthy_volunteers=self.healthy_volunteers,
            countries=tuple(registry_country(c) for c in self.countries),
            has_results=self.has_results,
            start_date_range=self.start_date,
            last_update_range=self.last_update,
            geo=self.geo,
            ecog=_in_range(self.ecog, 0, 5, "filter.ecog", "an ECOG grade"),
            egfr=_in_range(self.egfr, 0, 250, "filter.egfr", "an eGFR in mL/min/1.73 m²"),
        )

    def study_sort(self) -> StudySort:
        """The store's sort for this query; raises QueryError for an unknown key."""
        if self.sort not in SORT_KEYS:
            raise QueryError(
                f"sort {self.sort!r} is not one of {', '.join(SORT_KEYS)}", parameter="sort"
            )
        if self.sort == "distance" and self.geo is None:
            raise QueryError("sorting by distance needs a place (filter.geo)", parameter="sort")
        return StudySort(self.sort, self.is_descending)


def _check(values: tuple[str, ...], allowed: tuple[str, ...], parameter: str) -> tuple[str, ...]:
    normal = tuple(v.strip().upper() for v in values)
    for value in normal:
        if value not in allowed:
            raise QueryError(
                f"{parameter}: {value!r} is not one of {', '.join(allowed)}", parameter
            )
    return normal


def _nct_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    normal = tuple(v.strip().upper() for v in values)
    for value in normal:
        if not NCT_ID.fullmatch(value):
            raise QueryError(
                f"filter.ids: {value[:40]!r} is not an NCT id ('NCT' followed by 8 digits)",
                "filter.ids",
            )
    return normal


def _patient_sex(sex: str) -> tuple[str, ...]:
    value = sex.strip().upper()
    if not value or value == "ALL":
        return ()
    if value not in ("FEMALE", "MALE"):
        raise QueryError(f"sex: {sex!r} is not one of FEMALE, MALE, ALL", "sex")
    return (value, "ALL")


def _age(age: float | None) -> float | None:
    if age is not None and not 0 <= age <= 150:
        raise QueryError(f"filter.age: {age:g} is not an age in years between 0 and 150", "age")
    return age


def _in_range(
    value: float | None, low: float, high: float, parameter: str, what: str
) -> float | None:
    if value is not None and not low <= value <= high:
        raise QueryError(
            f"{parameter}: {value:g} is not {what} between {low:g} and {high:g}", parameter
        )
    return value


def registry_country(text: str) -> str:
    """ClinicalTrials.gov's name of a country given by name or ISO code; raises QueryError."""
    name = country_name(text)
    if name is None:
        raise QueryError(
            f"country: {text[:60]!r} is not a country name or ISO code (e.g. 'France', 'US')",
            "country",
        )
    return name
