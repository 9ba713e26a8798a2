"""The `trialfinder` command: thin shells over library calls, errors turned into one line."""

from __future__ import annotations

from trialfinder.cli.app import app


def main() -> None:
    """Entry point of the `trialfinder` console script."""
    app()


__all__ = ["app", "main"]
