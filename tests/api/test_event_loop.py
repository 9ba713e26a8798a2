"""Routes that match a patient read the store and the criteria in the thread pool: while one
waits on the store, the same process answers other requests."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from trialfinder.api import create_app
from trialfinder.store import Store, open_store

GATE_SECONDS = 5.0
"""How long a gated store call waits at most (the bound on a blocked event loop)."""


class GatedStore:
    """A store whose every call waits until the gate opens (or `GATE_SECONDS` pass)."""

    def __init__(self, store: Store, gate: threading.Event) -> None:
        self._store = store
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def gated(*args: Any, **kwargs: Any) -> Any:
            self._gate.wait(GATE_SECONDS)
            return value(*args, **kwargs)

        return gated


BLOCKING_ROUTES = [
    pytest.param("/api/v2/match", "text/plain", b"A 62-year-old woman with diabetes.", id="match"),
    pytest.param(
        "/api/v2/studies/NCT01234567/check",
        "text/plain",
        b"A 62-year-old woman with diabetes.",
        id="check",
    ),
    pytest.param(
        "/trials/NCT01234567", "application/x-www-form-urlencoded", b"age=62", id="trial-panel"
    ),
]


@pytest.mark.parametrize(("path", "content_type", "body"), BLOCKING_ROUTES)
def test_the_process_answers_while_a_match_waits_on_the_store(
    tmp_path: Path, path: str, content_type: str, body: bytes
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'trials.db'}")
    gate = threading.Event()
    app = create_app(store=cast(Store, GatedStore(store, gate)))

    async def scenario() -> tuple[int, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            waiting = asyncio.create_task(
                client.post(path, content=body, headers={"Content-Type": content_type})
            )
            await asyncio.sleep(0.2)  # the route is now in the store, waiting on the gate
            started = time.monotonic()
            other = await client.get("/legal")  # a page that needs no store
            answered_while_waiting = not waiting.done() and time.monotonic() - started < 2
            gate.set()
            return other.status_code, answered_while_waiting, (await waiting).status_code

    try:
        other_status, answered_while_waiting, status = asyncio.run(scenario())
    finally:
        store.close()
    assert (other_status, answered_while_waiting) == (200, True)
    assert status in (200, 404)  # the store is empty: no trial to check
