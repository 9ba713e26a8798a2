"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        envvar="TRIALFINDER_DATABASE",
        help="Store URL: sqlite:///path/trials.db (default ./trials.db) or postgresql://...",
        show_default=False,
    ),
]
