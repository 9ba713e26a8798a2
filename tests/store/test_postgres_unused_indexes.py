"""PostgreSQL migration 0020: the indexes no statement of the store reads are dropped (issue #3,
the store's size). A store that still has them loses them and answers as before; the deletes
of a replaced trial's child rows still find an index by trial. (Words searches test the status
in their words' index: `test_postgres_words_status.py`.)"""

from __future__ import annotations

import json
import re

import psycopg
import pytest

from support import FIXTURES
from trialfinder.ingest import parse_raw
from trialfinder.search import SearchQuery, count_studies, search_studies
from trialfinder.sources.base import RawRecord
from trialfinder.store import open_store
from trialfinder.store._postgres_write import _CHILD_TABLES
from trialfinder.store.base import SiteFilter, StoredRecord
from trialfinder.store.migrations import POSTGRES_MIGRATIONS
from trialfinder.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

MIGRATION = next(m for m in POSTGRES_MIGRATIONS if m.name == "0020_drop_unused_indexes")
DROPPED = tuple(s.removeprefix("drop index if exists ") for s in MIGRATION.statements)


def _created_by_earlier_migrations(name: str) -> str:
    """The last statement of the migrations before 0020 that creates the index `name`."""
    earlier = POSTGRES_MIGRATIONS[: POSTGRES_MIGRATIONS.index(MIGRATION)]
    return [
        statement
        for migration in earlier
        for statement in migration.statements
        if statement.strip().startswith(f"create index {name} ")
    ][-1]


def _indexes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select indexname from pg_indexes where schemaname = current_schema()"
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_migration_0020_drops_the_indexes_of_an_older_store(pg_url: str) -> None:
    study = json.loads((FIXTURES / "NCT05397184.json").read_text())
    study["protocolSection"]["statusModule"]["overallStatus"] = "RECRUITING"
    record = parse_raw(RawRecord("test", "file", json.dumps(study).encode(), "ctgov_json"))
    assert isinstance(record, StoredRecord)
    store = open_store(pg_url)
    store.write_batch([record], [])
    store.close()
    fresh = _indexes(pg_url)
    assert fresh.isdisjoint(DROPPED)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in DROPPED:
            conn.execute(_created_by_earlier_migrations(name))
        conn.execute("delete from schema_migrations where name = %s", (MIGRATION.name,))
    assert _indexes(pg_url) == fresh | set(DROPPED)
    store = PostgresStore(pg_url, count_cache_size=0)
    try:
        assert _indexes(pg_url) == fresh
        for query in (
            SearchQuery(cond="leukaemia", statuses=("RECRUITING",)),
            SearchQuery(term="leukaemia", statuses=("RECRUITING",)),
            SearchQuery(countries=("United Kingdom",), phases=("PHASE1",)),
        ):
            assert [h.nct_id for h in search_studies(store, query).hits] == ["NCT05397184"]
            assert count_studies(store, query) == 1
        sites, total = store.search_sites(SiteFilter(countries=("united kingdom",)), 10, 0, 5.0)
        assert total == len(sites) > 0
    finally:
        store.close()


def test_a_replaced_trials_child_rows_are_still_deleted_by_an_index(
    pg_real_store: PostgresStore,
) -> None:
    # The write path deletes a replaced trial's rows from each child table by its id
    # (`_postgres_write.write`); without an index by trial each delete reads the whole table.
    with psycopg.connect(pg_real_store.url) as conn:
        conn.execute("set enable_seqscan = off")
        for table in _CHILD_TABLES:
            plan = "\n".join(
                str(row[0])
                for row in conn.execute(
                    f"explain delete from {table} where nct_id = any(%(nct_ids)s::text[])",
                    {"nct_ids": ["NCT05397184", "NCT00000102"]},
                )
            )
            assert re.search(rf"Index Scan (using|on) {table}_\w+ ", plan), plan
            assert "Index Cond: (nct_id = ANY" in plan
