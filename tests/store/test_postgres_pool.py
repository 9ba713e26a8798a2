"""The PostgreSQL store's connection pool hands out the connection returned last
(`postgres.LastReturnedFirstPool`): a caller running one statement at a time keeps using one
server process, whose caches stay warm; callers running at once still get one each."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from trialfinder.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

POOL_SIZE = 3


@pytest.fixture
def pooled_store(pg_url: str) -> Iterator[PostgresStore]:
    """A store with a pool of `POOL_SIZE` connections, every one opened."""
    store = PostgresStore(pg_url, pool_size=POOL_SIZE, count_cache_size=0)
    store._pool.wait(10.0)
    yield store
    store.close()


def test_the_connection_returned_last_is_handed_out_next(pooled_store: PostgresStore) -> None:
    pool = pooled_store._pool
    with pool.connection() as first, pool.connection() as second:
        assert first is not second
    # `second` went back first, then `first`; a third connection has been idle all along.
    with pool.connection() as again:
        assert again is first
    with pool.connection() as outer, pool.connection() as inner:
        assert outer is first
        assert inner is second


def test_one_statement_at_a_time_uses_one_server_process(pooled_store: PostgresStore) -> None:
    pids = set()
    for _ in range(3 * POOL_SIZE):
        with pooled_store._pool.connection() as conn:
            row = conn.execute("select pg_backend_pid()").fetchone()
            assert row is not None
            pids.add(row[0])
    assert len(pids) == 1


def test_callers_at_once_each_get_a_connection_of_their_own(pooled_store: PostgresStore) -> None:
    all_holding = threading.Barrier(POOL_SIZE, timeout=10.0)
    pids: list[int] = []
    lock = threading.Lock()

    def hold() -> None:
        with pooled_store._pool.connection() as conn:
            row = conn.execute("select pg_backend_pid()").fetchone()
            assert row is not None
            with lock:
                pids.append(row[0])
            all_holding.wait()

    threads = [threading.Thread(target=hold) for _ in range(POOL_SIZE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10.0)
    assert len(pids) == POOL_SIZE
    assert len(set(pids)) == POOL_SIZE
