"""PostgreSQL place searches not ordered by distance: the circle only narrows the trials, and
each trial of the page gets its nearest site afterwards. The page must show the same site and
distance as a search ordered by distance does."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from trialfinder.search import SearchQuery, count_studies, parse_geo, search_studies
from trialfinder.store.postgres import PostgresStore, configure_session
from trialfinder.store.postgres_search import nearest_sites_sql

pytestmark = pytest.mark.postgres


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
    assert {hit.nct_id: (hit.site, hit.distance_km) for hit in page} == {
        hit.nct_id: (hit.site, hit.distance_km) for hit in nearest
    }
    assert all(hit.site is not None and hit.distance_km is not None for hit in page)


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
