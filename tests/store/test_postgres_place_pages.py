"""PostgreSQL place searches not ordered by distance: the circle only narrows the trials, and
each trial of the page gets its nearest site afterwards. The page must show the same site and
distance as a search ordered by distance does. A relevance page of words near a place finds its
hits by a looser query and must still show exactly the hits of its words."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.search import SearchQuery, count_studies, parse_geo, search_studies
from trialfinder.store.base import GeoArea, StudyFilter, StudySort, TextSearch, TextTerm
from trialfinder.store.postgres import PostgresStore, configure_session
from trialfinder.store.postgres_plan import plan_settings
from trialfinder.store.postgres_search import (
    LABEL_WEIGHTS,
    SITE_DISTANCE_KM,
    TEXT_CONFIG,
    candidate_tsquery,
    geo_params,
    nearest_sites_sql,
    study_search_sql,
    tsquery,
)

pytestmark = pytest.mark.postgres

_LOCATION_DISTANCE_KM = SITE_DISTANCE_KM.replace("sites.", "locations.").strip()


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(cond="cancer", geo=parse_geo("distance(Boston, MA,50mi)")),
        SearchQuery(term="leukemia", geo=parse_geo("distance(New York, NY,100mi)")),
        SearchQuery(cond="cancer", locn="hospital", geo=parse_geo("distance(Paris,100km)")),
        SearchQuery(geo=parse_geo("distance(London,50mi)"), sort="last_update"),
    ],
    ids=["cond-boston", "term-new-york", "cond-locn-paris", "by-last-update-london"],
)
def test_pages_not_by_distance_show_each_trials_nearest_site(
    pg_real_store: PostgresStore, query: SearchQuery
) -> None:
    total = count_studies(pg_real_store, query)
    assert 0 < total <= 1000
    page = search_studies(pg_real_store, query, page_size=1000).hits
    nearest = search_studies(pg_real_store, replace(query, sort="distance"), page_size=1000).hits
    assert len(page) == len(nearest) == total
    assert {hit.nct_id: (hit.site, hit.site_status, hit.distance_km) for hit in page} == {
        hit.nct_id: (hit.site, hit.site_status, hit.distance_km) for hit in nearest
    }
    assert all(hit.site is not None and hit.distance_km is not None for hit in page)
    assert any(hit.site_status for hit in page)


def _statements_sent(
    store: PostgresStore, query: SearchQuery, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[Any]]:
    """(statements, hits) of a first page of `query`, the store's session already set up."""
    search_studies(store, query, page_size=10)
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counted(self: psycopg.Connection[Any], sql: Any, *args: Any, **kw: Any) -> Any:
        sent.append(str(sql))
        return execute(self, sql, *args, **kw)

    with monkeypatch.context() as patched:
        patched.setattr(psycopg.Connection, "execute", counted)
        hits = search_studies(store, query, page_size=10).hits
    return [sql for sql in sent if not sql.startswith("select set_config")], hits


def test_a_page_not_by_distance_finds_its_sites_in_one_statement(
    pg_real_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nearest sites of a page not ordered by distance come with their details, in one
    statement after the page (and the reset of its plan settings)."""
    query = SearchQuery(cond="cancer", geo=parse_geo("distance(Boston, MA,50mi)"))
    sent, hits = _statements_sent(pg_real_store, query, monkeypatch)
    assert hits and all(hit.site is not None for hit in hits)
    assert any(hit.site_status for hit in hits)
    assert len(sent) == 3 and sent[1].startswith("reset ")


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(geo=parse_geo("distance(Boston, MA,50mi)"), statuses=("RECRUITING",)),
        SearchQuery(cond="cancer", geo=parse_geo("distance(Boston, MA,50mi)"), sort="distance"),
    ],
    ids=["place-only", "words-by-distance"],
)
def test_a_nearest_first_page_reads_its_sites_with_the_page(
    pg_real_store: PostgresStore, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    """A page ordered nearest first shows each trial's nearest site, read in the statement
    that finds the page (no statement after it, not even a reset of its plan settings), and
    in page order: the same sites, distances and order as the trials' own sites say."""
    sent, hits = _statements_sent(pg_real_store, query, monkeypatch)
    assert len(sent) == 1 and len(hits) == 10
    assert [hit.distance_km for hit in hits] == sorted(hit.distance_km or 0 for hit in hits)
    geo = query.geo
    assert geo is not None
    with psycopg.connect(pg_real_store.url) as conn:
        for hit in hits:
            assert hit.site is not None
            nearest = conn.execute(
                f"""
                select locations.site_id, locations.status, {_LOCATION_DISTANCE_KM} as distance_km
                from locations
                where locations.nct_id = %(nct_id)s and locations.lat is not null
                order by distance_km, locations.position
                limit 1
                """,
                {**geo_params(geo), "nct_id": hit.nct_id},
            ).fetchone()
            assert nearest == (hit.site.site_id, hit.site_status, hit.distance_km)


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(cond="cancer", geo=parse_geo("distance(Boston, MA,50mi)")),
        SearchQuery(cond="cancer", locn="hospital", geo=parse_geo("distance(Paris,100km)")),
    ],
    ids=["cond-boston", "cond-locn-paris"],
)
def test_a_pages_nearest_sites_are_read_by_trial_not_by_the_circles_box(
    pg_real_store: PostgresStore, query: SearchQuery
) -> None:
    where = query.study_filter()
    assert where.geo is not None
    page = search_studies(pg_real_store, query, page_size=10).hits
    sql, params = nearest_sites_sql(where, where.geo, [hit.nct_id for hit in page])
    with psycopg.connect(pg_real_store.url) as conn:
        configure_session(conn)
        plan = "\n".join(row[0] for row in conn.execute("explain " + sql, params))
        found = {row[0]: row[2] for row in conn.execute(sql, params)}
    assert "locations_pkey" in plan
    assert "locations_earth" not in plan
    assert found == {hit.nct_id: hit.distance_km for hit in page}


def _point_at(lat: float, lon: float, bearing_degrees: float, km: float) -> tuple[float, float]:
    """The point `km` from (lat, lon) along the great circle leaving at the bearing."""
    angle, bearing = km / 6371.0088, math.radians(bearing_degrees)
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return math.degrees(lat2), (math.degrees(lon2) + 540.0) % 360.0 - 180.0


@pytest.mark.parametrize("radius_km", [2.0, 40.0, 400.0])
@pytest.mark.parametrize("bearing", range(0, 360, 30))
def test_a_pages_nearest_site_may_lie_at_the_edge_of_the_circle(
    pg_real_store: PostgresStore, bearing: int, radius_km: float
) -> None:
    # The circle is drawn so that a trial's site lies just inside it, in the direction of
    # `bearing`: near the side or corner of the box that drops sites before measuring them.
    distance = SITE_DISTANCE_KM.replace("sites.", "locations.").strip()
    with psycopg.connect(pg_real_store.url) as conn:
        configure_session(conn)
        site = conn.execute(
            """
            select nct_id, lat, lon
            from locations
            where lat between -60 and 60 and nct_id > 'NCT03'
            order by nct_id, position
            limit 1
            """
        ).fetchone()
        assert site is not None
        nct_id, lat, lon = site
        geo = GeoArea(*_point_at(lat, lon, bearing + 180.0, radius_km * 0.9999), radius_km)
        exact = f"""
            select locations.position, {distance}
            from locations
            where locations.nct_id = %(nct_id)s and {distance} <= %(geo_radius_km)s
            order by {distance}, locations.position
            limit 1
            """
        expected = conn.execute(exact, {**geo_params(geo), "nct_id": nct_id}).fetchall()
        sql, params = nearest_sites_sql(StudyFilter(geo=geo), geo, [nct_id])
        found = [row[1:] for row in conn.execute(sql, params)]
    assert len(expected) == 1
    assert found == expected


def test_a_looser_query_drops_labels_phrases_and_nothing_else() -> None:
    # A quoted phrase or a word, and a prefix, in the title, conditions and keywords.
    where = SearchQuery(cond='"breast cancer" OR lung neoplas*').study_filter()
    assert tsquery(where.text) == "((('breast':AB <-> 'cancer':AB) | 'lung':AB) & 'neoplas':*AB)"
    assert candidate_tsquery(where.text) == "((('breast' & 'cancer') | 'lung') & 'neoplas':*)"
    both = SearchQuery(cond="lung cancer", intr="pembrolizumab").study_filter()
    assert candidate_tsquery(both.text) == "('lung' & 'cancer') & ('pembrolizumab')"
    # A word excluded from some columns may be in the others: no looser query leaves it out.
    assert candidate_tsquery(SearchQuery(cond="cancer -breast").study_filter().text) is None


def test_a_looser_query_writes_the_words_its_alternatives_share_once() -> None:
    # "non-small cell lung cancer" and its synonyms, as the condition's search reads them.
    alternatives = (
        ("non", "small", "cell", "lung", "cancer"),
        ("nsclc",),
        ("carcinoma", "non", "small", "cell", "lung"),
    )
    search = TextSearch((), (TextTerm(alternatives),))
    assert candidate_tsquery((search,)) == (
        "(((('non' & 'small' & 'cell' & 'lung') & ('cancer' | 'carcinoma')) | 'nsclc'))"
    )
    # An alternative holding all the words of another adds nothing.
    contained = TextTerm((("type", "2", "diabetes"), ("diabetes", "mellitus", "type", "2")))
    assert candidate_tsquery((TextSearch((), (contained,)),)) == "(('type' & '2' & 'diabetes'))"


_WORDS = ("lung", "cancer", "cell", "carcinoma", "small", "nsclc")


@settings(max_examples=40, deadline=None)
@given(
    alternatives=st.lists(
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(tuple),
        min_size=1,
        max_size=5,
    ),
    is_prefix=st.booleans(),
)
def test_a_looser_query_finds_what_its_alternatives_find(
    pg_real_store: PostgresStore, alternatives: list[tuple[str, ...]], is_prefix: bool
) -> None:
    """Written with shared words once, the looser query matches exactly the documents that
    one of its alternatives (all of its words, anywhere) matches: every document of the
    words, checked by PostgreSQL."""
    term = TextTerm(tuple(alternatives), is_prefix=is_prefix)
    last = ":*" if is_prefix else ""
    spelled_out = " | ".join(
        "("
        + " & ".join(f"'{w}'" + (last if i == len(words) - 1 else "") for i, w in enumerate(words))
        + ")"
        for words in alternatives
    )
    documents = [
        " ".join(word for bit, word in enumerate(_WORDS) if subset >> bit & 1)
        for subset in range(2 ** len(_WORDS))
    ]
    with psycopg.connect(pg_real_store.url) as conn:
        differing = conn.execute(
            f"""
            select document
            from unnest(%(documents)s::text[]) as documents (document),
                to_tsvector('{TEXT_CONFIG}', document) as words
            where (words @@ to_tsquery('{TEXT_CONFIG}', %(factored)s))
                != (words @@ to_tsquery('{TEXT_CONFIG}', %(spelled_out)s))
            """,
            {
                "documents": documents,
                "factored": candidate_tsquery((TextSearch((), (term,)),)),
                "spelled_out": spelled_out,
            },
        ).fetchall()
    assert differing == []


_LOOSE_PHRASE = SearchQuery(cond='"breast cancer"', geo=parse_geo("distance(Houston, TX,100mi)"))
"""Words near a place whose looser query (both words, anywhere) finds, in the circle, a trial
that the phrase does not, ranked above some of the phrase's hits (in the shared studies)."""


def _ranked_candidates(url: str, query: SearchQuery, in_circle: set[str]) -> list[tuple[str, bool]]:
    """The trials of the circle that `query`'s looser query finds, best exact rank first, each
    with whether the exact query finds it."""
    where = query.study_filter()
    weights = ", ".join(f"{weight:g}" for weight in LABEL_WEIGHTS)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"""
            select nct_id, core_document @@ exact
            from trial_search,
                to_tsquery('{TEXT_CONFIG}', %(exact)s) as exact,
                to_tsquery('{TEXT_CONFIG}', %(loose)s) as loose
            where core_document @@ loose
            order by ts_rank('{{{weights}}}', core_document, exact, 1) desc, nct_id
            """,
            {"exact": tsquery(where.text), "loose": candidate_tsquery(where.text)},
        ).fetchall()
    return [(nct_id, matches) for nct_id, matches in rows if nct_id in in_circle]


def _circle(store: PostgresStore, query: SearchQuery) -> set[str]:
    everything = search_studies(store, SearchQuery(geo=query.geo), page_size=1000).hits
    return {hit.nct_id for hit in everything}


def test_a_relevance_page_of_words_near_a_place_shows_only_exact_hits(
    pg_real_store: PostgresStore,
) -> None:
    """Such a page finds its hits by `candidate_tsquery` and tests each against the exact query
    as the page is read: every page is a slice of the exact hits in the circle, best first."""
    in_circle = _circle(pg_real_store, _LOOSE_PHRASE)
    ranked = _ranked_candidates(pg_real_store.url, _LOOSE_PHRASE, in_circle)
    loose_only = [index for index, (_, matches) in enumerate(ranked) if not matches]
    assert loose_only and loose_only[0] < max(i for i, (_, matches) in enumerate(ranked) if matches)
    anywhere = search_studies(pg_real_store, replace(_LOOSE_PHRASE, geo=None), page_size=1000)
    expected = [(hit.nct_id, hit.score) for hit in anywhere.hits if hit.nct_id in in_circle]
    assert [nct_id for nct_id, _ in expected] == [n for n, matches in ranked if matches]
    worst_first = sorted(expected, key=lambda hit: (hit[1], hit[0]))
    for query, wanted in (
        (_LOOSE_PHRASE, expected),
        (replace(_LOOSE_PHRASE, is_descending=True), worst_first),
    ):
        pages: list[tuple[str, float | None]] = []
        token = None
        while True:
            page = search_studies(pg_real_store, query, page_size=4, page_token=token)
            pages += [(hit.nct_id, hit.score) for hit in page.hits]
            if page.next_page_token is None:
                break
            token = page.next_page_token
        assert pages == wanted
    assert count_studies(pg_real_store, _LOOSE_PHRASE) == len(expected)


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_the_exact_query_is_tested_only_on_the_hits_a_page_reads(
    pg_real_store: PostgresStore,
) -> None:
    where = _LOOSE_PHRASE.study_filter()
    in_circle = _circle(pg_real_store, _LOOSE_PHRASE)
    ranked = _ranked_candidates(pg_real_store.url, _LOOSE_PHRASE, in_circle)
    sql, params = study_search_sql(where, StudySort())
    assert "@@ candidates" in sql and "exact.ctid = trials.row_id" in sql
    # A page reaching past the first candidate that the exact query does not find.
    limit = next(index for index, (_, matches) in enumerate(ranked) if not matches) + 1
    with psycopg.connect(pg_real_store.url) as conn:
        configure_session(conn)
        for name, value in plan_settings(where).items():
            conn.execute("select set_config(%s, %s, false)", (name, value))
        plan = conn.execute(
            "explain (analyze, format json) " + sql, {**params, "limit": limit, "offset": 0}
        ).fetchone()
    assert plan is not None
    tests = [node for node in _plan_nodes(plan[0][0]["Plan"]) if node["Node Type"] == "Tid Scan"]
    # One test a candidate read, in rank order, up to the page's last exact hit: none after.
    exact_positions = [index for index, (_, matches) in enumerate(ranked) if matches]
    assert len(tests) == 1
    assert tests[0]["Actual Loops"] == exact_positions[limit - 1] + 1 < len(ranked)
