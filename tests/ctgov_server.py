"""A local ClinicalTrials.gov API v2 look-alike: real HTTP on 127.0.0.1, faults on cue.

It serves a list of study JSON documents (bytes, as the API returns them) the way API v2 does:

- ``GET /api/v2/studies`` with ``pageSize`` (default 10, coerced down to 1000, as the real API
  does), ``pageToken`` (opaque), ``countTotal=true`` (``totalCount`` on a first page only) and
  ``query.term`` (here: a case-insensitive substring of the study's JSON). Other parameters are
  recorded but not applied. Pages are ``{"totalCount"?, "studies": [...], "nextPageToken"?}`` with
  every study's bytes copied verbatim, so a client can check it got exactly what was served.
- ``GET /api/v2/studies/{nctId}``: the study, or a plain-text 404 (400 for a malformed id).
- ``GET /api/v2/version``: ``{"apiVersion": ..., "dataTimestamp": ...}``.
- Bad parameters get a plain-text 400, as on the real API.

Faults are queued with `CtgovServer.inject` and each is spent on the next request, whatever its
path: `status` (an error answer, optionally with Retry-After), `drop` (headers and half the body,
then the connection is cut), `malformed` (a 200 with truncated JSON), `slow` (answer late) and
`repeat_token` (a studies page whose ``nextPageToken`` is the token of the request). Every
request is recorded in `CtgovServer.requests`, with the fault it met.

    with serve_ctgov(studies) as server:
        server.inject(status(429, retry_after=2), drop())
        with CtgovApiClient(server.base_url, min_interval=0) as client:
            pages = list(client.iter_pages({"pageSize": "100"}))
        assert [r.fault for r in server.requests][:2] == [status(429, retry_after=2), drop()]

The server runs uvicorn in a thread on a port the OS picks (httpx's ``serve_in_thread``
pattern). One server may serve many tests: `reset` swaps the studies and clears faults and log.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

import msgspec
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

API_PREFIX = "/api/v2"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
API_VERSION = "2.0.5"
NCT_ID = re.compile(r"NCT\d{8}")

FaultKind = Literal["status", "drop", "malformed", "slow", "repeat_token"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One misbehaviour for one upcoming request; build it with the functions below."""

    kind: FaultKind
    status: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    body: str = ""


def status(code: int, retry_after: float | None = None, body: str = "") -> Fault:
    """Answer with HTTP `code` and a plain-text `body` (default: the reason phrase).

    `retry_after` sets a ``Retry-After`` header in seconds (an integer is written without ``.0``).
    """
    return Fault("status", status=code, retry_after=retry_after, body=body)


def drop() -> Fault:
    """Send headers (with the full Content-Length) and half the body, then cut the connection."""
    return Fault("drop")


def malformed() -> Fault:
    """Answer 200 with a JSON body that is cut off in the middle."""
    return Fault("malformed")


def slow(seconds: float) -> Fault:
    """Wait `seconds` before answering normally (to trip a client's read timeout)."""
    return Fault("slow", seconds=seconds)


def repeat_token() -> Fault:
    """Serve a studies page whose nextPageToken is the request's own pageToken.

    Without a pageToken in the request, nextPageToken points back at the first page. On other
    paths the fault is spent and the answer is normal.
    """
    return Fault("repeat_token")


def minimal_study(nct_id: str, brief_title: str = "", conditions: Iterable[str] = ()) -> bytes:
    """A small but real-shaped API v2 study, as the JSON bytes the API would send."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": brief_title},
            "statusModule": {"overallStatus": "RECRUITING"},
            "conditionsModule": {"conditions": list(conditions)},
        },
        "hasResults": False,
    }
    return msgspec.json.encode(study)


# Seven hand-made studies for tests that need no real data; three mention asthma, in any case.
SAMPLE_STUDIES = [
    minimal_study("NCT00000001", "Asthma in adults", ["Asthma"]),
    minimal_study("NCT00000002", "Heart failure drug", ["Heart Failure"]),
    minimal_study("NCT00000003", "Childhood asthma", ["Asthma"]),
    minimal_study("NCT00000004", "Type 2 diabetes", ["Diabetes Mellitus, Type 2"]),
    minimal_study("NCT00000005", "Severe ASTHMA biologic", ["Asthma"]),
    minimal_study("NCT00000006", "Migraine prevention", ["Migraine"]),
    minimal_study("NCT00000007", "Hypertension app", ["Hypertension"]),
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server received, and the fault it met (None if answered normally)."""

    method: str
    path: str
    params: dict[str, str]
    fault: Fault | None


@dataclass(frozen=True, slots=True)
class _Study:
    nct_id: str
    data: bytes
    folded: bytes  # lower-cased copy for query.term


class _Identification(msgspec.Struct, rename="camel"):
    nct_id: str


class _Protocol(msgspec.Struct, rename="camel"):
    identification_module: _Identification


class _StudyHead(msgspec.Struct, rename="camel"):
    protocol_section: _Protocol


class _ConnectionDroppedError(Exception):
    """Raised after a partial body so that uvicorn closes the connection (the `drop` fault)."""


class _DroppingResponse(Response):
    """A response that sends its headers and half its body, then aborts."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise _ConnectionDroppedError("drop fault: connection cut mid-body")


class _HideDrops(logging.Filter):
    """Keeps uvicorn from logging a traceback for every deliberate `drop`."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, _ConnectionDroppedError)


def _text(code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message, status_code=code, media_type="text/plain", headers=headers)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _page_token(offset: int, term: str) -> str:
    raw = f"{offset}:{term}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_page_token(token: str, term: str) -> int | None:
    """The offset a token stands for, or None if it is not one of ours for this query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    offset, _, token_term = raw.partition(":")
    if not offset.isdigit() or token_term != term:
        return None
    return int(offset)


class CtgovServer:
    """The fake API's state (studies, fault queue, request log) and the uvicorn server.

    Use `serve_ctgov` to start and stop it; `base_url` is what `CtgovApiClient` takes.
    """

    def __init__(
        self, studies: Iterable[bytes] = (), data_timestamp: str = "2025-01-06T09:00:05"
    ) -> None:
        self.data_timestamp = data_timestamp
        self._lock = threading.Lock()
        self._studies: list[_Study] = []
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._port: int | None = None
        self.reset(studies)
        self.app = self._build_app()

    # -- test-facing interface --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}/api/v2``: the API root, as `CtgovApiClient` wants it."""
        if self._port is None:
            raise RuntimeError("the server is not running; use serve_ctgov()")
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    def reset(self, studies: Iterable[bytes] = ()) -> None:
        """Serve `studies` (API v2 study JSON, in this order) and clear faults and the log."""
        loaded = []
        for i, data in enumerate(studies):
            head = msgspec.json.decode(data, type=_StudyHead)
            nct_id = head.protocol_section.identification_module.nct_id
            if not NCT_ID.fullmatch(nct_id):
                raise ValueError(f"studies[{i}]: nctId {nct_id!r} is not 'NCT' + 8 digits")
            loaded.append(_Study(nct_id, data, data.lower()))
        with self._lock:
            self._studies = loaded
            self._faults.clear()
            self._requests.clear()

    def inject(self, *faults: Fault) -> None:
        """Queue `faults`; each upcoming request spends the oldest one."""
        with self._lock:
            self._faults.extend(faults)

    def pending_faults(self) -> list[Fault]:
        """Faults queued but not yet spent (a test that expected them spent can assert ``[]``)."""
        with self._lock:
            return list(self._faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # -- the app ----------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        app.add_api_route(f"{API_PREFIX}/studies", self._studies_route)
        app.add_api_route(f"{API_PREFIX}/studies/{{nct_id}}", self._study_route)
        app.add_api_route(f"{API_PREFIX}/version", self._version_route)
        return app

    def _take(self, request: Request) -> tuple[Fault | None, dict[str, str]]:
        """Spend the next fault on `request` and log it."""
        params = dict(request.query_params)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            self._requests.append(RecordedRequest(request.method, request.url.path, params, fault))
        return fault, params

    async def _answer(self, fault: Fault | None, normal: Response) -> Response:
        """Apply `fault` (if any) to the normal answer."""
        if fault is None or fault.kind == "repeat_token":
            return normal
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
            return normal
        if fault.kind == "malformed":
            return _json(b'{"studies": [{"protocolSection": {"identificationMod')
        if fault.kind == "drop":
            return _DroppingResponse(normal.body, normal.status_code, media_type=normal.media_type)
        headers = {}
        if fault.retry_after is not None:
            seconds = fault.retry_after
            headers["Retry-After"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
        message = fault.body or HTTPStatus(fault.status).phrase
        return _text(fault.status, message, headers)

    async def _studies_route(self, request: Request) -> Response:
        fault, params = self._take(request)
        return await self._answer(fault, self._studies_page(params, fault))

    async def _study_route(self, request: Request, nct_id: str) -> Response:
        fault, _ = self._take(request)
        if not NCT_ID.fullmatch(nct_id):
            return await self._answer(fault, _text(400, f"Invalid NCT number: {nct_id}"))
        with self._lock:
            found = next((s for s in self._studies if s.nct_id == nct_id), None)
        if found is None:
            return await self._answer(fault, _text(404, f"Study {nct_id} not found"))
        return await self._answer(fault, _json(found.data))

    async def _version_route(self, request: Request) -> Response:
        fault, _ = self._take(request)
        body = msgspec.json.encode(
            {"apiVersion": API_VERSION, "dataTimestamp": self.data_timestamp}
        )
        return await self._answer(fault, _json(body))

    def _studies_page(self, params: dict[str, str], fault: Fault | None) -> Response:
        size_text = params.get("pageSize", "")
        if size_text and not size_text.isdigit():
            return _text(400, f"pageSize: invalid integer value '{size_text}'")
        size = min(int(size_text or 0) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        term = params.get("query.term", "")
        token = params.get("pageToken")
        offset = 0
        if token is not None:
            found = _read_page_token(token, term)
            if found is None:
                return _text(400, f"pageToken: invalid page token '{token}'")
            offset = found
        folded = term.lower().encode()
        with self._lock:
            matching = [s.data for s in self._studies if folded in s.folded]
        end = offset + size
        next_token = _page_token(end, term) if end < len(matching) else None
        if fault is not None and fault.kind == "repeat_token":
            next_token = token if token is not None else _page_token(0, term)
        parts = []
        if token is None and params.get("countTotal", "").lower() == "true":
            parts.append(b'"totalCount":%d' % len(matching))
        parts.append(b'"studies":[' + b",".join(matching[offset:end]) + b"]")
        if next_token is not None:
            parts.append(b'"nextPageToken":' + msgspec.json.encode(next_token))
        return _json(b"{" + b",".join(parts) + b"}")


@contextmanager
def serve_ctgov(
    studies: Iterable[bytes] = (), data_timestamp: str = "2025-01-06T09:00:05"
) -> Iterator[CtgovServer]:
    """Run a `CtgovServer` on 127.0.0.1 (a free port) in a thread for the `with` block."""
    server = CtgovServer(studies, data_timestamp)
    config = uvicorn.Config(
        server.app,
        lifespan="off",
        loop="asyncio",
        http="h11",
        ws="none",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    runner = uvicorn.Server(config)
    hide_drops = _HideDrops()
    logging.getLogger("uvicorn.error").addFilter(hide_drops)
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that name it, and
    # without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind(("127.0.0.1", 0))
        server._port = sock.getsockname()[1]
        thread = threading.Thread(
            target=runner.run, kwargs={"sockets": [sock]}, name="ctgov-server", daemon=True
        )
        thread.start()
        try:
            while not runner.started:
                if not thread.is_alive():
                    raise RuntimeError("the ctgov test server failed to start; see the log")
                time.sleep(0.001)
            yield server
        finally:
            runner.should_exit = True
            thread.join()
    finally:
        sock.close()
        logging.getLogger("uvicorn.error").removeFilter(hide_drops)


__all__ = [
    "SAMPLE_STUDIES",
    "CtgovServer",
    "Fault",
    "RecordedRequest",
    "drop",
    "malformed",
    "minimal_study",
    "repeat_token",
    "serve_ctgov",
    "slow",
    "status",
]
