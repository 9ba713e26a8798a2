"""Live ClinicalTrials.gov API v2 client: pages of studies as `RawRecord`s, fetched politely.

The client sends at most one request per `min_interval` seconds, retries 429s, 5xx answers,
dropped connections and malformed pages with capped exponential backoff, and hands every page's
`next_page_token` to the caller, so an interrupted download can resume where it stopped.
Study bytes are sliced out of the page body (`msgspec.Raw`), never decoded and re-encoded.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec

from trialfinder.errors import QueryError, SourceError
from trialfinder.sources.base import RawRecord

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
MAX_PAGE_SIZE = 1000
USER_AGENT = "trialfinder/0.1 (+https://github.com/trialfinder)"

# GET /studies parameters a caller may set. pageToken, countTotal and format are the client's.
_CALLER_PARAMS = frozenset({"aggFilters", "fields", "sort", "geoDecay", "markupFormat", "pageSize"})
_CALLER_PREFIXES = ("query.", "filter.", "postFilter.")
# Failures worth another attempt: the server or the network may do better next time.
_RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StudyPage:
    """One page of `GET /studies`.

    `records` holds one `RawRecord` per study, in server order. `page_token` is the token that
    fetched this page (None for the first page); persist `next_page_token` (None on the last
    page) and pass it to `iter_pages` to resume. `total_count` is only set on a first page.
    """

    records: list[RawRecord]
    next_page_token: str | None
    page_token: str | None
    total_count: int | None


class _Page(msgspec.Struct, rename="camel"):
    """The envelope of a studies page; each study stays raw bytes."""

    studies: list[msgspec.Raw]
    next_page_token: str | None = None
    total_count: int | None = None


class _MalformedError(Exception):
    """A 200 answer whose body is not what the endpoint promises."""


def _decode_page(body: bytes) -> _Page:
    try:
        return msgspec.json.decode(body, type=_Page)
    except msgspec.DecodeError as error:
        raise _MalformedError(f"malformed page: {error}") from None


def _decode_object(body: bytes) -> dict[str, Any]:
    try:
        return msgspec.json.decode(body, type=dict[str, Any])
    except msgspec.DecodeError as error:
        raise _MalformedError(f"malformed body: {error}") from None


def _check_study(body: bytes) -> bytes:
    _decode_object(body)
    return body


class CtgovApiClient:
    """A synchronous client for the ClinicalTrials.gov API v2 (`/studies`, `/version`).

    Args:
        base_url: the API root, without a trailing `/studies`.
        min_interval: seconds between the starts of two requests (the API asks for ~1/s).
        max_retries: further attempts after a failed one; the client gives up after
            `max_retries + 1` attempts.
        backoff: first retry delay in seconds; it doubles per attempt, capped at `max_backoff`,
            and jitter takes up to half of it off.
        max_retry_after: the longest a `Retry-After` header (seconds or an HTTP date) may make
            the client wait; the header replaces the backoff delay when present.
        timeout: seconds for connecting and for each read, per request.
        client: an `httpx.Client` to use; the caller keeps it and closes it.
        transport: a transport for the client this object creates (and closes).
        sleep, clock, rng: injected by tests to observe waits without waiting.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        min_interval: float = 1.0,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        for name, value in [
            ("min_interval", min_interval),
            ("max_retries", max_retries),
            ("backoff", backoff),
            ("max_backoff", max_backoff),
            ("max_retry_after", max_retry_after),
        ]:
            if value < 0:
                raise QueryError(f"{name} must be >= 0 but got {value!r}", name)
        if timeout <= 0:
            raise QueryError(f"timeout must be > 0 but got {timeout!r}", "timeout")
        if client is not None and transport is not None:
            raise QueryError("pass either client or transport, not both", "transport")
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self._owns_client = client is None
        self._client = client or httpx.Client(
            transport=transport, headers={"User-Agent": USER_AGENT}
        )
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        # Start time of the latest request, for spacing; None before the first one.
        self._last_start: float | None = None

    def __enter__(self) -> CtgovApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            self._client.close()

    def iter_pages(
        self, params: Mapping[str, str], page_token: str | None = None
    ) -> Iterator[StudyPage]:
        """Yield the pages of `GET /studies` for `params`, from `page_token` (or the start) on.

        `params` takes the API's `query.*`, `filter.*`, `postFilter.*`, `aggFilters`, `fields`,
        `sort`, `geoDecay`, `markupFormat` and `pageSize` (1-1000, default 1000). Records'
        `origin` is the request URL without `pageToken`/`countTotal`, the same on every page;
        `position` is ``page {n} studies[{i}]``, counting pages from 1 in this call.
        Bad `params` raise `QueryError` here, before any request.
        """
        return self._pages(_studies_params(params), page_token)

    def _pages(self, query: dict[str, str], page_token: str | None) -> Iterator[StudyPage]:
        url = f"{self.base_url}/studies"
        origin = str(httpx.URL(url, params=query))
        used: set[str] = set()
        token = page_token
        number = 0
        while True:
            number += 1
            request = dict(query)
            if token is None:
                request["countTotal"] = "true"
            else:
                request["pageToken"] = token
                used.add(token)
            page = self._fetch(url, request, _decode_page)
            next_token = page.next_page_token or None
            if next_token is not None and next_token in used:
                raise SourceError(
                    f"GET {origin}: page {number} gave nextPageToken {next_token!r}, which this "
                    "run already used; stopping instead of paging in a loop"
                )
            records = [
                RawRecord(origin, f"page {number} studies[{i}]", bytes(raw), "ctgov_json")
                for i, raw in enumerate(page.studies)
            ]
            yield StudyPage(records, next_token, token, page.total_count)
            if next_token is None:
                return
            token = next_token

    def get_study(self, nct_id: str) -> RawRecord:
        """Return one study from `GET /studies/{nct_id}` as a raw JSON record."""
        url = f"{self.base_url}/studies/{nct_id}"
        body = self._fetch(
            url,
            {},
            _check_study,
            not_found=f"{nct_id}: no such study; GET {url} answered HTTP 404",
        )
        return RawRecord(url, "$", body, "ctgov_json")

    def version(self) -> dict[str, Any]:
        """Return `GET /version`: the API version and the data timestamp."""
        return self._fetch(f"{self.base_url}/version", {}, _decode_object)

    def _fetch(
        self,
        url: str,
        params: Mapping[str, str],
        decode: Callable[[bytes], T],
        not_found: str | None = None,
    ) -> T:
        """GET `url` and return `decode(body)`, retrying what a later attempt may fix."""
        shown = httpx.URL(url, params=params)
        attempts = self.max_retries + 1
        failure = ""
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            self._wait_turn()
            try:
                response = self._client.get(
                    url,
                    params=params,
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )
            except _RETRY_ERRORS as error:
                failure = f"{type(error).__name__}: {error}"
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    failure = _describe(response)
                    retry_after = _retry_after(response)
                elif status == 404 and not_found is not None:
                    raise SourceError(not_found)
                elif not response.is_success:
                    raise SourceError(f"GET {shown}: {_describe(response)}")
                else:
                    try:
                        return decode(response.content)
                    except _MalformedError as error:
                        failure = str(error)
            if attempt < attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise SourceError(
            f"GET {shown}: gave up after {attempts} attempts (max_retries={self.max_retries}); "
            f"last failure: {failure}"
        )

    def _wait_turn(self) -> None:
        """Sleep until `min_interval` has passed since the previous request started."""
        if self._last_start is not None:
            wait = self._last_start + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_start = self._clock()

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt `attempt + 1`."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return ceiling * (1 - self._rng.random() / 2)


def _studies_params(params: Mapping[str, str]) -> dict[str, str]:
    """Check the caller's `GET /studies` parameters and fill in `pageSize`."""
    query: dict[str, str] = {}
    for key, value in params.items():
        if key not in _CALLER_PARAMS and not key.startswith(_CALLER_PREFIXES):
            raise QueryError(
                f"parameter {key!r} is not accepted; use query.*, filter.*, postFilter.*, "
                f"or one of {', '.join(sorted(_CALLER_PARAMS))}",
                key,
            )
        query[key] = value
    size = query.setdefault("pageSize", str(MAX_PAGE_SIZE))
    if not size.isdigit() or not 1 <= int(size) <= MAX_PAGE_SIZE:
        raise QueryError(
            f"pageSize must be a whole number from 1 to {MAX_PAGE_SIZE} but got {size!r}",
            "pageSize",
        )
    return query


def _describe(response: httpx.Response) -> str:
    """``HTTP 400 Bad Request: <the server's text>``, on one line, the text cut at 300 chars."""
    text = " ".join(response.text.split())
    if len(text) > 300:
        text = text[:300] + "…"
    head = f"HTTP {response.status_code} {response.reason_phrase}"
    # Many servers' error body is just the reason phrase again; say it once.
    return f"{head}: {text}" if text and text.lower() != response.reason_phrase.lower() else head


def _retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (it may be a number or an HTTP date), if usable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
