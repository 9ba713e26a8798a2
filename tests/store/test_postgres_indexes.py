"""Rebuilding a PostgreSQL store's indexes packed (`store/postgres_indexes.py`, `trialfinder
reindex`): what an update of every row loosened shrinks back, every index stays (valid), the
answers stay, and a copy an interrupted rebuild left is dropped."""

from __future__ import annotations

import json

import psycopg
import pytest
from typer.testing import CliRunner

from trialfinder.cli import app
from trialfinder.store.base import StudyFilter, StudySort
from trialfinder.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

EVERY_TRIAL = StudyFilter()
IN_FRANCE = StudyFilter(countries=("France",))


def _indexes(url: str) -> dict[str, tuple[int, bool]]:
    """Every index of the store's schema: name -> (bytes, valid)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            select indexes.relname, pg_relation_size(indexes.oid), pg_index.indisvalid
            from pg_index
            join pg_class as indexes on indexes.oid = pg_index.indexrelid
            where indexes.relnamespace = current_schema()::regnamespace
            """
        ).fetchall()
    return {str(name): (int(size), bool(valid)) for name, size, valid in rows}


def _sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _answers(store: PostgresStore) -> tuple[int, int, list[str]]:
    page = store.search_trials(IN_FRANCE, StudySort(), 20, 0, 10.0)
    return (
        store.count_trials(EVERY_TRIAL, 10.0),
        store.count_trials(IN_FRANCE, 10.0),
        [hit.nct_id for hit in page],
    )


def test_a_rebuild_packs_what_an_update_of_every_row_loosened(
    pg_real_store: PostgresStore,
) -> None:
    url = pg_real_store.url
    answers = _answers(pg_real_store)
    packed = pg_real_store.rebuild_indexes()
    before = _indexes(url)
    # As migrations 0009 and 0013 did: every row updated, each index gets a second entry.
    _sql(url, "update trial_countries set first_position = first_position + 1")
    _sql(url, "update trial_countries set first_position = first_position - 1")
    loosened = _indexes(url)
    assert loosened["trial_countries_pkey"][0] > before["trial_countries_pkey"][0]

    progress: list[tuple[int, int]] = []
    rebuilt = pg_real_store.rebuild_indexes(lambda done, total: progress.append((done, total)))

    after = _indexes(url)
    assert after.keys() == before.keys()
    assert all(valid for _, valid in after.values())
    assert after["trial_countries_pkey"] == before["trial_countries_pkey"]
    assert rebuilt.indexes == packed.indexes == len(before)
    assert rebuilt.bytes_before == sum(size for size, _ in loosened.values())
    assert rebuilt.bytes_after == sum(size for size, _ in after.values())
    assert rebuilt.bytes_after < rebuilt.bytes_before
    assert progress == [(done, len(before)) for done in range(1, len(before) + 1)]
    assert _answers(pg_real_store) == answers


def test_a_copy_left_by_an_interrupted_rebuild_is_dropped(pg_real_store: PostgresStore) -> None:
    url = pg_real_store.url
    before = _indexes(url)
    # A unique index built concurrently over duplicates fails, left behind invalid: as an
    # interrupted `reindex concurrently` leaves its copy.
    with pytest.raises(psycopg.errors.UniqueViolation):
        _sql(url, "create unique index concurrently trial_phases_nct_ccnew on trial_phases (phase)")
    assert _indexes(url)["trial_phases_nct_ccnew"][1] is False

    rebuilt = pg_real_store.rebuild_indexes()

    assert _indexes(url).keys() == before.keys()
    assert rebuilt.indexes == len(before)


def test_the_reindex_command_rebuilds_a_server_store(pg_url: str) -> None:
    PostgresStore(pg_url, pool_size=1).close()
    indexes = len(_indexes(pg_url))

    result = CliRunner().invoke(app, ["reindex", "--json", "--database", pg_url])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["indexes"] == indexes
    assert summary["bytes_after"] <= summary["bytes_before"]


def test_the_reindex_command_says_what_it_rebuilt(pg_url: str) -> None:
    PostgresStore(pg_url, pool_size=1).close()
    indexes = len(_indexes(pg_url))

    result = CliRunner().invoke(app, ["reindex", "--database", pg_url])

    assert result.exit_code == 0, result.output
    assert f"rebuilt {indexes} indexes in " in " ".join(result.output.split())
    assert "MiB ->" in result.output
