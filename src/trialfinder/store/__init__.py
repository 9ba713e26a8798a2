"""Storage of trials behind one interface; `open_store` picks the backend from a URL."""

from __future__ import annotations

import os
from pathlib import Path

from trialfinder.errors import StoreError
from trialfinder.store.base import QuarantineEntry, Store, StoredRecord, StoreStats, WriteCounts

DEFAULT_DATABASE = "sqlite:///trials.db"
DATABASE_SETTING = "TRIALFINDER_DATABASE"


def database_url(url: str | None = None) -> str:
    """The database URL to use: the argument, else $TRIALFINDER_DATABASE, else ./trials.db."""
    return url or os.environ.get(DATABASE_SETTING) or DEFAULT_DATABASE


def open_store(url: str | None = None, *, read_only: bool = False) -> Store:
    """Open (creating and migrating when needed) the store at `url`.

    Accepts ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, a plain file path,
    or ``postgresql://...``.
    """
    resolved = database_url(url)
    if resolved.startswith(("postgresql://", "postgres://")):
        from trialfinder.store.postgres import PostgresStore

        return PostgresStore(resolved, read_only=read_only)
    if resolved.startswith("sqlite:///"):
        path = Path(resolved.removeprefix("sqlite:///"))
    elif "://" in resolved:
        raise StoreError(
            f"{DATABASE_SETTING}={resolved!r} is not 'sqlite:///path/trials.db' or 'postgresql://...'"
        )
    else:
        path = Path(resolved)
    from trialfinder.store.sqlite import SQLiteStore

    return SQLiteStore(path, read_only=read_only)


__all__ = [
    "DATABASE_SETTING",
    "DEFAULT_DATABASE",
    "QuarantineEntry",
    "Store",
    "StoreStats",
    "StoredRecord",
    "WriteCounts",
    "database_url",
    "open_store",
]
