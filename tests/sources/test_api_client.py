"""CtgovApiClient against a real local HTTP server speaking the API v2 page format."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import msgspec
import pytest

from ctgov_server import (
    SAMPLE_STUDIES,
    CtgovServer,
    Fault,
    drop,
    malformed,
    repeat_token,
    slow,
    status,
)
from trialfinder.errors import QueryError, SourceError
from trialfinder.sources.api_client import CtgovApiClient, StudyPage, _retry_after

SAMPLE_IDS = [f"NCT0000000{i}" for i in range(1, 8)]


class FixedRandom(random.Random):
    """A `random.Random` whose `random()` is always `value`, to pin the backoff jitter."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


class Sleeps(list[float]):
    """An injectable `sleep` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeClient = Callable[..., CtgovApiClient]


@pytest.fixture
def make_client(ctgov_server: CtgovServer, sleeps: Sleeps) -> Iterator[MakeClient]:
    """Build clients for the local server: no spacing, 0.01 s backoff, sleeps recorded."""
    clients: list[CtgovApiClient] = []

    def make(**options: Any) -> CtgovApiClient:
        settings: dict[str, Any] = {
            "min_interval": 0.0,
            "backoff": 0.01,
            "max_backoff": 0.04,
            "timeout": 5.0,
            "sleep": sleeps,
            "rng": FixedRandom(0.0),
        }
        settings.update(options)
        client = CtgovApiClient(ctgov_server.base_url, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def nct_ids(pages: list[StudyPage]) -> list[str]:
    """The NCT ids of every record, in order."""
    return [
        msgspec.json.decode(record.data)["protocolSection"]["identificationModule"]["nctId"]
        for page in pages
        for record in page.records
    ]


def test_pages_through_all_shared_studies(
    ctgov_server: CtgovServer, make_client: MakeClient, shared_studies: list[bytes]
) -> None:
    ctgov_server.reset(shared_studies)
    pages = list(make_client().iter_pages({"pageSize": "100"}))

    assert [len(page.records) for page in pages] == [100] * 7 + [90]
    assert [page.total_count for page in pages] == [790] + [None] * 7
    assert [record.data for page in pages for record in page.records] == shared_studies
    ids = nct_ids(pages)
    assert len(set(ids)) == len(ids) == 790
    assert pages[-1].next_page_token is None
    assert [page.page_token for page in pages[1:]] == [page.next_page_token for page in pages[:-1]]
    assert pages[3].records[7].position == "page 4 studies[7]"
    assert {record.origin for page in pages for record in page.records} == {
        f"{ctgov_server.base_url}/studies?pageSize=100"
    }


def test_first_page_asks_for_count_and_later_pages_send_the_token(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    pages = list(make_client().iter_pages({"query.term": "asthma", "pageSize": "2"}))

    assert nct_ids(pages) == ["NCT00000001", "NCT00000003", "NCT00000005"]
    assert [request.params for request in ctgov_server.requests] == [
        {"query.term": "asthma", "pageSize": "2", "countTotal": "true"},
        {"query.term": "asthma", "pageSize": "2", "pageToken": pages[0].next_page_token},
    ]
    assert [page.total_count for page in pages] == [3, None]


def test_default_page_size_is_1000(ctgov_server: CtgovServer, make_client: MakeClient) -> None:
    pages = list(make_client().iter_pages({}))

    assert nct_ids(pages) == SAMPLE_IDS
    assert ctgov_server.requests[0].params == {"pageSize": "1000", "countTotal": "true"}


@pytest.mark.parametrize(
    ("fault", "expected_sleeps"),
    [
        (status(429, retry_after=2), [2.0]),
        (status(429), [0.01]),
        (status(503, retry_after=1.5), [1.5]),
        (status(500), [0.01]),
        (status(502), [0.01]),
        (drop(), [0.01]),
        (malformed(), [0.01]),
    ],
    ids=["429-retry-after", "429-no-header", "503-retry-after", "500", "502", "drop", "malformed"],
)
def test_retries_a_failed_page_then_succeeds(
    ctgov_server: CtgovServer,
    make_client: MakeClient,
    sleeps: Sleeps,
    fault: Fault,
    expected_sleeps: list[float],
) -> None:
    ctgov_server.inject(fault)
    pages = list(make_client().iter_pages({"pageSize": "5"}))

    assert nct_ids(pages) == SAMPLE_IDS
    assert sleeps == expected_sleeps
    assert [request.fault for request in ctgov_server.requests] == [fault, None, None]
    assert pages[0].total_count == 7


def test_retries_after_a_read_timeout(ctgov_server: CtgovServer, make_client: MakeClient) -> None:
    ctgov_server.inject(slow(3.0))
    pages = list(make_client(timeout=1.0).iter_pages({}))

    assert nct_ids(pages) == SAMPLE_IDS
    assert len(ctgov_server.requests) == 2


def test_retry_after_is_capped_at_max_retry_after(
    ctgov_server: CtgovServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    ctgov_server.inject(status(429, retry_after=120))
    list(make_client(max_retry_after=5.0).iter_pages({}))

    assert sleeps == [5.0]


@pytest.mark.parametrize(
    ("jitter", "expected_sleeps"),
    [(0.0, [0.01, 0.02, 0.04, 0.04, 0.04]), (0.5, [0.0075, 0.015, 0.03, 0.03, 0.03])],
    ids=["no-jitter", "half-jitter"],
)
def test_backoff_doubles_up_to_the_cap(
    ctgov_server: CtgovServer,
    make_client: MakeClient,
    sleeps: Sleeps,
    jitter: float,
    expected_sleeps: list[float],
) -> None:
    ctgov_server.inject(*[status(500)] * 5)
    list(make_client(rng=FixedRandom(jitter)).iter_pages({}))

    assert sleeps == pytest.approx(expected_sleeps)


@pytest.mark.parametrize(
    ("faults", "last_failure"),
    [
        ([status(503)] * 3, "HTTP 503 Service Unavailable"),
        ([status(429, retry_after=1)] * 3, "HTTP 429 Too Many Requests"),
        (
            [status(500, body="Internal error\n  try later")] * 3,
            "HTTP 500 Internal Server Error: Internal error try later",
        ),
        ([malformed()] * 3, "malformed page: Input data was truncated"),
    ],
    ids=["503", "429", "500-with-text", "malformed"],
)
def test_gives_up_after_max_retries(
    ctgov_server: CtgovServer, make_client: MakeClient, faults: list[Fault], last_failure: str
) -> None:
    ctgov_server.inject(*faults)
    client = make_client(max_retries=2)

    with pytest.raises(SourceError) as error:
        list(client.iter_pages({"pageSize": "5"}))

    assert error.value.args[0] == (
        f"GET {ctgov_server.base_url}/studies?pageSize=5&countTotal=true: gave up after "
        f"3 attempts (max_retries=2); last failure: {last_failure}"
    )
    assert len(ctgov_server.requests) == 3


def test_gives_up_on_repeated_drops(ctgov_server: CtgovServer, make_client: MakeClient) -> None:
    url = f"{ctgov_server.base_url}/studies?pageSize=1000&countTotal=true"
    size = len(httpx.get(url).content)
    ctgov_server.reset(SAMPLE_STUDIES)
    ctgov_server.inject(drop(), drop())

    with pytest.raises(SourceError) as error:
        list(make_client(max_retries=1).iter_pages({}))

    assert error.value.args[0] == (
        f"GET {url}: gave up after 2 attempts (max_retries=1); last failure: RemoteProtocolError: "
        "peer closed connection without sending complete message body "
        f"(received {size // 2} bytes, expected {size})"
    )


def test_client_error_is_not_retried_and_quotes_the_server(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    client = make_client()

    with pytest.raises(SourceError) as error:
        list(client.iter_pages({"pageSize": "10"}, page_token="bogus"))

    assert error.value.args[0] == (
        f"GET {ctgov_server.base_url}/studies?pageSize=10&pageToken=bogus: "
        "HTTP 400 Bad Request: pageToken: invalid page token 'bogus'"
    )
    assert len(ctgov_server.requests) == 1


def test_resumes_from_a_saved_page_token(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    params = {"pageSize": "3"}
    first = next(make_client().iter_pages(params))
    saved = first.next_page_token
    assert saved is not None

    rest = list(make_client().iter_pages(params, page_token=saved))

    assert nct_ids([first]) == SAMPLE_IDS[:3]
    assert nct_ids(rest) == SAMPLE_IDS[3:]
    assert rest[0].page_token == saved
    assert [page.total_count for page in rest] == [None, None]
    assert [record.position for record in rest[0].records] == [
        "page 1 studies[0]",
        "page 1 studies[1]",
        "page 1 studies[2]",
    ]


def test_repeated_page_token_stops_instead_of_looping(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    pages = make_client().iter_pages({"pageSize": "2"})
    first = next(pages)
    ctgov_server.inject(repeat_token())

    with pytest.raises(SourceError) as error:
        next(pages)

    assert error.value.args[0] == (
        f"GET {ctgov_server.base_url}/studies?pageSize=2: page 2 gave nextPageToken "
        f"{first.next_page_token!r}, which this run already used; stopping instead of paging "
        "in a loop"
    )


class FakeClock:
    """A monotonic clock that moves only when slept on or told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_spaced_by_min_interval(ctgov_server: CtgovServer, sleeps: Sleeps) -> None:
    clock = FakeClock()
    started: list[float] = []

    def record_start(request: httpx.Request) -> None:
        started.append(clock.now)

    def take_time(response: httpx.Response) -> None:
        clock.now += 0.25  # each request "takes" 0.25 s

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)

    hooks: dict[str, list[Callable[..., Any]]] = {
        "request": [record_start],
        "response": [take_time],
    }
    with (
        httpx.Client(event_hooks=hooks) as http,
        CtgovApiClient(
            ctgov_server.base_url, min_interval=1.0, client=http, sleep=sleep, clock=clock
        ) as client,
    ):
        pages = list(client.iter_pages({"pageSize": "2"}))

    assert len(pages) == 4
    assert started == [0.0, 1.0, 2.0, 3.0]
    assert sleeps == [0.75, 0.75, 0.75]


@pytest.mark.parametrize(
    ("params", "message", "parameter"),
    [
        (
            {"pageSize": "1001"},
            "pageSize must be a whole number from 1 to 1000 but got '1001'",
            "pageSize",
        ),
        (
            {"pageSize": "0"},
            "pageSize must be a whole number from 1 to 1000 but got '0'",
            "pageSize",
        ),
        (
            {"pageSize": "-5"},
            "pageSize must be a whole number from 1 to 1000 but got '-5'",
            "pageSize",
        ),
        (
            {"format": "csv"},
            "parameter 'format' is not accepted; use query.*, filter.*, postFilter.*, or one of "
            "aggFilters, fields, geoDecay, markupFormat, pageSize, sort",
            "format",
        ),
        (
            {"pageToken": "abc"},
            "parameter 'pageToken' is not accepted; use query.*, filter.*, postFilter.*, or one "
            "of aggFilters, fields, geoDecay, markupFormat, pageSize, sort",
            "pageToken",
        ),
    ],
    ids=["pageSize-1001", "pageSize-0", "pageSize-negative", "format", "pageToken-in-params"],
)
def test_rejects_bad_params_before_any_request(
    ctgov_server: CtgovServer,
    make_client: MakeClient,
    params: dict[str, str],
    message: str,
    parameter: str,
) -> None:
    with pytest.raises(QueryError) as error:
        make_client().iter_pages(params)

    assert (error.value.message, error.value.parameter) == (message, parameter)
    assert ctgov_server.requests == []


def test_get_study_returns_the_served_bytes(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    record = make_client().get_study("NCT00000003")

    assert record.data == SAMPLE_STUDIES[2]
    assert (record.origin, record.position, record.format) == (
        f"{ctgov_server.base_url}/studies/NCT00000003",
        "$",
        "ctgov_json",
    )


def test_get_study_retries_a_dropped_answer(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    ctgov_server.inject(drop(), malformed())

    record = make_client().get_study("NCT00000006")

    assert record.data == SAMPLE_STUDIES[5]
    assert len(ctgov_server.requests) == 3


def test_get_study_missing_is_a_source_error(
    ctgov_server: CtgovServer, make_client: MakeClient
) -> None:
    with pytest.raises(SourceError) as error:
        make_client().get_study("NCT99999999")

    assert error.value.args[0] == (
        f"NCT99999999: no such study; GET {ctgov_server.base_url}/studies/NCT99999999 "
        "answered HTTP 404"
    )


def test_version(ctgov_server: CtgovServer, make_client: MakeClient) -> None:
    assert make_client().version() == {
        "apiVersion": "2.0.5",
        "dataTimestamp": "2025-01-06T09:00:05",
    }


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("min_interval", -1.0, "min_interval must be >= 0 but got -1.0"),
        ("max_retries", -1, "max_retries must be >= 0 but got -1"),
        ("timeout", 0.0, "timeout must be > 0 but got 0.0"),
    ],
    ids=["min_interval", "max_retries", "timeout"],
)
def test_rejects_bad_settings(option: str, value: float, message: str) -> None:
    settings: dict[str, Any] = {option: value}
    with pytest.raises(QueryError) as error:
        CtgovApiClient(**settings)

    assert error.value.message == message


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("inf", None),
        ("", None),
    ],
    ids=["seconds", "fraction", "negative", "past-date", "text", "infinite", "empty"],
)
def test_retry_after_header_values(header: str, seconds: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header})

    assert _retry_after(response) == seconds


def test_retry_after_future_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    response = httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})

    assert _retry_after(response) == pytest.approx(30, abs=2)
