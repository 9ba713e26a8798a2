"""`bench/pg_rum_bench.py`'s RUM form of the product's PostgreSQL SQL (issue #3 prototype): the
same conditions, ordered by RUM's distance, and a loud stop when the product's SQL changes."""

from __future__ import annotations

from types import ModuleType

import pytest

from support import bench_module
from trialfinder.search import SearchQuery, query_from_params
from trialfinder.store.postgres_search import study_search_sql


def _bench() -> ModuleType:
    """`bench/pg_rum_bench.py`."""
    return bench_module("pg_rum_bench")


def _page(params: dict[str, str]) -> tuple[str, dict[str, object]]:
    sql, values = _bench().page_sql(query_from_params(params), 10)
    return str(sql), dict(values)


def test_rum_form_keeps_the_conditions_and_orders_by_distance_alone() -> None:
    sql, values = _page({"query.term": "heart failure", "filter.overallStatus": "RECRUITING"})
    rum = _bench().rum_sql(sql)
    query = "to_tsquery('trialfinder_english', %(tsquery)s)"
    assert "ts_rank" not in rum and " as query" not in rum
    assert "from trial_documents_rum as trials" in rum
    assert "array[trials.overall_status] && %(statuses)s::text[]" in rum
    assert f"trials.document @@ {query}" in rum
    assert rum.rstrip().endswith(
        f"order by trials.document <=> {query}\nlimit %(limit)s offset %(offset)s"
    )
    assert values["limit"] == 11 and values["offset"] == 0


def test_rum_form_can_keep_the_product_table() -> None:
    sql, _ = _page({"query.cond": "asthma"})
    rum = _bench().rum_sql(sql, table=None)
    assert "trial_documents_rum" not in rum
    assert "order by trials.core_document <=> to_tsquery(" in rum


def test_rum_form_stops_on_sql_without_a_text_rank() -> None:
    where = SearchQuery(term="asthma", sort="nct_id").study_filter()
    sql, _ = study_search_sql(where, SearchQuery(term="asthma", sort="nct_id").study_sort())
    with pytest.raises(SystemExit):
        _bench().rum_sql(sql)
