"""Moving a store: export to JSON Lines, import into either backend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trialfinder.cli._common import app
from trialfinder.cli.options import DatabaseOption, JsonOption
from trialfinder.cli.output import command, console, fail, print_json
from trialfinder.store import open_store


@app.command("export")
@command
def export_command(
    output: Annotated[
        Path, typer.Argument(help="JSON Lines file to write ('-' for stdout).", show_default=False)
    ],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write every raw and quarantined record to a backend-neutral JSON Lines file."""
    import sys

    from trialfinder.transfer import export_store

    store = open_store(database, read_only=True)
    try:
        if str(output) == "-":
            summary = export_store(store, sys.stdout.buffer)
        else:
            with output.open("wb") as out:
                summary = export_store(store, out)
    finally:
        store.close()
    if as_json:
        print_json(summary.as_dict())
    elif str(output) != "-":
        console.print(f"exported {summary.describe()} to {output}")


@app.command("import")
@command
def import_command(
    source: Annotated[
        Path, typer.Argument(help="A file written by `trialfinder export`.", show_default=False)
    ],
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(help="Parsing processes.", min=1)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Load an export into this store (either backend) and check its counts and checksums."""
    from trialfinder.transfer import import_store

    if not source.is_file():
        raise fail(f"{str(source)!r} is not a file; give a file written by `trialfinder export`")
    store = open_store(database)
    try:
        with source.open("rb") as stream:
            expected, found = import_store(store, stream, str(source), workers=workers)
    finally:
        store.close()
    if as_json:
        print_json({"export": expected.as_dict(), "store": found.as_dict()})
        return
    console.print(f"imported {found.describe()}; the export declared {expected.describe()}")
