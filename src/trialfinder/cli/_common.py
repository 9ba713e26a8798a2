"""The typer `app` every command module registers on, and the progress bar they share."""

from __future__ import annotations

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from trialfinder.cli.output import console

app = typer.Typer(
    name="trialfinder",
    help=(
        "Find clinical trials you can actually join: "
        "mirror ClinicalTrials.gov, search, check eligibility."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def progress_bar() -> Progress:
    """A transient progress bar with a studies/s rate; silent when stdout is not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.0f} studies/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
