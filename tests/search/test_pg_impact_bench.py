"""`bench/pg_impact_bench.py` (issue #3 prototype): BM25 from an impact-ordered words table,
read top-k with a threshold stop. Its SQL forms of the product's page, and on PostgreSQL that
the top-k page is the page of scoring every hit (same order, only the product's hits)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import psycopg
import pytest

from support import bench_module, shared_data
from trialfinder.ingest import ingest
from trialfinder.search import query_from_params
from trialfinder.store import open_store


def _bench() -> ModuleType:
    """`bench/pg_impact_bench.py`."""
    return bench_module("pg_impact_bench")


def _page(params: dict[str, str]) -> tuple[str, dict[str, object]]:
    sql, values = _bench().page_sql(query_from_params(params), 10)
    return str(sql), dict(values)


def test_bm25_form_keeps_the_conditions_and_replaces_the_rank() -> None:
    sql, _ = _page({"query.term": "heart failure", "filter.overallStatus": "RECRUITING"})
    bm25 = _bench().bm25_sql(sql, "")
    assert "ts_rank" not in bm25
    assert "array[trials.overall_status] && %(statuses)s::text[]" in bm25
    assert "trials.document @@ query" in bm25
    assert "unnest(trials.document) as lexeme" in bm25
    assert bm25.rstrip().endswith(
        "order by score desc, trials.nct_id asc\nlimit %(limit)s offset %(offset)s"
    )


def test_candidates_are_tested_before_the_other_conditions() -> None:
    sql, _ = _page({"query.term": "asthma"})
    among = _bench().among(sql)
    assert "where trials.nct_id = any(%(candidates)s::text[])\n    and trials.document @@" in among


def test_an_impact_counts_only_the_labels_searched() -> None:
    impact = _bench().word_impact("lexeme.weights", "length.doc", "100.0", "AB")
    assert "'A')) * 1.0" in impact and "'B')) * 0.7" in impact
    assert "'C'" not in impact and "'D'" not in impact
    every = _bench().word_impact("lexeme.weights", "length.doc", "100.0")
    assert all(f"'{label}'" in every for label in "ABCD")


@pytest.mark.parametrize(
    ("where", "answered"),
    [
        ({"query.term": "asthma"}, True),
        ({"query.term": "asthma", "sort": "NCTId"}, False),
        ({"query.term": "asthma", "sort": "@relevance:desc"}, False),
        ({"query.cond": "asthma"}, False),
        ({"query.term": "asth*"}, False),
    ],
)
def test_the_prototype_answers_only_whole_document_relevance_pages(
    where: dict[str, str], answered: bool
) -> None:
    query = query_from_params(where)
    assert _bench().answers_by_top_k(query.study_filter(), query.study_sort()) is answered


# -- on PostgreSQL ----------------------------------------------------------------------------

TOP_K_QUERIES = {
    "word": {"query.term": "cancer"},
    "words": {"query.term": "breast cancer"},
    "phrase": {"query.term": '"breast cancer"'},
    "or": {"query.term": "asthma OR copd"},
    "not": {"query.term": "cancer -breast"},
    "status": {"query.term": "cancer", "filter.overallStatus": "COMPLETED"},
    # Words in most trials: long lists, so that the best trials are not all in their heads.
    "broad-or": {"query.term": "disease OR treatment"},
    "broad-and": {"query.term": "patients treatment"},
}


@pytest.fixture(scope="module")
def impact_url(postgres_database: str) -> Iterator[str]:
    """The shared sample studies in a throwaway schema, with the impact table made."""
    from pg_cluster import throwaway_schema

    with throwaway_schema(postgres_database) as url:
        store = open_store(url)
        ingest(store, [shared_data("ctgov")])
        store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            _bench().setup(conn)
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("depth", [64, 2])
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_top_k_page_is_the_page_of_scoring_every_hit(
    impact_url: str, params: dict[str, str], depth: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench()
    # Shallow reads and small batches: many rounds, so the stop is what decides the page.
    monkeypatch.setattr(bench, "FIRST_DEPTH", depth)
    monkeypatch.setattr(bench, "SCORE_BATCH", 4 if depth == 2 else 256)
    query = query_from_params(params)
    with psycopg.connect(impact_url, autocommit=True) as conn:
        avg_length = bench.stored_avg_length(conn)
        found = bench.top_k(conn, query, 11, avg_length)
        sql, values = bench.page_sql(query, 10)
        product_hits = {row[0] for row in conn.execute(sql, {**values, "limit": 100_000})}
        words, labels = bench.positive_words(conn, query.study_filter().text)
        values.update(bm25_words=words, bm25_idfs=bench.idfs(conn, words), avg_length=avg_length)
        exact = conn.execute(bench.bm25_sql(sql, labels), values).fetchall()
    assert len(exact) == min(11, len(product_hits)) > 0
    assert [row[0] for row in found.rows] == [row[0] for row in exact]
    assert [row[1] for row in found.rows] == pytest.approx([row[1] for row in exact], rel=1e-5)
    assert {row[0] for row in found.rows} <= product_hits
    if depth == 2 and len(product_hits) > 11:
        assert found.rounds > 1
