"""The PostgreSQL side of the tests: one throwaway database per run, one schema per store.

`scripts/test` starts a cluster (`scripts/pg start DIR`) and exports its URL as
$TRIALFINDER_TEST_POSTGRES. Without it the PostgreSQL cases skip, saying how to start one,
unless $TRIALFINDER_REQUIRE_POSTGRES is set (CI), where they fail instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from trialfinder.store import Store, open_store

URL_SETTING = "TRIALFINDER_TEST_POSTGRES"
REQUIRE_SETTING = "TRIALFINDER_REQUIRE_POSTGRES"
HOW_TO_START = (
    f"PostgreSQL tests need ${URL_SETTING}; start a throwaway cluster with "
    f"`export {URL_SETTING}=$(scripts/pg start /tmp/trialfinder-pg)` "
    "(scripts/test does this for you)"
)
EXTENSIONS = ("cube", "earthdistance", "pg_trgm", "unaccent", "intarray")
"""What the PostgreSQL migrations create (`create extension if not exists`)."""
_schemas = itertools.count()


def server_url() -> str:
    """The test cluster's URL, or skip (fail under CI) saying how to start one."""
    url = os.environ.get(URL_SETTING, "")
    if not url:
        if os.environ.get(REQUIRE_SETTING):
            pytest.fail(f"${REQUIRE_SETTING} is set but ${URL_SETTING} is not. {HOW_TO_START}")
        pytest.skip(HOW_TO_START)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        message = f"cannot reach ${URL_SETTING}={url!r} ({str(error).strip()}). {HOW_TO_START}"
        if os.environ.get(REQUIRE_SETTING):
            pytest.fail(message)
        pytest.skip(message)
    return url


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def with_schema(url: str, schema: str) -> str:
    """`url` whose connections work in `schema` (extensions stay in public)."""
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={schema},public")
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """Create a database for this test run; yield its URL; drop it afterwards."""
    name = f"trialfinder_test_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')
    # Extensions are per database and land in the first schema of the search path: make them
    # once in public, which every store's schema path ends with, so no schema drops them.
    with psycopg.connect(with_database(url, name), autocommit=True) as database:
        for extension in EXTENSIONS:
            database.execute(f'create extension if not exists "{extension}" schema public')
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def throwaway_schema(database_url: str) -> Iterator[str]:
    """Create an empty schema; yield a URL working in it; drop it afterwards."""
    name = f"store_{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'create schema "{name}"')
    try:
        yield with_schema(database_url, name)
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'drop schema if exists "{name}" cascade')


TEXT_INDEX = {"sqlite": "tantivy", "sqlite-fts5": "fts5"}
"""The SQLite backends of `conftest.BACKENDS` and the text engine each opens its store with."""


@contextmanager
def backend_store(request: pytest.FixtureRequest, name: str) -> Iterator[Store]:
    """A fresh, open store on the backend `request.param` names (see `conftest.BACKENDS`).

    For session fixtures: SQLite gets a file in a new temporary folder, opened with the text
    engine of `TEXT_INDEX` (the setting is read when a store opens); PostgreSQL a new schema in
    the run's database.
    """
    if request.param in TEXT_INDEX:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        with pytest.MonkeyPatch.context() as setting:
            setting.setenv("TRIALFINDER_TEXT_INDEX", TEXT_INDEX[request.param])
            store = open_store(f"sqlite:///{factory.mktemp(name) / 'trials.db'}")
        try:
            yield store
        finally:
            store.close()
        return
    database: str = request.getfixturevalue("postgres_database")
    with throwaway_schema(database) as url:
        store = open_store(url)
        try:
            yield store
        finally:
            store.close()
