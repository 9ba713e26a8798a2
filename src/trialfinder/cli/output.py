"""Printing: rich tables for people, JSON for programs, one-line errors for both."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import typer
from rich.console import Console

from trialfinder.errors import QueryError, TrialfinderError
from trialfinder.store import database_url

console = Console()
error_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Write `data` as indented JSON to stdout (msgspec handles the model structs)."""
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data), indent=2).decode() + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one error line to stderr and return the Exit to raise."""
    error_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def errors_as_messages(database: str | None = None) -> Iterator[None]:
    """Turn trialfinder errors into one readable line and a non-zero exit, never a traceback.

    `database` is the command's --database option, named when the store file is damaged.
    """
    try:
        yield
    except QueryError as error:
        raise fail(error.message, code=2) from None
    except TrialfinderError as error:
        raise fail(str(error)) from None
    except sqlite3.DatabaseError as error:
        # The schema opened but a page under it is damaged ("database disk image is malformed").
        raise fail(
            f"{database_url(database)}: cannot be read ({error}); the file is damaged. Restore it "
            "from a backup or export, or point TRIALFINDER_DATABASE at a new file."
        ) from None
    except KeyboardInterrupt:
        raise fail("interrupted; run the same command again to resume", code=130) from None


def command(function: Callable[..., None]) -> Callable[..., None]:
    """Decorate a CLI command so its errors print as messages."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        database = kwargs.get("database")
        with errors_as_messages(database if isinstance(database, str) else None):
            function(*args, **kwargs)

    return wrapper
