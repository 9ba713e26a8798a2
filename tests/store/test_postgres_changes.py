"""Remembered counts and facets of a PostgreSQL store, dropped when the store changes
(`store/postgres_changes.py`, migration 0019): answered without a server statement while the
store listens, exact after a write by this store, another store, plain SQL, a dropped listening
connection, and on a schema without the triggers."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import psycopg
import pytest

from trialfinder.model import Trial
from trialfinder.store.base import StoredCriteria, StoredRecord, StudyFilter
from trialfinder.store.postgres import PostgresStore
from trialfinder.store.postgres_changes import (
    CHANNEL,
    SCHEMA_0019,
    UNWATCHED_TABLES,
    ChangeWatcher,
)

pytestmark = pytest.mark.postgres

EVERY_TRIAL = StudyFilter()
RECRUITING = StudyFilter(statuses=("RECRUITING",))
WAIT_S = 10.0
"""The longest a test waits for a notification or a reconnection (they take milliseconds)."""


def _record(nct_id: str, status: str = "RECRUITING") -> StoredRecord:
    trial = Trial(
        nct_id=nct_id,
        brief_title=f"asthma study {nct_id}",
        conditions=["Asthma"],
        overall_status=status,
        study_type="INTERVENTIONAL",
        last_update_posted="2024-01-01",
    )
    return StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", nct_id)


def _records(first: int, how_many: int, status: str = "RECRUITING") -> list[StoredRecord]:
    return [_record(f"NCT{95000000 + n}", status) for n in range(first, first + how_many)]


def _count(store: PostgresStore, where: StudyFilter = EVERY_TRIAL) -> int:
    return store.count_trials(where, 10.0)


def _sql(url: str, sql: str) -> None:
    """Run `sql` on a connection of its own, outside trialfinder."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _eventually(predicate: Callable[[], bool], wait_s: float = WAIT_S) -> bool:
    """Whether `predicate` holds within `wait_s`, asked every few milliseconds."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement this process sends from now on (through any psycopg cursor)."""
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counting(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    return sent


@pytest.fixture
def deaf(listening_store: PostgresStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """`listening_store`'s watcher still listening but counting no notification, as if every
    one were late: what changes its answers is the store's own count of its writes."""
    watcher = listening_store._changes
    assert watcher is not None

    def drain_uncounted(conn: psycopg.Connection[Any], schema: str) -> None:
        for _ in conn.notifies(timeout=0):
            pass

    monkeypatch.setattr(watcher, "_drain", drain_uncounted)


@pytest.fixture
def listening_store(pg_store: PostgresStore, pg_url: str) -> Iterator[PostgresStore]:
    """`pg_store` with 20 recruiting trials, its watcher listening, the notification of their
    write heard (so that a test's answers are not dropped by it arriving late)."""
    assert pg_store._changes is not None
    assert pg_store._changes.wait_listening(WAIT_S)
    pg_store.write_batch(_records(0, 20), [])
    _hear_everything_sent(pg_store, pg_url)
    yield pg_store


def _hear_everything_sent(store: PostgresStore, url: str) -> None:
    """Wait until `store`'s watcher has heard every notification sent so far: it hears them in
    the order their transactions committed, so when it hears one sent now, it has them all."""
    watcher = store._changes
    assert watcher is not None
    heard = watcher.version()
    _sql(url, f"select pg_notify('{CHANNEL}', current_schema())")
    assert _eventually(lambda: watcher.version() != heard)


def test_a_remembered_count_or_facet_set_sends_no_statement(
    listening_store: PostgresStore, statements: list[str]
) -> None:
    assert _count(listening_store, RECRUITING) == 20
    facets = listening_store.facet_counts(EVERY_TRIAL, 10.0)
    computed = len(statements)
    assert computed >= 2
    assert _count(listening_store, RECRUITING) == 20
    assert listening_store.facet_counts(EVERY_TRIAL, 10.0) == facets
    assert statements[computed:] == []


@pytest.mark.usefixtures("deaf")
def test_a_write_through_the_store_changes_the_next_count_at_once(
    listening_store: PostgresStore,
) -> None:
    assert _count(listening_store) == 20
    listening_store.write_batch(_records(20, 3), [])
    assert _count(listening_store) == 23
    listening_store.write_batch(_records(0, 5, "COMPLETED"), [])
    assert _count(listening_store, RECRUITING) == 18


@pytest.mark.usefixtures("deaf")
def test_saved_criteria_change_the_next_count_at_once(listening_store: PostgresStore) -> None:
    ecog_2 = StudyFilter(ecog=2.0)
    assert _count(listening_store, ecog_2) == 20
    # The reading of one trial asks for ECOG at most 1: a patient at 2 no longer qualifies.
    listening_store.save_criteria(
        [StoredCriteria("NCT95000000", "test", None, None, 1.0, None, b"{}")]
    )
    assert _count(listening_store, ecog_2) == 19


def test_a_write_by_another_store_is_heard(listening_store: PostgresStore, pg_url: str) -> None:
    assert _count(listening_store) == 20
    other = PostgresStore(pg_url, pool_size=1)
    try:
        other.write_batch(_records(20, 4), [])
    finally:
        other.close()
    assert _eventually(lambda: _count(listening_store) == 24)


@pytest.mark.parametrize(
    "change, expected",
    [
        ("delete from trials where nct_id = 'NCT95000003'", 19),
        ("update trials set overall_status = 'COMPLETED' where nct_id = 'NCT95000004'", 19),
        ("truncate trials cascade", 0),
    ],
    ids=["delete", "update", "truncate"],
)
def test_a_write_by_plain_sql_is_heard(
    listening_store: PostgresStore, pg_url: str, change: str, expected: int
) -> None:
    assert _count(listening_store, RECRUITING) == 20
    _sql(pg_url, change)
    assert _eventually(lambda: _count(listening_store, RECRUITING) == expected)


def test_a_rolled_back_write_keeps_the_answers(listening_store: PostgresStore, pg_url: str) -> None:
    assert listening_store._changes is not None
    heard = listening_store._changes.version()
    assert heard is not None
    with psycopg.connect(pg_url) as conn:
        conn.execute("delete from trials")
        conn.rollback()
    _hear_everything_sent(listening_store, pg_url)
    # The one notification heard is the one `_hear_everything_sent` sent.
    assert listening_store._changes.version() == (heard[0], heard[1] + 1)


def test_a_dropped_listener_falls_back_to_the_server_then_listens_again(
    listening_store: PostgresStore, pg_url: str
) -> None:
    assert listening_store._changes is not None
    listening_store._changes.close()
    # Slow to reconnect, so the test finds it not listening.
    watcher = listening_store._changes = ChangeWatcher(pg_url, retry_s=3.0)
    assert watcher.wait_listening(WAIT_S)
    listening = watcher.version()
    assert listening is not None
    assert _count(listening_store) == 20
    _sql(pg_url, f"select pg_terminate_backend({watcher.backend_pid})")
    assert _eventually(lambda: watcher.version() is None)
    _sql(pg_url, "delete from trials where nct_id = 'NCT95000001'")
    assert watcher.version() is None
    assert _count(listening_store) == 19
    assert watcher.wait_listening(WAIT_S)
    again = watcher.version()
    assert again is not None
    assert again[0] > listening[0]
    _sql(pg_url, "delete from trials where nct_id = 'NCT95000002'")
    assert _eventually(lambda: _count(listening_store) == 18)


def test_a_schema_without_the_triggers_is_asked_every_time(
    pg_store: PostgresStore, pg_url: str, statements: list[str]
) -> None:
    pg_store.write_batch(_records(0, 20), [])
    # As before migration 0019, opened read-only (an older trialfinder's schema).
    _sql(pg_url, "drop function trialfinder_notify_change() cascade")
    _sql(pg_url, "delete from schema_migrations where name = '0019_answers_change_notifications'")
    old = PostgresStore(pg_url, read_only=True, pool_size=1)
    try:
        assert old._changes is not None
        assert not old._changes.wait_listening(0.5)
        assert _count(old) == 20
        asked = len(statements)
        assert _count(old) == 20
        assert len(statements) == asked + 1
        _sql(pg_url, "delete from trials where nct_id = 'NCT95000005'")
        assert _count(old) == 19
    finally:
        old.close()


def test_every_table_but_the_unwatched_notifies(pg_store: PostgresStore, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute(
            """
            select tables.relname, count(triggers.oid)
            from pg_class as tables
            left join pg_trigger as triggers
                on triggers.tgrelid = tables.oid
                and triggers.tgname = 'trialfinder_notify_change'
            where tables.relnamespace = current_schema()::regnamespace
                and tables.relkind in ('r', 'p')
            group by tables.relname
            """
        ).fetchall()
    unwatched = {name for name, triggers in rows if triggers == 0}
    assert unwatched == set(UNWATCHED_TABLES)
    assert len(rows) > len(UNWATCHED_TABLES)


def _watcher_threads() -> int:
    """Running change watcher threads of this process."""
    return sum(1 for thread in threading.enumerate() if thread.name == "trialfinder-changes")


def _connections(url: str) -> int:
    """Server connections to `url`'s database (this one, which asks, included)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def test_closed_stores_leave_no_connection_or_thread(pg_url: str) -> None:
    threads, opened = _watcher_threads(), _connections(pg_url)
    for _ in range(5):
        store = PostgresStore(pg_url, pool_size=1)
        assert store._changes is not None
        assert store._changes.wait_listening(WAIT_S)
        store.close()
    assert _watcher_threads() == threads
    assert _eventually(lambda: _connections(pg_url) <= opened)


def test_a_store_that_never_counts_starts_no_watcher(pg_url: str) -> None:
    # A one-shot command: writes and reads, never a count or facet set.
    threads, opened = _watcher_threads(), _connections(pg_url)
    store = PostgresStore(pg_url, pool_size=1)
    try:
        store.write_batch(_records(0, 3), [])
        assert store.get_trial("NCT95000001") is not None
        assert _watcher_threads() == threads
        # The pool's one connection, no listening one.
        assert _eventually(lambda: _connections(pg_url) <= opened + 1)
        assert store._changes is not None
        assert store._changes.backend_pid is None
    finally:
        store.close()
    assert _watcher_threads() == threads
    assert _eventually(lambda: _connections(pg_url) <= opened)


def test_the_first_count_starts_the_watcher(pg_url: str) -> None:
    threads = _watcher_threads()
    store = PostgresStore(pg_url, pool_size=1)
    try:
        store.write_batch(_records(0, 3), [])
        assert _watcher_threads() == threads
        # Not listening yet: answered by the server, exact.
        assert _count(store) == 3
        assert _watcher_threads() == threads + 1
        assert store._changes is not None
        assert store._changes.wait_listening(WAIT_S)
        assert store._changes.backend_pid is not None
        store.write_batch(_records(3, 2), [])
        assert _count(store) == 5
    finally:
        store.close()
    assert _watcher_threads() == threads


def test_migration_0019_is_as_released() -> None:
    # A released migration is never edited (sha256 of its statements where it was released).
    digest = hashlib.sha256("\0".join(SCHEMA_0019).encode()).hexdigest()
    assert digest == "5a6eff4267915f4609b6f89d99b92fd1bcb3b2e866cb68b106313ed2fa89a169"


def test_a_write_to_another_store_of_the_database_is_not_heard(
    listening_store: PostgresStore, pg_url: str, postgres_database: str
) -> None:
    from pg_cluster import throwaway_schema

    watcher = listening_store._changes
    assert watcher is not None
    heard = watcher.version()
    assert heard is not None
    with throwaway_schema(postgres_database) as elsewhere:
        other = PostgresStore(elsewhere, pool_size=1)
        try:
            other.write_batch(_records(0, 3), [])
        finally:
            other.close()
    _hear_everything_sent(listening_store, pg_url)
    assert watcher.version() == (heard[0], heard[1] + 1)
