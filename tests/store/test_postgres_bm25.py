"""The PostgreSQL store's hybrid free-text path (migrations 0016-0017, `postgres_bm25`): the
write path keeps the impact table as a rebuild makes it, relevance pages route by their yield to
the product's page or the BM25 top-k's, and the top-k's pages are BM25 at the current statistics
however the mean length moved."""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction
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
from trialfinder.store.postgres_search import LABEL_WEIGHTS, search_trials, study_search_sql

pytestmark = pytest.mark.postgres

WORDS = ("asthma", "copd", "cancer", "breast", "lung", "pain", "sleep", "insulin", "heart")


def _record(
    nct_id: str, n: int, last_update: str, status: str = "RECRUITING", filler: int = 0
) -> StoredRecord:
    """A trial whose title and conditions take words of `WORDS` by `n`, written at
    `last_update`, its summary `filler` words none of `WORDS` (a longer document)."""
    title = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(1 + n % 4))
    trial = Trial(
        nct_id=nct_id,
        brief_title=f"{title} study {title}" if n % 3 == 0 else title,
        conditions=[WORDS[n % len(WORDS)].title()],
        brief_summary=" ".join(f"filler{i % 7}" for i in range(filler)),
        overall_status=status,
        study_type="INTERVENTIONAL",
        last_update_posted=last_update,
    )
    return StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", nct_id)


Contents = tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], set[tuple[Any, ...]], int]


def _contents(conn: psycopg.Connection[Any], with_impacts: bool = True) -> Contents:
    """The compact table by word text, trial, status text and term frequency (with impacts
    rounded to float4's precision, or none), the dictionary's non-zero (word, trials), the
    trials' lengths and the stats row's sum of lengths."""
    rows = {
        (word, trial, status, tf, round(impact, 5) if with_impacts else None)
        for word, trial, status, tf, impact in conn.execute(
            f"""
            select words.word, scores.trial, statuses.status, scores.tf, scores.impact
            from {bm25.SCORES} as scores
            join {bm25.WORDS} as words using (word_id)
            join {bm25.STATUSES} as statuses on statuses.code = scores.status
            """
        )
    }
    counts = set(conn.execute(f"select word, trials from {bm25.WORDS} where trials > 0"))
    lengths = set(conn.execute(f"select trial, length from {bm25.TRIALS}"))
    total = conn.execute(f"select total_length from {bm25.STATS}").fetchone()
    assert total is not None
    return rows, counts, lengths, total[0]


def _means(conn: psycopg.Connection[Any]) -> tuple[float, float]:
    """(the mean length now, the mean the lists are ordered by)."""
    row = conn.execute(
        f"select current_stats.mean_length, stats.avg_length "
        f"from ({bm25.CURRENT_STATISTICS}) as current_stats, {bm25.STATS} as stats"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _rebuild(conn: psycopg.Connection[Any], frozen_mean: bool) -> None:
    """Make the tables anew by migrations 0016-0017's statements from the stored trials (in the
    caller's transaction), the lists ordered by the mean the store froze (`frozen_mean`) or by
    the mean of the stored trials (as a store migrated now)."""
    row = conn.execute(f"select avg_length from {bm25.STATS}").fetchone()
    assert row is not None and row[0]
    conn.execute(
        f"drop table {bm25.SCORES}, {bm25.WORDS}, {bm25.STATUSES}, {bm25.STATS}, {bm25.TRIALS}"
    )
    for statement in (*bm25.SCHEMA_0016, *bm25.SCHEMA_0017):
        conn.execute(statement)
        if frozen_mean and statement.lstrip().startswith(f"insert into {bm25.STATS}"):
            conn.execute(f"update {bm25.STATS} set avg_length = %s", (row[0],))


def _rebuilt(conn: psycopg.Connection[Any]) -> Contents:
    """`_contents` of the tables made anew (`_rebuild`) with the mean length the store froze
    (rolled back)."""
    with conn.transaction(force_rollback=True):
        _rebuild(conn, frozen_mean=True)
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


def test_migrations_0016_0017_fill_the_tables_from_the_stored_trials(
    pg_store: PostgresStore, pg_url: str
) -> None:
    pg_store.write_batch([_record(f"NCT{93000000 + n}", n, "2024-01-01") for n in range(12)], [])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        written = _contents(conn)
        # As before 0016: none of its tables or its function.
        conn.execute(
            f"drop table {bm25.SCORES}, {bm25.WORDS}, {bm25.STATUSES}, {bm25.STATS}, {bm25.TRIALS}"
        )
        conn.execute("drop function bm25_top_k")
        conn.execute(
            "delete from schema_migrations where name in "
            "('0016_search_bm25_top_k', '0017_search_bm25_exact_statistics')"
        )
    PostgresStore(pg_url, count_cache_size=0).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert _contents(conn) == written
    assert len(written[0]) > 12


def test_migration_0016_is_as_released() -> None:
    # Its statements come from this module's helpers, which 0017 extends; a released migration
    # is never edited (sha256 of its statements at 62514a4, where it was released).
    digest = hashlib.sha256("\0".join(bm25.SCHEMA_0016).encode()).hexdigest()
    assert digest == "f16410a0ed5272af435fd3aa6b00b4261db0d2e45eedf9740f2d744417856ef6"


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


MOVED_QUERIES = (
    {"query.term": "asthma"},
    {"query.term": "breast lung"},
    {"query.term": "pain OR sleep", "filter.overallStatus": "COMPLETED"},
)
"""Free-text pages on the trials of `_write_with_a_moving_mean`: one word, two, an OR in a
status."""


def _write_with_a_moving_mean(store: PostgresStore) -> None:
    """Short trials, then longer ones replacing a third of them and added: the mean length moves
    to over 1.5x the one the first write froze."""
    ids = [f"NCT{94000000 + n}" for n in range(60)]
    store.write_batch([_record(i, n, "2024-01-01") for n, i in enumerate(ids[:30])], [])
    store.write_batch(
        [
            _record(i, n + 2, "2024-02-01", "COMPLETED", filler=20 + 3 * n)
            for n, i in enumerate(ids[20:])
        ],
        [],
    )


def _top_k_pages(conn: psycopg.Connection[Any], limit: int, offset: int) -> list[Any]:
    """The top-k's pages of `MOVED_QUERIES` (the caller sends every page to the top-k)."""
    pages = []
    for params in MOVED_QUERIES:
        query = query_from_params(params)
        pages.append(bm25.top_k_page(conn, query.study_filter(), query.study_sort(), limit, offset))
    return pages


@pytest.fixture
def moved_mean(pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose mean document length moved past 1.5 times the rows' order mean, every
    page sent to the top-k from its first depth."""
    monkeypatch.setattr(bm25, "PRODUCT_YIELD_MAX", -1)
    monkeypatch.setattr(bm25, "FIRST_DEPTH", 1)
    _write_with_a_moving_mean(pg_store)


@pytest.mark.usefixtures("moved_mean")
def test_a_store_filled_by_writes_answers_like_one_rebuilt_after_the_mean_moved(
    pg_url: str,
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        mean, frozen = _means(conn)
        assert mean > 1.5 * frozen
        written, pages = _contents(conn, with_impacts=False), _top_k_pages(conn, 8, 2)
        with conn.transaction(force_rollback=True):
            _rebuild(conn, frozen_mean=False)
            assert _means(conn) == (mean, pytest.approx(mean))
            assert _contents(conn, with_impacts=False) == written
            assert _top_k_pages(conn, 8, 2) == pages
    assert [len(page or []) for page in pages] == [8, 8, 8]


@pytest.mark.usefixtures("moved_mean")
def test_top_k_pages_are_every_hit_bm25_at_the_current_statistics(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for params, page in zip(MOVED_QUERIES, _top_k_pages(conn, 10, 0), strict=True):
            expected = _every_hit_bm25(conn, params, 10)
            assert page is not None and len(page) == 10
            assert [row[0] for row in page] == [hit[0] for hit in expected], params
            assert [row[1] for row in page] == pytest.approx([hit[1] for hit in expected])


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
    """The first `limit` of the product's hits for `params` by BM25 at the stored trials'
    statistics now, every hit scored (ties by id): document count, frequencies, lengths and
    term frequencies counted here from `trial_documents`, not read from the impact tables."""
    query = query_from_params(params)
    where = query.study_filter()
    sql, values = study_search_sql(where, query.study_sort())
    hits = [row[0] for row in conn.execute(sql, {**values, "limit": None, "offset": 0})]
    ids = bm25.query_words(conn, where).ids
    words = [
        word
        for (word,) in conn.execute(
            f"select word from {bm25.WORDS} where word_id = any(%(ids)s) "
            "order by array_position(%(ids)s, word_id)",
            {"ids": ids},
        )
    ]
    weight = dict(zip(bm25.LABELS, (Fraction(repr(w)) for w in LABEL_WEIGHTS), strict=True))
    lengths: dict[str, int] = {}
    tfs: dict[tuple[str, str], float] = {}
    for nct_id, length, word, labels in conn.execute(
        """
        select documents.nct_id,
            (select sum(greatest(cardinality(every.positions), 1))::integer
             from unnest(documents.document) as every),
            lexeme.lexeme, lexeme.weights
        from trial_documents as documents
        left join lateral unnest(documents.document) as lexeme
            on lexeme.lexeme = any(%(words)s::text[])
        where documents.nct_id ~ '^NCT[0-9]{8}$'
        """,
        {"words": words},
    ):
        lengths[nct_id] = length
        if word is not None:
            tfs[nct_id, word] = float(sum(weight[label] for label in labels or ["D"]))
    trials, mean = len(lengths), sum(lengths.values()) / len(lengths)
    idfs = {}
    for word in words:
        held = sum(1 for trial_word in tfs if trial_word[1] == word)
        idfs[word] = math.log(1 + (trials - held + 0.5) / (held + 0.5))

    def score(nct_id: str) -> float:
        total = 0.0
        for word in words:
            if (tf := tfs.get((nct_id, word))) is not None:
                norm = bm25.K1 * ((1 - bm25.B) + bm25.B * lengths[nct_id] / mean)
                total += tf * (bm25.K1 + 1) / (tf + norm) * idfs[word]
        return total

    return sorted(((h, score(h)) for h in hits), key=lambda h: (-h[1], h[0]))[:limit]


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
