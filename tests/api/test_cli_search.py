"""`trialfinder search` on the real studies."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from trialfinder.cli.app import app
from trialfinder.store import Store

runner = CliRunner()


def test_search_json(api_store: Store) -> None:
    result = runner.invoke(
        app,
        [
            "search",
            "leukemia",
            "--near",
            "02115",
            "--within",
            "5mi",
            "--sort",
            "distance",
            "--age",
            "12",
            "--limit",
            "1",
            "--json",
            "--database",
            api_store.url,
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 4
    assert data["results"][0]["nearest_site"]["city"] == "Boston"
    assert data["results"][0]["distance_km"] == 3.2


def test_search_table(api_store: Store) -> None:
    result = runner.invoke(
        app, ["search", "--condition", "SLE", "--database", api_store.url], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "NCT05843643" in result.output
    assert "1 trials" in result.output


def test_unknown_place_is_one_line_error(api_store: Store) -> None:
    result = runner.invoke(app, ["search", "x", "--near", "Atlantiss", "--database", api_store.url])
    assert result.exit_code == 2
    assert "unknown place 'Atlantiss'" in result.output
