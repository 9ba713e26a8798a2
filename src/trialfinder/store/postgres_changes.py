"""Writes to a PostgreSQL store heard as they commit: the version of its remembered answers.

A store keeps its counts and facet sets in an `AnswerCache`, valid while the store's version is
unchanged. Asking the server for its snapshot before every lookup (`postgres_counts.
store_version`) costs a round trip and the server's CPU for an answer the process already holds.
Migration 0019 instead attaches a statement-level trigger to every table a count or a facet set
can read (every table but `UNWATCHED_TABLES`): each insert, update, delete, truncate or copy
calls `pg_notify(CHANNEL, <the table's schema>)`. PostgreSQL folds the identical notifications
of one transaction into one and delivers it when the transaction commits, so a write batch costs
one notification; a rolled-back write sends none.

`ChangeWatcher` listens on a connection of its own (not the pool's) in a daemon thread and counts
the notifications of its store's schema; while it listens, the store's version is its
(generation, count), read without asking the server. What is exact and what is not:

- A write made through the store object itself (`PostgresStore.write_batch`, `save_criteria`)
  counts itself right after its commit (`note_write`), so the process sees its own writes at
  once.
- A write by another process, another store object or plain SQL is seen when its notification
  arrives, typically well under a millisecond after its commit on a local server; until then a
  count or facet set asked again may be the one from before that write (as it would be had it
  been asked a moment earlier).
- Before the watcher has confirmed `LISTEN`, after its connection drops (until it reconnects, in
  a new generation, so every remembered answer goes) and on a schema without migration 0019 (an
  older store opened read-only), `version` is None and the store asks the server as before.
  A connection that vanishes without closing (a cable, not a server stop) is noticed by TCP
  keepalives (`_KEEPALIVES`: within ~25 s); until then its answers may be stale.

The thread and its connection start with the first `version()` (the store's first remembered
count or facet set): a store that never asks one (a one-shot command: `ingest`, `show`, ...)
opens neither. Until the watcher listens, the store asks the server, so a served store's answers
are the same; only its first few counts cost the server's snapshot. `close()` stops the thread
and closes the connection. Each store (each `serve` worker process) that counts holds one such
connection besides its pool.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from trialfinder.store._postgres_write import quote_identifier

Connection = psycopg.Connection[Any]

_log = logging.getLogger(__name__)

CHANNEL = "trialfinder_changed"
"""The notification channel (one per database; the payload names the store's schema)."""

UNWATCHED_TABLES = ("facet_keys_pending", "schema_migrations", "state")
"""Tables no count or facet set reads (trials whose facet keys the transaction refreshes before
it commits, migration 0021; migrations applied; sync progress): no trigger."""

WATCHED_TABLES_0019 = (
    "facet_keys",
    "impact_stats",
    "impact_statuses",
    "impact_trials",
    "impact_words",
    "locations",
    "quarantine",
    "raw_records",
    "sites",
    "trial_areas",
    "trial_conditions",
    "trial_countries",
    "trial_criteria",
    "trial_documents",
    "trial_facet_keys",
    "trial_interventions",
    "trial_phases",
    "trial_search",
    "trial_word_scores",
    "trial_words",
    "trials",
)
"""Every table of the schema at migration 0018 but `UNWATCHED_TABLES`. A later migration that
adds a table attaches the trigger to it too (`notify_on_change`); a test checks none lacks it."""

_NOTIFYING_FUNCTION = "trialfinder_notify_change"

_CREATE_NOTIFYING_FUNCTION = f"""
    create function {_NOTIFYING_FUNCTION}() returns trigger
    language plpgsql
    as $$
    begin
        perform pg_notify('{CHANNEL}', tg_table_schema);
        return null;
    end
    $$
    """
"""The trigger function: one notification naming the written table's schema (the same for every
table of a store, so a transaction's are folded into one)."""


def notify_on_change(table: str) -> str:
    """The statement attaching the notifying trigger to `table`: after each statement that
    inserts, updates, deletes, truncates or copies rows."""
    return f"""
    create trigger {_NOTIFYING_FUNCTION}
        after insert or update or delete or truncate on {quote_identifier(table)}
        for each statement
        execute function {_NOTIFYING_FUNCTION}()
    """


SCHEMA_0019 = (
    _CREATE_NOTIFYING_FUNCTION,
    *(notify_on_change(table) for table in WATCHED_TABLES_0019),
)

_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
"""TCP keepalives of the watcher's connection: one that vanished silently (no server stop, no
reset) is given up after ~25 s instead of the system's two hours."""

_CONNECT_TIMEOUT_S = 10


class ChangeWatcher:
    """Counts the committed writes to one store's schema, heard by `LISTEN` in a daemon thread
    started by the first `version()` or `wait_listening()`; `version()` is (generation, count)
    while it listens, else None. Thread-safe.

    `retry_s`: the wait before reconnecting after the connection failed or dropped.
    """

    def __init__(self, url: str, *, retry_s: float = 1.0) -> None:
        self._conninfo = make_conninfo(url, connect_timeout=_CONNECT_TIMEOUT_S, **_KEEPALIVES)
        self._retry_s = retry_s
        self._lock = threading.Lock()
        self._generation = 0
        self._count = 0
        self._version: tuple[int, int] | None = None
        self._listening = threading.Event()
        self._stopping = threading.Event()
        self._wake: tuple[socket.socket, socket.socket] | None = None
        """The pair whose write wakes the thread to stop, made with the thread: a watcher never
        started holds no socket, so one dropped without `close` leaks none."""
        self.backend_pid: int | None = None
        """Server process of the listening connection (None while not listening)."""
        self._thread: threading.Thread | None = None
        """The listening thread, once started (`_start`)."""

    def version(self) -> tuple[int, int] | None:
        """(generation, count of writes heard) while listening; None: ask the server. The first
        call starts listening."""
        if self._thread is None:
            self._start()
        return self._version

    def note_write(self) -> None:
        """Count a write this process committed (call right after the commit)."""
        with self._lock:
            self._count += 1
            if self._version is not None:
                self._version = (self._generation, self._count)

    def wait_listening(self, timeout_s: float) -> bool:
        """Start listening if not yet, and wait until the watcher listens (or `timeout_s`
        passed); whether it does."""
        if self._thread is None:
            self._start()
        return self._listening.wait(timeout_s)

    def close(self) -> None:
        """Stop the thread, if started, and close its connection (once; later calls do
        nothing)."""
        with self._lock:
            if self._stopping.is_set():
                return
            # Under the lock: a `_start` either ran before (its thread is joined here) or sees
            # the watcher stopping and starts nothing.
            self._stopping.set()
            thread, wake = self._thread, self._wake
        if thread is None or wake is None:
            return
        reader, writer = wake
        writer.send(b"\0")
        thread.join(_CONNECT_TIMEOUT_S + 5)
        if thread.is_alive():
            _log.warning("the change watcher did not stop within %s s", _CONNECT_TIMEOUT_S + 5)
        reader.close()
        writer.close()

    def _start(self) -> None:
        """Start the listening thread (once, and never after `close`)."""
        with self._lock:
            if self._thread is not None or self._stopping.is_set():
                return
            self._wake = socket.socketpair()
            self._thread = threading.Thread(
                target=self._run, args=(self._wake[0],), name="trialfinder-changes", daemon=True
            )
            self._thread.start()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self, wake: socket.socket) -> None:
        failing = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    schema = self._listen(conn)
                    if schema is None:
                        return
                    failing = False
                    self._hear(conn, schema, wake)
            except (psycopg.Error, OSError) as error:
                # Once per spell of failures, not once per retry.
                _log.log(
                    logging.DEBUG if failing else logging.WARNING,
                    "change watcher: %s; answers are checked with the server until it listens",
                    str(error).strip(),
                )
                failing = True
            finally:
                self._forget()
            self._stopping.wait(self._retry_s)

    def _listen(self, conn: Connection) -> str | None:
        """Listen on `conn`; the schema whose writes count, or None when it lacks migration
        0019 (no write would be heard). Listens first, so that a write committed after the
        check is heard."""
        conn.execute(f"listen {CHANNEL}")
        row = conn.execute(
            """
            select current_schema(), exists (
                select
                from pg_proc
                where proname = %(function)s
                    and pronamespace = current_schema()::regnamespace
            )
            """,
            {"function": _NOTIFYING_FUNCTION},
        ).fetchone()
        if not row or not row[1]:
            return None
        self._drain(conn, str(row[0]))
        with self._lock:
            self._version = (self._generation, self._count)
        self.backend_pid = conn.info.backend_pid
        self._listening.set()
        return str(row[0])

    def _hear(self, conn: Connection, schema: str, wake: socket.socket) -> None:
        """Count the notifications of `schema` until told to stop (a byte on `wake`); raises
        when `conn` fails."""
        with selectors.DefaultSelector() as selector:
            selector.register(conn.fileno(), selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while not self._stopping.is_set():
                selector.select()
                self._drain(conn, schema)

    def _drain(self, conn: Connection, schema: str) -> None:
        """Read what the server sent without waiting; count the notifications of `schema`."""
        heard = sum(1 for notify in conn.notifies(timeout=0) if notify.payload == schema)
        if heard:
            self.note_write()
        if conn.broken or conn.closed:
            raise psycopg.OperationalError("the listening connection was closed")

    def _forget(self) -> None:
        """Not listening: version None until listening again, in a new generation."""
        with self._lock:
            self._version = None
            self._generation += 1
        self.backend_pid = None
        self._listening.clear()
