"""Running a PostgreSQL search: one transaction, cancelled past a time limit, planned with the
settings where PostgreSQL's estimates mislead it. Split from `postgres_search.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.errors

from trialfinder.errors import QueryError, StoreError
from trialfinder.store.base import StudyFilter

Connection = psycopg.Connection[Any]


SEARCH_WORK_MEM = "32MB"
"""`work_mem` of a search with words: its index bitmaps stay exact at 600k studies."""


def plan_settings(where: StudyFilter) -> dict[str, str]:
    """Planner settings for a trial search, where PostgreSQL's estimates mislead it.

    The planner prices testing a trial's `document` like testing a number, not knowing that
    it reads a whole document: with words to find it would scan every trial rather than use
    the GIN index. With words and a place, it underestimates both sets
    (phrases, a circle on the map) and joins them in a nested loop, comparing every pair, or
    sorts the circle's rows (296k for New York 100 mi at 600k studies) to merge them with the
    hits, where a hash of the hits takes one probe a row (`postgres_geo.probed_circle`).
    The words' hits are found by ANDing index bitmaps, one of them often a broad filter's
    (open trials: 380k rows at 600k studies); past the default 4 MB of `work_mem` such a bitmap
    keeps whole pages, not rows, and every row of those pages is read and rechecked
    ("non-small cell lung cancer" near Boston: 92k rows for 10k hits).
    """
    settings = {}
    if where.text:
        settings["enable_seqscan"] = "off"
        settings["work_mem"] = SEARCH_WORK_MEM
        if where.geo is not None:
            settings["enable_nestloop"] = "off"
            settings["enable_mergejoin"] = "off"
    return settings


@contextmanager
def time_limit(
    conn: Connection, seconds: float, where: StudyFilter | None = None
) -> Iterator[None]:
    """Run the statements inside in one transaction, cancelled after `seconds`, planned as
    `plan_settings(where)` says.
    """
    settings = {"statement_timeout": str(max(1, int(seconds * 1000)))}
    if where is not None:
        settings.update(plan_settings(where))
    try:
        with conn.transaction():
            conn.execute(
                "select "
                + ", ".join(
                    f"set_config(%(name_{i})s, %(value_{i})s, true)" for i in range(len(settings))
                ),
                {
                    **{f"name_{i}": name for i, name in enumerate(settings)},
                    **{f"value_{i}": value for i, value in enumerate(settings.values())},
                },
            )
            yield
    except psycopg.errors.QueryCanceled:
        raise QueryError(
            f"the search took longer than {seconds:g} s and was stopped; "
            "add words or filters to narrow it"
        ) from None
    except psycopg.errors.SyntaxError as error:
        raise QueryError(f"the search text could not be read ({str(error).strip()})") from None
    except psycopg.Error as error:
        raise StoreError(f"search failed ({str(error).strip()})") from None
