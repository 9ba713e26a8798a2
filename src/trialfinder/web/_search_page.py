"""The clinical-trials search page: URL parameters → store query → result cards and facets.

`search_page_data` is the one data function behind the HTML page, its JSON twin and its Atom feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from trialfinder.errors import QueryError
from trialfinder.model import Trial
from trialfinder.present import ages_text, humanise, phase_text
from trialfinder.search import (
    AGE_GROUPS,
    OPEN_STATUSES,
    PHASES,
    STUDY_TYPES,
    Place,
    SearchQuery,
    parse_distance,
    resolve_place,
)
from trialfinder.store.base import GeoArea, Store, StudyHit

KM_PER_MILE = 1.609344
PAGE_SIZE = 10
FEED_SIZE = 20
TIME_LIMIT_S = 5.0
DISTANCES = ("10mi", "25mi", "50mi", "100mi", "250mi", "500mi")
DEFAULT_DISTANCE = "100mi"
SORTS = {
    "relevance": "Best match",
    "distance": "Nearest first",
    "last_update": "Recently updated",
    "start_date": "Newest start date",
    "nct_id": "NCT number",
}
STATUS_CHOICES = (
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "UNKNOWN",
)
AGE_GROUP_LABELS = {"CHILD": "Child (0–17)", "ADULT": "Adult (18–64)", "OLDER_ADULT": "Older adult"}
_LIST_PARAMETERS = ("status", "phase", "type", "age_group")
_TEXT_PARAMETERS = ("q", "cond", "place", "distance", "sex", "age", "healthy", "sort")


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the visitor asked for, exactly as the URL carries it (echoed back into the form)."""

    q: str = ""
    cond: str = ""
    place: str = ""
    distance: str = DEFAULT_DISTANCE
    status: tuple[str, ...] = ()
    phase: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    age_group: tuple[str, ...] = ()
    sex: str = ""
    age: str = ""
    healthy: str = ""
    sort: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[str]]) -> SearchForm:
        """Read the form from query parameters (each a list of values, as in a URL)."""

        def one(name: str, default: str = "") -> str:
            values = params.get(name) or [default]
            return values[0].strip()[:500]

        def many(name: str) -> tuple[str, ...]:
            return tuple(v.strip().upper() for v in params.get(name, []) if v.strip())[:20]

        page_text = one("page", "1")
        if not page_text.isdigit() or not 1 <= int(page_text) <= 1000:
            raise QueryError(f"page {page_text[:20]!r} is not a page number from 1 to 1000", "page")
        return cls(
            q=one("q"),
            cond=one("cond"),
            place=one("place"),
            distance=one("distance", DEFAULT_DISTANCE) or DEFAULT_DISTANCE,
            # A first visit shows trials a patient can still join, as the CLI does; a search
            # that names any status (or ANY) gets exactly what it names.
            status=many("status") if "status" in params else OPEN_STATUSES,
            phase=many("phase"),
            type=many("type"),
            age_group=many("age_group"),
            sex=one("sex").upper(),
            age=one("age"),
            healthy=one("healthy"),
            sort=one("sort"),
            page=int(page_text),
        )

    def pairs(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The URL parameters that reproduce this search (empty values left out)."""
        pairs: list[tuple[str, str]] = []
        for name in _TEXT_PARAMETERS:
            value = getattr(self, name)
            if value and not (name == "distance" and (value == DEFAULT_DISTANCE or not self.place)):
                pairs.append((name, value))
        for name in _LIST_PARAMETERS:
            pairs.extend((name, value) for value in getattr(self, name))
        if page is not None and page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def query_string(self, *, page: int | None = None) -> str:
        """`?…` of this search, or "" when it has no parameters."""
        pairs = self.pairs(page=page)
        return "?" + urlencode(pairs) if pairs else ""


@dataclass(frozen=True, slots=True)
class ResultCard:
    """One search result as a card shows it."""

    nct_id: str
    url: str
    title: str
    acronym: str
    status: str
    status_label: str
    phase: str
    conditions: list[str]
    ages: str
    site_name: str = ""
    site_place: str = ""
    distance: str = ""
    last_update_posted: str = ""
    brief_summary: str = ""


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One checkbox of a filter: value, label, matching trials, whether it is ticked."""

    value: str
    label: str
    count: int
    is_selected: bool


@dataclass(frozen=True, slots=True)
class Facet:
    """A filter group: URL parameter name, title and its values."""

    name: str
    title: str
    values: list[FacetValue]


@dataclass(frozen=True, slots=True)
class SortChoice:
    """One option of the sort menu."""

    value: str
    label: str
    is_selected: bool


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Everything the search page, its JSON twin and its Atom feed show."""

    form: SearchForm
    query_string: str
    feed_url: str
    results: list[ResultCard] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    first: int = 0
    last: int = 0
    previous_url: str = ""
    next_url: str = ""
    facets: list[Facet] = field(default_factory=list)
    sorts: list[SortChoice] = field(default_factory=list)
    distances: list[str] = field(default_factory=list)
    place_name: str = ""
    error: str = ""
    error_parameter: str = ""


def distance_text(km: float | None) -> str:
    """``12 mi (19 km)``; under a mile reads ``Less than 1 mi``; unknown is empty."""
    if km is None:
        return ""
    miles = km / KM_PER_MILE
    if miles < 1:
        return "Less than 1 mi (1 km)"
    return f"{miles:,.0f} mi ({km:,.0f} km)"


def _query(form: SearchForm) -> tuple[SearchQuery, Place | None]:
    place: Place | None = None
    geo: GeoArea | None = None
    if form.place:
        place = resolve_place(form.place, "place")
        geo = GeoArea(place.lat, place.lon, parse_distance(form.distance, "distance"))
    age: float | None = None
    if form.age:
        try:
            age = float(form.age)
        except ValueError:
            raise QueryError(f"age {form.age[:20]!r} is not a number of years", "age") from None
    if form.healthy not in ("", "yes", "no"):
        raise QueryError(f"healthy {form.healthy[:20]!r} is not 'yes' or 'no'", "healthy")
    sort = form.sort or ("distance" if place and not (form.q or form.cond) else "relevance")
    if sort == "distance" and place is None:
        sort = "relevance"
    query = SearchQuery(
        term=form.q,
        cond=form.cond,
        statuses=() if "ANY" in form.status else form.status,
        phases=form.phase,
        study_types=form.type,
        age_groups=form.age_group,
        sex=form.sex,
        age=age,
        healthy_volunteers={"yes": True, "no": False}.get(form.healthy),
        geo=geo,
        sort=sort,
        is_descending=sort in ("last_update", "start_date"),
    )
    return query, place


def _card(trial: Trial, hit: StudyHit, place: Place | None) -> ResultCard:
    site_name = site_place = ""
    if hit.site is not None:
        site_name = hit.site.name
        site_place = ", ".join(filter(None, (hit.site.city, hit.site.state, hit.site.country)))
    url = f"/trials/{trial.nct_id}"
    if place is not None:
        url += "?" + urlencode({"place": place.name})
    return ResultCard(
        nct_id=trial.nct_id,
        url=url,
        title=trial.brief_title or trial.official_title or trial.nct_id,
        acronym=trial.acronym,
        status=trial.overall_status,
        status_label=humanise(trial.overall_status),
        phase=phase_text(trial.phases),
        conditions=list(trial.conditions),
        ages=ages_text(trial),
        site_name=site_name,
        site_place=site_place,
        distance=distance_text(hit.distance_km),
        last_update_posted=trial.last_update_posted,
        brief_summary=trial.brief_summary,
    )


def _facet(
    name: str,
    title: str,
    choices: Sequence[str],
    counts: Mapping[str, int],
    selected: tuple[str, ...],
    labels: Mapping[str, str] | None = None,
) -> Facet:
    values = [
        FacetValue(
            value=value,
            label=(labels or {}).get(value) or humanise(value),
            count=counts.get(value, 0),
            is_selected=value in selected,
        )
        for value in choices
        if counts.get(value, 0) or value in selected
    ]
    return Facet(name, title, values)


def search_page_data(
    store: Store, form: SearchForm, *, page_size: int = PAGE_SIZE, newest_first: bool = False
) -> SearchPage:
    """Run the search a form describes: one page of result cards, facet counts, paging links.

    With `newest_first` (the Atom feed) the sort becomes most recently updated first.
    """
    base = SearchPage(
        form=form,
        query_string=form.query_string(),
        feed_url="/feed.atom" + form.query_string(),
        sorts=[SortChoice(k, v, k == (form.sort or "relevance")) for k, v in SORTS.items()],
        distances=list(DISTANCES),
    )
    try:
        query, place = _query(form)
        if newest_first:
            query = replace(query, sort="last_update", is_descending=True)
        where = query.study_filter()
        sort = query.study_sort()
        offset = (form.page - 1) * page_size
        hits = store.search_trials(where, sort, page_size, offset, TIME_LIMIT_S)
        total = store.count_trials(where, TIME_LIMIT_S)
        counts = store.facet_counts(where, TIME_LIMIT_S)
    except QueryError as error:
        return replace(base, error=error.message, error_parameter=error.parameter or "")
    trials = store.get_trials_many([hit.nct_id for hit in hits])
    cards = [_card(trials[hit.nct_id], hit, place) for hit in hits if hit.nct_id in trials]
    pages = -(-total // page_size)
    return replace(
        base,
        results=cards,
        total=total,
        page=form.page,
        pages=pages,
        first=offset + 1 if cards else 0,
        last=offset + len(cards),
        previous_url="/" + form.query_string(page=form.page - 1) if form.page > 1 else "",
        next_url="/" + form.query_string(page=form.page + 1) if form.page < pages else "",
        facets=[
            _facet("status", "Status", STATUS_CHOICES, counts["overallStatus"], form.status),
            _facet("phase", "Phase", PHASES, counts["phase"], form.phase),
            _facet("type", "Study type", STUDY_TYPES, counts["studyType"], form.type),
            _facet(
                "age_group",
                "Age group",
                AGE_GROUPS,
                counts["stdAge"],
                form.age_group,
                AGE_GROUP_LABELS,
            ),
        ],
        place_name=place.name if place else "",
    )
