"""`trialfinder export` / `import` move a store between backends without losing anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctgov_server import minimal_study, serve_ctgov
from support import FIXTURES, shared_data
from trialfinder.cli.app import app
from trialfinder.ingest import ingest
from trialfinder.sources.api_client import CtgovApiClient
from trialfinder.store import Store, open_store
from trialfinder.sync import sync, sync_key
from trialfinder.transfer import store_summary

pytestmark = pytest.mark.postgres
runner = CliRunner()


def _sources(tmp_path: Path) -> list[Path]:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "truncated.json").write_bytes(b'{"protocolSection": {"identificationModule": {"nc')
    (bad / "no-id.json").write_bytes(b'{"protocolSection": {"identificationModule": {}}}')
    return [shared_data("ctgov-xml"), FIXTURES / "NCT05397184.json", bad]


@pytest.mark.parametrize(
    ("source_backend", "target_backend"),
    [("sqlite", "postgres"), ("postgres", "sqlite")],
    ids=["sqlite-to-postgres", "postgres-to-sqlite"],
)
def test_export_import_round_trip(
    source_backend: str, target_backend: str, postgres_database: str, tmp_path: Path
) -> None:
    from pg_cluster import throwaway_schema

    with throwaway_schema(postgres_database) as pg_url:
        urls = {"sqlite": f"sqlite:///{tmp_path / 'trials.db'}", "postgres": pg_url}
        source = open_store(urls[source_backend])
        ingest(source, _sources(tmp_path))
        before = store_summary(source)
        source.close()

        exported = runner.invoke(
            app, ["export", str(tmp_path / "a.jsonl"), "-d", urls[source_backend], "--json"]
        )
        assert exported.exit_code == 0, exported.output
        assert json.loads(exported.output) == before.as_dict()
        assert (before.records, before.quarantined) == (64, 2)
        imported = runner.invoke(
            app, ["import", str(tmp_path / "a.jsonl"), "-d", urls[target_backend], "--json"]
        )
        assert imported.exit_code == 0, imported.output
        summary = json.loads(imported.output)
        assert summary["export"] == summary["store"] == before.as_dict()
        assert summary["store"]["records"] == 64

        again = runner.invoke(
            app, ["export", str(tmp_path / "b.jsonl"), "-d", urls[target_backend]]
        )
        assert again.exit_code == 0, again.output
        assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()

        target = open_store(urls[target_backend])
        source = open_store(urls[source_backend])
        assert [t.nct_id for t in target.iter_trials()] == [t.nct_id for t in source.iter_trials()]
        assert target.get_trial("NCT02513394") == source.get_trial("NCT02513394")
        assert target.stats().by_status == source.stats().by_status
        target.close()
        source.close()


def test_import_of_a_truncated_export_fails_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = open_store(url)
    ingest(store, [FIXTURES / "NCT05397184.json"])
    store.close()
    assert runner.invoke(app, ["export", str(tmp_path / "a.jsonl"), "-d", url]).exit_code == 0
    lines = (tmp_path / "a.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "cut.jsonl").write_bytes(b"".join(lines[:-1]))
    result = runner.invoke(
        app, ["import", str(tmp_path / "cut.jsonl"), "-d", f"sqlite:///{tmp_path / 'b.db'}"]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'cut.jsonl'}: the export ends early (no 'end' line); "
        "it is incomplete\n"
    )


def _move(source: str, target: str, export: Path) -> dict[str, object]:
    """`trialfinder export` from `source`, `import` into `target`; the import's --json."""
    exported = runner.invoke(app, ["export", str(export), "-d", source])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(app, ["import", str(export), "-d", target, "--json"])
    assert imported.exit_code == 0, imported.output
    summary: dict[str, object] = json.loads(imported.output)
    assert summary["export"] == summary["store"]
    return summary


def _content(store: Store) -> tuple[object, ...]:
    return (
        [(r.nct_id, r.format, r.origin, r.position, r.sha256) for r in store.iter_raw_records()],
        list(store.iter_trials()),
        store.list_quarantine(limit=1000),
        store.list_state(),
        store.stats().by_status,
    )


def test_sqlite_to_postgres_to_sqlite_keeps_everything_and_sync_resumes(
    postgres_database: str, tmp_path: Path
) -> None:
    from pg_cluster import throwaway_schema

    studies = [minimal_study(f"NCT{20000000 + n}", f"Study {n}", ["Asthma"]) for n in range(25)]
    params = {"query.cond": "asthma"}
    first = f"sqlite:///{tmp_path / 'first.db'}"
    last = f"sqlite:///{tmp_path / 'last.db'}"
    with serve_ctgov(studies) as server, throwaway_schema(postgres_database) as pg_url:
        client = CtgovApiClient(server.base_url, min_interval=0, backoff=0.001, max_retries=1)
        source = open_store(first)
        ingest(source, _sources(tmp_path))
        # A bounded slice: the next sync resumes at the saved page token.
        assert sync(source, client, params, limit=10).new == 10
        token = source.get_state(f"{sync_key(params)}:token")
        assert token is not None
        before = _content(source)
        source.close()

        there = _move(first, pg_url, tmp_path / "a.jsonl")
        back = _move(pg_url, last, tmp_path / "b.jsonl")
        assert there == back
        assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
        moved = open_store(last)
        assert _content(moved) == before

        requests = len(server.requests)
        report = sync(moved, client, params, limit=10)
        assert (report.read, report.new) == (10, 10)
        assert server.requests[requests].params.get("pageToken") == token
        assert moved.stats().trials == 64 + 20
        moved.close()
        client.close()
