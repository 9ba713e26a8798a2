"""Searching the 790 real studies: text, synonyms, filters, distance, paging, facets, safety."""

from __future__ import annotations

import math

import pytest

from trialfinder.errors import QueryError
from trialfinder.search import (
    OPEN_STATUSES,
    SearchQuery,
    count_studies,
    facet_studies,
    find_sites,
    parse_geo,
    search_studies,
)
from trialfinder.store import Store


def _ids(store: Store, query: SearchQuery) -> list[str]:
    return [hit.nct_id for hit in search_studies(store, query, page_size=100).hits]


def test_abbreviation_finds_mesh_condition(real_store: Store) -> None:
    assert _ids(real_store, SearchQuery(cond="SLE")) == ["NCT05843643"]


def test_abbreviation_and_full_name_agree(real_store: Store) -> None:
    assert count_studies(real_store, SearchQuery(cond="T2DM")) == 26
    assert count_studies(real_store, SearchQuery(cond="type 2 diabetes")) == 26


def test_counts_per_filter(real_store: Store) -> None:
    counts = {
        "open": count_studies(real_store, SearchQuery(statuses=OPEN_STATUSES)),
        "age 12": count_studies(real_store, SearchQuery(age=12)),
        "child": count_studies(real_store, SearchQuery(age_groups=("CHILD",))),
        "results": count_studies(real_store, SearchQuery(has_results=True)),
        "healthy": count_studies(real_store, SearchQuery(healthy_volunteers=True)),
        "male": count_studies(real_store, SearchQuery(sex="MALE")),
        "phase 3": count_studies(real_store, SearchQuery(phases=("PHASE3",))),
        "France": count_studies(real_store, SearchQuery(countries=("FR",))),
        "started 2024": count_studies(
            real_store, SearchQuery(start_date=("2024-01-01", "2024-12-31"))
        ),
    }
    assert counts == {
        "open": 501,
        "age 12": 92,
        "child": 120,
        "results": 31,
        "healthy": 80,
        "male": 755,
        "phase 3": 151,
        "France": 108,
        "started 2024": 106,
    }


def test_title_hits_rank_above_criteria_hits(real_store: Store) -> None:
    hits = search_studies(real_store, SearchQuery(term="nightmare"), page_size=3).hits
    assert [hit.score is not None and hit.score > 0 for hit in hits] == [True, True, True]
    assert hits[0].score is not None and hits[-1].score is not None
    assert hits[0].score >= hits[-1].score


def test_geo_gives_nearest_site_and_distance(real_store: Store) -> None:
    query = SearchQuery(cond="leukemia", geo=parse_geo("distance(02115,5mi)"), sort="distance")
    page = search_studies(real_store, query, page_size=3, count_total=True)
    assert page.total == 8
    first = page.hits[0]
    assert first.nct_id == "NCT03319901"
    assert first.site is not None and first.site.name == "Massachusetts General Hospital"
    # ZIP 02115 (42.3427, -71.0922) to the registry's Boston point (42.35843, -71.05977).
    expected = (
        2
        * 6371.0088
        * math.asin(
            math.sqrt(
                math.sin(math.radians(42.35843 - 42.3427) / 2) ** 2
                + math.cos(math.radians(42.3427))
                * math.cos(math.radians(42.35843))
                * math.sin(math.radians(-71.05977 + 71.0922) / 2) ** 2
            )
        )
    )
    assert first.distance_km == pytest.approx(expected)
    assert round(expected, 3) == 3.188


def test_pages_walk_to_the_end_without_repeats(real_store: Store) -> None:
    query = SearchQuery(cond="leukemia")
    seen: list[str] = []
    token = None
    while True:
        page = search_studies(real_store, query, page_size=25, page_token=token)
        seen += [hit.nct_id for hit in page.hits]
        token = page.next_page_token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == count_studies(real_store, query) == 108


def test_page_token_of_another_search_is_refused(real_store: Store) -> None:
    token = search_studies(real_store, SearchQuery(cond="leukemia"), page_size=5).next_page_token
    with pytest.raises(QueryError) as error:
        search_studies(real_store, SearchQuery(cond="asthma"), page_token=token)
    assert error.value.parameter == "pageToken"


def test_facet_totals_equal_count(real_store: Store) -> None:
    query = SearchQuery(cond="leukemia")
    facets = facet_studies(real_store, query)
    total = count_studies(real_store, query)
    for name in ("overallStatus", "studyType", "sex"):
        assert sum(facets[name].values()) == total, name
    assert facets["overallStatus"] == {
        "RECRUITING": 86,
        "NOT_YET_RECRUITING": 20,
        "ACTIVE_NOT_RECRUITING": 1,
        "UNKNOWN": 1,
    }


def test_sites_near_a_place(real_store: Store) -> None:
    page = find_sites(real_store, geo=parse_geo("distance(Boston, MA,1km)"), page_size=2)
    assert page.total == 28
    assert [distance for _, distance in page.sites] == pytest.approx([0.0, 0.0])


def test_time_limit_stops_a_search(real_store: Store) -> None:
    with pytest.raises(QueryError) as error:
        search_studies(real_store, SearchQuery(term="patients"), time_limit_s=0.0)
    assert error.value.args[0] == (
        "the search took longer than 0 s and was stopped; add words or filters to narrow it"
    )


HOSTILE = [
    '"',
    "'",
    "NEAR(cancer",
    "*",
    "-",
    "cancer*",
    "AND OR NOT",
    "x' or 1=1 --",
    "'; drop table trials; --",
    "{title}: cancer",
    "lupus^2",
    "😀 lupus 🧬",
    "a" * 10_240,
    "\x00 nul",
    "ﾃｽﾄ 日本語",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("field", ["term", "cond", "intr", "titles", "spons", "locn", "id"])
def test_hostile_text_never_crashes(real_store: Store, field: str, text: str) -> None:
    try:
        page = search_studies(real_store, SearchQuery(**{field: text}), count_total=True)
    except QueryError as error:
        assert error.parameter == f"query.{field}"
    else:
        assert page.total is not None and page.total <= 790
    assert count_studies(real_store, SearchQuery()) == 790
