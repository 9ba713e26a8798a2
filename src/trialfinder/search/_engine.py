"""Running searches against a store: pages with opaque tokens, totals, facets and sites."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from trialfinder.errors import QueryError
from trialfinder.search._query import SearchQuery, registry_country
from trialfinder.search._text import plain_words
from trialfinder.store.base import GeoArea, Site, SiteFilter, Store, StudyHit

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 10
TIME_LIMIT_S = 10.0
"""Longest a search may run before it is stopped with a QueryError."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results; `total` only when asked for; `next_page_token` None on the last."""

    hits: list[StudyHit]
    total: int | None
    next_page_token: str | None


@dataclass(frozen=True, slots=True)
class SitePage:
    """One page of research sites with their distance (km, when searched near a place)."""

    sites: list[tuple[Site, float | None]]
    total: int
    next_page_token: str | None


def _fingerprint(key: object) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:12]


def encode_page_token(offset: int, key: object) -> str:
    """An opaque token for the page starting at `offset` of the search identified by `key`."""
    payload = json.dumps([offset, _fingerprint(key)]).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_page_token(token: str | None, key: object) -> int:
    """The offset a token from `encode_page_token` points at; 0 for None. Raises QueryError."""
    if not token:
        return 0
    problem = (
        f"pageToken {token[:40]!r} is not a token this search returned; "
        "repeat the search without it to start from the first page"
    )
    try:
        padded = token + "=" * (-len(token) % 4)
        offset, fingerprint = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError):
        raise QueryError(problem, "pageToken") from None
    if not isinstance(offset, int) or offset < 0 or fingerprint != _fingerprint(key):
        raise QueryError(problem, "pageToken")
    return offset


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(
            f"pageSize {page_size} is not between 1 and {MAX_PAGE_SIZE}", parameter="pageSize"
        )


def search_studies(
    store: Store,
    query: SearchQuery,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    page_token: str | None = None,
    count_total: bool = False,
    time_limit_s: float = TIME_LIMIT_S,
) -> SearchPage:
    """Return one page of trials matching `query`, best first; raises QueryError."""
    _check_page_size(page_size)
    where = query.study_filter()
    sort = query.study_sort()
    offset = decode_page_token(page_token, query)
    # One row more than asked tells whether another page follows.
    hits = store.search_trials(where, sort, page_size + 1, offset, time_limit_s)
    next_token = None
    if len(hits) > page_size:
        hits = hits[:page_size]
        next_token = encode_page_token(offset + page_size, query)
    total = store.count_trials(where, time_limit_s) if count_total else None
    return SearchPage(hits=hits, total=total, next_page_token=next_token)


def count_studies(store: Store, query: SearchQuery, time_limit_s: float = TIME_LIMIT_S) -> int:
    """Return how many trials match `query`."""
    return store.count_trials(query.study_filter(), time_limit_s)


def facet_studies(
    store: Store, query: SearchQuery, time_limit_s: float = TIME_LIMIT_S
) -> dict[str, dict[str, int]]:
    """Return, for each facet (overallStatus, phase, studyType, sex, stdAge, country), the number
    of matching trials per value. Trials without a phase count under "NONE".
    """
    return store.facet_counts(query.study_filter(), time_limit_s)


def find_sites(
    store: Store,
    *,
    text: str = "",
    countries: tuple[str, ...] = (),
    geo: GeoArea | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    page_token: str | None = None,
    time_limit_s: float = TIME_LIMIT_S,
) -> SitePage:
    """Return research sites whose name/city/state/country contain every word of `text`,
    in `countries`, within `geo`: nearest first with a place, else those with most trials.
    """
    _check_page_size(page_size)
    where = SiteFilter(
        words=plain_words(text, "query"),
        countries=tuple(registry_country(c) for c in countries),
        geo=geo,
    )
    offset = decode_page_token(page_token, where)
    sites, total = store.search_sites(where, page_size, offset, time_limit_s)
    has_more = offset + len(sites) < total
    next_token = encode_page_token(offset + page_size, where) if has_more else None
    return SitePage(sites=sites, total=total, next_page_token=next_token)
