"""Rebuilding a PostgreSQL store's indexes packed, without blocking its readers or writers
(`trialfinder reindex`).

An index made in one pass over a filled table (`create index`, `reindex`) packs its pages (a
btree's leaves 90 % full); one that grows row by row does not. A btree whose new entries land in
random places of its key order (`trial_areas` by area, `locations` by cell, `trial_countries` by
country, `trials` by last update: every secondary index the store writes) splits pages in two
and settles near 70 % full, and a statement that updates every row of a table, as migrations
0009, 0010 and 0013 did to `trial_countries` and `trials`, gives each of its indexes a second
entry per row: about half full. At 100,000 studies that left the big btrees at 46-67 %, some
250 MiB more than packed that a 256 MB buffer pool must hold (session 14). Neither is a fault of
the write path (sorting a batch's 500 trials does not put them near each other in the index), so
the store offers the clean-up a server operator expects after a bulk load or such a migration,
as `VACUUM` or `pg_repack` would be: `reindex index concurrently`, one index at a time, which
builds the new index beside the old one while reads and writes go on, then swaps them.

A rebuild interrupted (a cancelled command, a lost connection) leaves the unfinished copy,
invalid and named `<index>_ccnew` (or the old one, `<index>_ccold`): the next rebuild drops it
first, as PostgreSQL's documentation advises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from trialfinder.store._postgres_write import quote_identifier

Connection = psycopg.Connection[Any]

_INDEXES = """
    select indexes.relname, pg_relation_size(indexes.oid), pg_index.indisvalid
    from pg_index
    join pg_class as indexes on indexes.oid = pg_index.indexrelid
    where indexes.relnamespace = current_schema()::regnamespace
    order by indexes.relname
    """
"""Every index of the store's schema: name, bytes, whether valid (usable)."""

_LEFT_BY_AN_INTERRUPTED_REBUILD = ("_ccnew", "_ccold")
"""Name endings (before an optional number) of the copies `reindex concurrently` makes."""

_MAINTENANCE_WORK_MEM = "256MB"
"""Memory to sort an index's entries in (as the migrations that build big indexes use)."""


@dataclass(frozen=True, slots=True)
class IndexRebuild:
    """What a rebuild did: indexes rebuilt, their bytes before and after, and the time taken."""

    indexes: int
    bytes_before: int
    bytes_after: int
    seconds: float

    def as_dict(self) -> dict[str, float]:
        """The figures for JSON output."""
        return {
            "indexes": self.indexes,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "seconds": round(self.seconds, 3),
        }


def _left_by_an_interrupted_rebuild(name: str, valid: bool) -> bool:
    """Whether the index `name` is a copy an interrupted `reindex concurrently` left."""
    return not valid and name.rstrip("0123456789").endswith(_LEFT_BY_AN_INTERRUPTED_REBUILD)


def rebuild_indexes(
    url: str, on_progress: Callable[[int, int], None] | None = None
) -> IndexRebuild:
    """Rebuild every index of the store at `url` with `reindex index concurrently`, one at a
    time, on a connection of its own; `on_progress(done, total)` after each. Copies left by an
    interrupted rebuild are dropped first (`drop index concurrently`)."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "select set_config('maintenance_work_mem', %(memory)s, false)",
            {"memory": _MAINTENANCE_WORK_MEM},
        )
        indexes = []
        for name, size, valid in conn.execute(_INDEXES).fetchall():
            if _left_by_an_interrupted_rebuild(name, valid):
                conn.execute(f"drop index concurrently {quote_identifier(name)}")
            else:
                indexes.append((str(name), int(size)))
        for done, (name, _) in enumerate(indexes, start=1):
            conn.execute(f"reindex index concurrently {quote_identifier(name)}")
            if on_progress is not None:
                on_progress(done, len(indexes))
        sizes = {str(name): int(size) for name, size, _ in conn.execute(_INDEXES).fetchall()}
    return IndexRebuild(
        indexes=len(indexes),
        bytes_before=sum(size for _, size in indexes),
        bytes_after=sum(sizes.get(name, 0) for name, _ in indexes),
        seconds=time.perf_counter() - started,
    )
