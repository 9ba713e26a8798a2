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
from trialfinder.store import postgres_bm25 as bm25


def _bench() -> ModuleType:
    """`bench/pg_impact_bench.py`."""
    return bench_module("pg_impact_bench")


def _patch(monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    """Set `name` in the store's BM25 module (whose functions the bench uses) and in the bench
    where it holds its own binding (its client top-k)."""
    monkeypatch.setattr(bm25, name, value)
    if hasattr(_bench(), name):
        monkeypatch.setattr(_bench(), name, value)


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
    assert bm25.answers_by_top_k(query.study_filter(), query.study_sort()) is answered


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
    _patch(monkeypatch, "FIRST_DEPTH", depth)
    _patch(monkeypatch, "SCORE_BATCH", 4 if depth == 2 else 256)
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


# -- the compact table, the top-k in the server, the path by list lengths ----------------------


def test_the_check_is_the_product_sql_unranked_among_the_candidates() -> None:
    sql, _ = _page({"query.term": "asthma", "filter.overallStatus": "RECRUITING"})
    every_hit = _bench().all_hits_sql(sql)
    assert "ts_rank" not in every_hit
    assert "lengths.trial = substr(trials.nct_id, 4)::integer" in every_hit
    assert "array[trials.overall_status] && %(statuses)s::text[]" in every_hit


@pytest.fixture(scope="module")
def compact_url(impact_url: str) -> str:
    """The sample studies with the compact table and `bm25_top_k` made too."""
    with psycopg.connect(impact_url, autocommit=True) as conn:
        _bench().setup_compact(conn)
    return impact_url


@pytest.mark.postgres
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_every_hit_scored_from_the_compact_table_is_session_10s_bm25(
    compact_url: str, params: dict[str, str]
) -> None:
    bench = _bench()
    query = query_from_params(params)
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        compact = bench.all_hits_page(conn, where, sort, 11, bm25.query_words(conn, where))
        sql, values = bench.page_sql(query, 10)
        words, labels = bench.positive_words(conn, where.text)
        values.update(
            bm25_words=words,
            bm25_idfs=bench.idfs(conn, words),
            avg_length=bench.stored_avg_length(conn),
        )
        exact = conn.execute(bench.bm25_sql(sql, labels), values).fetchall()
    assert len(compact.rows) == len(exact) > 0
    assert [row[1] for row in compact.rows] == pytest.approx([row[1] for row in exact], rel=1e-5)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "path", ["top-k", "kept top-k", "every hit", "by lengths", "by count", "by count of 20"]
)
@pytest.mark.parametrize("depth", [64, 2])
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_each_path_gives_the_page_of_scoring_every_hit(
    compact_url: str,
    params: dict[str, str],
    depth: int,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _bench()
    # Shallow reads and single checks: many rounds, so the stop is what decides the page.
    _patch(monkeypatch, "FIRST_DEPTH", depth)
    _patch(monkeypatch, "BATCH_IN_SERVER", 1 if depth == 2 else 32)
    _patch(monkeypatch, "SCORE_BATCH", 4 if depth == 2 else 256)
    if path not in ("by lengths", "by count"):
        # (a limit of 20: the sample's ANDs go either way by the estimate and the count)
        limits = {"every hit": 10**9, "by count of 20": 20}
        monkeypatch.setattr(bench, "ALL_HITS_MAX", limits.get(path, -1))
    query = query_from_params(params)
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        kept = path.startswith(("kept", "by count"))
        found = bench.bm25_page(conn, where, sort, 11, path.startswith("by count"), kept)
        words = bm25.query_words(conn, where)
        every = conn.execute(
            bench.all_hits_sql(bench.page_sql(query, 10)[0]),
            {
                **bench.page_sql(query, 10)[1],
                "limit": 100_000,
                "bm25_word_ids": words.ids,
                "bm25_idfs": words.idfs,
            },
        ).fetchall()
    assert words.hit_bound >= len(every) > 0
    assert [row[0] for row in found.rows] == [row[0] for row in every[:11]]
    assert [row[1] for row in found.rows] == pytest.approx([row[1] for row in every[:11]])
    if path in ("top-k", "kept top-k") and depth == 2 and len(every) > 11:
        assert found.rounds > 1


@pytest.mark.postgres
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_the_hit_count_is_the_products_hits_up_to_its_cap(
    compact_url: str, params: dict[str, str]
) -> None:
    bench = _bench()
    query = query_from_params(params)
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        sql, values = bench.page_sql(query, 10)
        hits = len(conn.execute(sql, {**values, "limit": 100_000}).fetchall())
        assert bench.hit_count(conn, where, sort, None) == hits > 0
        for cap in (0, hits // 2, hits, hits + 5):
            assert bench.hit_count(conn, where, sort, cap) == min(hits, cap + 1)


@pytest.mark.postgres
def test_the_kept_top_k_scores_each_trial_from_the_trial_index_once(
    compact_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Many rounds over long lists: the same trials come back each round.
    _patch(monkeypatch, "FIRST_DEPTH", 2)
    _patch(monkeypatch, "BATCH_IN_SERVER", 1)
    query = query_from_params(TOP_K_QUERIES["broad-and"])
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, where)
        again = bm25.top_k_in_server(conn, where, sort, 11, words, keep=False)
        kept = bm25.top_k_in_server(conn, where, sort, 11, words, keep=True)
        trials = conn.execute(
            f"select count(distinct trial) from {bm25.SCORES} where word_id = any(%s)",
            (words.ids,),
        ).fetchone()
    assert trials is not None
    assert kept.rows == again.rows
    assert kept.scored <= trials[0] and kept.checked <= trials[0]
    assert kept.scored < again.scored


@pytest.mark.postgres
def test_a_single_words_hit_bound_is_its_trial_count(compact_url: str) -> None:
    bench = _bench()
    query = query_from_params({"query.term": "cancer"})
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, query.study_filter())
        sql, values = bench.page_sql(query, 10)
        hits = len(conn.execute(sql, {**values, "limit": 100_000}).fetchall())
    assert words.hit_bound == hits > 0


@pytest.mark.postgres
@pytest.mark.parametrize("compact", [False, True])
def test_a_write_adds_every_new_trials_rows_and_counts(compact_url: str, compact: bool) -> None:
    bench = _bench()
    table = bm25.SCORES if compact else bench.IMPACTS
    words = bm25.WORDS if compact else bench.FREQUENCIES
    count = f"select count(*), (select trials from {words} where word = '') from {table}"
    with psycopg.connect(compact_url, autocommit=True) as conn:
        before = conn.execute(count).fetchone()
        with conn.transaction(force_rollback=True):
            bench.copy_new_documents(conn, 5)
            new_rows = conn.execute(
                "select count(*) from new_documents, unnest(document)"
            ).fetchone()
            avg_length = bench.stored_avg_length(conn, table)
            for statement in bench.write_statements(compact, avg_length):
                conn.execute(statement)
            after = conn.execute(count).fetchone()
    assert before is not None and after is not None and new_rows is not None
    assert after == (before[0] + new_rows[0], before[1] + 5)


# -- the hybrid path: the product's own page for a small GIN yield, else the top-k -------------


def test_a_trial_is_yielded_when_each_term_has_an_alternative_it_holds_whole() -> None:
    matches = bm25.matches_terms
    phrase_or_word = [frozenset({1, 2}), frozenset({3})]
    assert matches(frozenset({1, 2, 9}), [phrase_or_word])
    assert matches(frozenset({3}), [phrase_or_word, [frozenset({3})]])
    assert not matches(frozenset({1, 9}), [phrase_or_word])
    assert not matches(frozenset({1, 2}), [phrase_or_word, [frozenset({4})]])
    # (a word not in the dictionary: no trial holds it)
    assert not matches(frozenset({1, 2, 3}), [[None]])
    assert matches(frozenset({1, 2, 3}), [[None, frozenset({2})]])


def _yielded_rows(conn: psycopg.Connection[object], params: dict[str, str]) -> set[str]:
    """The trials the product's GIN search yields for `params`: its hits with each phrase
    taken as its words and negated terms dropped (what the bitmap hands the recheck)."""
    bench = _bench()
    query = query_from_params(params)
    sql, values = bench.page_sql(query, 10)
    positive = [t for s in query.study_filter().text for t in s.terms if not t.is_negated]
    values["tsquery"] = " & ".join(bench._term(t, "") for t in positive).replace("<->", "&")
    return {row[0] for row in conn.execute(sql, {**values, "limit": 100_000})}


@pytest.mark.postgres
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_the_whole_sample_counts_the_rows_the_gin_search_yields(
    compact_url: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every trial in the sample: the estimate is then the count it stands for.
    _patch(monkeypatch, "SAMPLE_SHARE", 1)
    _patch(monkeypatch, "IN_SAMPLE", "true")
    query = query_from_params(params)
    where = query.study_filter()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, where, sample=True)
        yielded = bm25.sampled_yield(words)
        assert yielded == len(_yielded_rows(conn, params)) > 0


@pytest.mark.postgres
def test_the_sample_is_a_share_of_the_trials_under_its_own_index(compact_url: str) -> None:
    query = query_from_params({"query.term": "patients"})
    where = query.study_filter()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, where, sample=True)
        sampled = bm25.sampled_yield(words)
        plan = conn.execute(
            f"explain select trial from {bm25.SCORES} "
            f"where word_id = any(%s::integer[]) and {bm25.IN_SAMPLE}",
            (words.ids,),
        ).fetchall()
    assert sampled % bm25.SAMPLE_SHARE == 0
    assert 0 < sampled < words.hit_bound * 2
    assert f"{bm25.SCORES}_sample" in "\n".join(row[0] for row in plan)


@pytest.mark.postgres
@pytest.mark.parametrize("by_product", [True, False])
@pytest.mark.parametrize("params", TOP_K_QUERIES.values(), ids=TOP_K_QUERIES.keys())
def test_the_hybrid_page_is_the_products_page_or_the_top_k_page_by_the_yield(
    compact_url: str, params: dict[str, str], by_product: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench()
    _patch(monkeypatch, "PRODUCT_YIELD_MAX", 10**9 if by_product else -1)
    query = query_from_params(params)
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, where, sample=True)
        assert bm25.takes_product_path(words) is by_product
        found = bench.variant_page(conn, bench.HYBRID, query, 10)
        product = bench.variant_page(conn, bench.PRODUCT, query, 10)
        top_k = bench.all_hits_page(conn, where, sort, 11, words)
    assert found.rows == (product.rows if by_product else top_k.rows)
    assert len(found.rows) > 0


@pytest.mark.postgres
def test_a_yield_over_the_limit_by_list_lengths_is_decided_by_the_sample(
    compact_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = query_from_params(TOP_K_QUERIES["broad-and"])
    where = query.study_filter()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        words = bm25.query_words(conn, where, sample=True)
        sampled = bm25.sampled_yield(words)
        assert sampled < words.hit_bound
        # A limit between the sample's estimate and the list-length bound: the sample decides.
        _patch(monkeypatch, "PRODUCT_YIELD_MAX", sampled)
        assert bm25.takes_product_path(words)
        _patch(monkeypatch, "PRODUCT_YIELD_MAX", sampled - 1)
        assert not bm25.takes_product_path(words)


@pytest.mark.postgres
def test_the_sample_comes_with_the_words_and_past_the_mask_the_bound_stands(
    compact_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = query_from_params(TOP_K_QUERIES["broad-and"]).study_filter()
    with psycopg.connect(compact_url, autocommit=True) as conn:
        plain = bm25.query_words(conn, where)
        sampled = bm25.query_words(conn, where, sample=True)
        # More words than the mask holds: no sample, the list-length bound decides.
        _patch(monkeypatch, "MASK_BITS", len(plain.ids) - 1)
        too_many = bm25.query_words(conn, where, sample=True)
    assert plain.sampled is None and sampled.sampled
    assert (plain.ids, plain.idfs, plain.hit_bound, plain.terms) == (
        sampled.ids,
        sampled.idfs,
        sampled.hit_bound,
        sampled.terms,
    )
    assert too_many.sampled is None
    assert bm25.sampled_yield(too_many) == too_many.hit_bound != bm25.sampled_yield(sampled)
