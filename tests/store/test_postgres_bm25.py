"""The PostgreSQL store's hybrid free-text path (migration 0016, `postgres_bm25`): the write
path keeps the impact table as a rebuild makes it, and relevance pages route by their yield to
the product's page or the BM25 top-k's."""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg
import pytest

from support import run_in_two_threads
from trialfinder.model import Trial
from trialfinder.search import query_from_params
from trialfinder.store import open_store
from trialfinder.store import postgres_bm25 as bm25
from trialfinder.store.base import StoredRecord
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_search import search_trials, study_search_sql

pytestmark = pytest.mark.postgres

WORDS = ("asthma", "copd", "cancer", "breast", "lung", "pain", "sleep", "insulin", "heart")


def _record(nct_id: str, n: int, last_update: str, status: str = "RECRUITING") -> StoredRecord:
    """A trial whose title and conditions take words of `WORDS` by `n`, written at
    `last_update`."""
    title = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(1 + n % 4))
    trial = Trial(
        nct_id=nct_id,
        brief_title=f"{title} study {title}" if n % 3 == 0 else title,
        conditions=[WORDS[n % len(WORDS)].title()],
        overall_status=status,
        study_type="INTERVENTIONAL",
        last_update_posted=last_update,
    )
    return StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", nct_id)


def _contents(conn: psycopg.Connection[Any]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The compact table by word text, trial and status text (impacts rounded to float4's
    precision), and the dictionary's non-zero (word, trials)."""
    rows = {
        (word, trial, status, round(impact, 5))
        for word, trial, status, impact in conn.execute(
            f"""
            select words.word, scores.trial, statuses.status, scores.impact
            from {bm25.SCORES} as scores
            join {bm25.WORDS} as words using (word_id)
            join {bm25.STATUSES} as statuses on statuses.code = scores.status
            """
        )
    }
    counts = set(conn.execute(f"select word, trials from {bm25.WORDS} where trials > 0"))
    return rows, counts


def _rebuilt(conn: psycopg.Connection[Any]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """`_contents` of the tables made anew by migration 0016's statements from the stored
    trials, with the mean length the store froze (rolled back)."""
    row = conn.execute(f"select avg_length from {bm25.STATS}").fetchone()
    assert row is not None and row[0]
    with conn.transaction(force_rollback=True):
        conn.execute(f"drop table {bm25.SCORES}, {bm25.WORDS}, {bm25.STATUSES}, {bm25.STATS}")
        for statement in bm25.SCHEMA_STATEMENTS:
            conn.execute(statement)
            if statement.lstrip().startswith(f"insert into {bm25.STATS}"):
                conn.execute(f"update {bm25.STATS} set avg_length = %s", (row[0],))
        return _contents(conn)


def test_the_write_path_keeps_the_table_as_a_rebuild_makes_it(
    pg_store: PostgresStore, pg_url: str
) -> None:
    ids = [f"NCT{90000000 + n}" for n in range(40)]
    pg_store.write_batch([_record(i, n, "2024-01-01") for n, i in enumerate(ids[:30])], [])
    # Replaced trials (other words, another status), new ones, and an older version (kept out).
    pg_store.write_batch(
        [_record(i, n + 5, "2024-02-01", "COMPLETED") for n, i in enumerate(ids[20:40])]
        + [_record(ids[0], 7, "2023-01-01")],
        [],
    )
    with psycopg.connect(pg_url, autocommit=True) as conn:
        contents = _contents(conn)
        assert contents == _rebuilt(conn)
        statuses = {row[2] for row in contents[0] if row[1] == 90000025}
        total = conn.execute(f"select trials from {bm25.WORDS} where word = ''").fetchone()
    assert statuses == {"COMPLETED"}
    assert total == (40,)


def test_migration_0016_fills_the_table_from_the_stored_trials(
    pg_store: PostgresStore, pg_url: str
) -> None:
    pg_store.write_batch([_record(f"NCT{93000000 + n}", n, "2024-01-01") for n in range(12)], [])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        written = _contents(conn)
        # As before 0016: none of its tables or its function.
        conn.execute(f"drop table {bm25.SCORES}, {bm25.WORDS}, {bm25.STATUSES}, {bm25.STATS}")
        conn.execute("drop function bm25_top_k")
        conn.execute("delete from schema_migrations where name = '0016_search_bm25_top_k'")
    PostgresStore(pg_url, count_cache_size=0).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert _contents(conn) == written
    assert len(written[0]) > 12


def test_concurrent_writers_keep_the_table_exact(pg_store: PostgresStore, pg_url: str) -> None:
    stores = [pg_store, open_store(pg_url)]
    batches = [
        [[_record(f"NCT{91000000 + n}", n + day, f"2024-03-{day:02d}")] for n in range(10)]
        for day in range(1, 7)
    ]

    def write(index: int) -> None:
        for batch in batches[index::2]:
            for records in batch:
                stores[index].write_batch(records, [])

    try:
        run_in_two_threads(write)
    finally:
        stores[1].close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert _contents(conn) == _rebuilt(conn)


def test_a_trial_without_an_integer_key_sends_every_page_to_the_product(
    pg_store: PostgresStore, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bm25, "PRODUCT_YIELD_MAX", -1)
    pg_store.write_batch([_record(f"NCT{92000000 + n}", n, "2024-01-01") for n in range(9)], [])
    query = query_from_params({"query.term": "asthma"})
    where, sort = query.study_filter(), query.study_sort()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert bm25.top_k_page(conn, where, sort, 10, 0)
        pg_store.write_batch([_record("NCT0000000A", 0, "2024-01-01")], [])
        assert bm25.top_k_page(conn, where, sort, 10, 0) is None
        stats = conn.execute(f"select unkeyed from {bm25.STATS}").fetchone()
        assert stats == (1,)
        pg_store.write_batch([_record("NCT0000000A", 1, "2024-02-01")], [])
        assert conn.execute(f"select unkeyed from {bm25.STATS}").fetchone() == (1,)


# -- routing, on the shared sample studies ------------------------------------------------------

HEAVY = {"query.term": "cancer"}
LIGHT = {"query.term": "asthma", "filter.overallStatus": "COMPLETED"}


def _every_hit_bm25(
    conn: psycopg.Connection[Any], params: dict[str, str], limit: int
) -> list[tuple[str, float]]:
    """The first `limit` of the product's hits for `params` by BM25 from the impact table, every
    hit scored (ties by id)."""
    query = query_from_params(params)
    where = query.study_filter()
    sql, values = study_search_sql(where, query.study_sort())
    hits = [row[0] for row in conn.execute(sql, {**values, "limit": None, "offset": 0})]
    words = bm25.query_words(conn, where)
    scores = dict(
        conn.execute(
            f"""
            select {bm25.NCT_ID.format(trial="trial")},
                sum(impact * (%(idfs)s::float8[])[array_position(%(ids)s::integer[], word_id)])
            from {bm25.SCORES}
            where word_id = any(%(ids)s::integer[])
                and trial = any(
                    select {bm25.TRIAL_KEY.format(nct_id="id")} from unnest(%(hits)s::text[]) as id
                )
            group by trial
            """,
            {"ids": words.ids, "idfs": words.idfs, "hits": hits},
        )
    )
    return sorted(((h, scores.get(h, 0.0)) for h in hits), key=lambda h: (-h[1], h[0]))[:limit]


def _yield(conn: psycopg.Connection[Any], params: dict[str, str]) -> int:
    return bm25.sampled_yield(
        bm25.query_words(conn, query_from_params(params).study_filter(), True)
    )


@pytest.mark.parametrize("offset", [0, 3])
def test_a_heavy_page_is_bm25s_and_a_light_one_the_products(
    pg_real_store: PostgresStore, monkeypatch: pytest.MonkeyPatch, offset: int
) -> None:
    # Every trial in the sample: the yields are the GIN search's, the limit between the two.
    monkeypatch.setattr(bm25, "SAMPLE_SHARE", 1)
    monkeypatch.setattr(bm25, "IN_SAMPLE", "true")
    url = pg_real_store._pool.conninfo
    with psycopg.connect(url, autocommit=True) as conn:
        light, heavy = _yield(conn, LIGHT), _yield(conn, HEAVY)
        assert 0 < light < heavy
        monkeypatch.setattr(bm25, "PRODUCT_YIELD_MAX", light)
        expected_heavy = _every_hit_bm25(conn, HEAVY, 11 + offset)[offset:]
        light_query = query_from_params(LIGHT)
        expected_light = search_trials(
            conn, light_query.study_filter(), light_query.study_sort(), 11, offset, 10.0
        )
    pages = {}
    for name, params in (("heavy", HEAVY), ("light", LIGHT)):
        query = query_from_params(params)
        pages[name] = pg_real_store.search_trials(
            query.study_filter(), query.study_sort(), 11, offset, 10.0
        )
    assert [h.nct_id for h in pages["heavy"]] == [h[0] for h in expected_heavy]
    assert [h.score for h in pages["heavy"]] == pytest.approx([h[1] for h in expected_heavy])
    assert len(pages["heavy"]) == 11
    assert pages["light"] == expected_light and len(pages["light"]) > 0


def test_other_sorts_and_counts_do_not_take_the_top_k(
    pg_real_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bm25, "PRODUCT_YIELD_MAX", -1)
    url = pg_real_store._pool.conninfo
    for params in (
        {**HEAVY, "sort": "LastUpdatePostDate"},
        {"query.cond": "cancer"},
        {"query.term": "canc*"},
    ):
        query = query_from_params(params)
        where, sort = query.study_filter(), query.study_sort()
        with psycopg.connect(url, autocommit=True) as conn:
            assert bm25.top_k_page(conn, where, sort, 10, 0) is None
            product = search_trials(conn, where, sort, 10, 0, 10.0)
        assert pg_real_store.search_trials(where, sort, 10, 0, 10.0) == product
