"""The PostgreSQL store moves its GIN indexes' pending entries into the indexes after each batch
(`_postgres_write.CLEAN_PENDING_INDEX_ENTRIES`, migration 0018): searches never read a pending
list, and what they find follows every written and replaced trial."""

from __future__ import annotations

import msgspec
import psycopg
import pytest

from trialfinder.model import Trial
from trialfinder.search import count_studies, facet_studies, query_from_params
from trialfinder.store._postgres_write import CLEAN_PENDING_INDEX_ENTRIES
from trialfinder.store.base import StoredRecord
from trialfinder.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

CONDITIONS = ("asthma", "melanoma", "insomnia", "gout")


def _record(n: int, condition: str, last_update: str) -> StoredRecord:
    """Trial `n`, studying `condition` (its only word among `CONDITIONS`)."""
    trial = Trial(
        nct_id=f"NCT{n:08d}",
        brief_title=f"Trial number {n}",
        conditions=[condition.title()],
        overall_status="RECRUITING" if n % 2 else "COMPLETED",
        study_type="INTERVENTIONAL",
        last_update_posted=last_update,
    )
    return StoredRecord.of(trial, msgspec.json.encode(trial), "json", "test", trial.nct_id)


def _pending_pages(url: str) -> list[int]:
    """Pages each GIN index of the store's schema held in its pending list (now moved)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [int(pages) for (pages,) in conn.execute(CLEAN_PENDING_INDEX_ENTRIES)]


def test_batches_leave_no_pending_entries_and_searches_follow_them(
    pg_store: PostgresStore, pg_url: str
) -> None:
    conditions = {n: CONDITIONS[n % len(CONDITIONS)] for n in range(40)}
    pg_store.write_batch([_record(n, c, "2024-01-01") for n, c in conditions.items()], [])
    # A third of the trials replaced, each now studying the next condition.
    moved = {n: CONDITIONS[(n + 1) % len(CONDITIONS)] for n in range(0, 40, 3)}
    pg_store.write_batch([_record(n, c, "2024-02-01") for n, c in moved.items()], [])
    conditions |= moved

    pending = _pending_pages(pg_url)
    assert len(pending) >= 5  # the search indexes: words, areas, documents, sites, sponsors
    assert pending == [0] * len(pending)
    for condition in CONDITIONS:
        studying = [n for n, c in conditions.items() if c == condition]
        query = query_from_params({"query.cond": condition})
        assert count_studies(pg_store, query) == len(studying)
        statuses = facet_studies(pg_store, query)["overallStatus"]
        assert statuses.get("RECRUITING", 0) == sum(1 for n in studying if n % 2)
        assert sum(statuses.values()) == len(studying)
