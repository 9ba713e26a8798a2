"""The `trialfinder` CLI assembled: the typer `app` with every command registered on it.

Each command module registers its commands on `app` when first imported, so importing them here
registers each command exactly once. The import order is the order `trialfinder --help` lists
the commands in: store, search, transfer, criteria.
"""

from __future__ import annotations

from trialfinder.cli._common import app

# isort: off
from trialfinder.cli import (  # noqa: F401  (imported to register their commands)
    _store_commands,
    _search_commands,
    _transfer_commands,
    _criteria_commands,
)
# isort: on

__all__ = ["app"]
