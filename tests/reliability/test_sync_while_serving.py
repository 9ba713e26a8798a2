"""Sync into the SQLite store while `trialfinder serve` answers: no reader error, no half trial."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from ctgov_server import serve_ctgov
from support import shared_data
from trialfinder.sources.api_client import CtgovApiClient
from trialfinder.store import open_store
from trialfinder.sync import sync

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _location_count(study: dict[str, object]) -> int:
    protocol = study.get("protocolSection", {})
    assert isinstance(protocol, dict)
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    return len(locations)


def test_readers_see_whole_trials_while_a_sync_writes(tmp_path: Path) -> None:
    raw = [p.read_bytes() for p in sorted(shared_data("ctgov").glob("*.json"))[:300]]
    expected = {}
    for data in raw:
        study = msgspec.json.decode(data)
        expected[study["protocolSection"]["identificationModule"]["nctId"]] = _location_count(study)
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    open_store(url).close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    command = [str(Path(sys.executable).parent / "trialfinder"), "serve", "--port", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            env={**os.environ, "TRIALFINDER_DATABASE": url},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    problems: list[str] = []
    checked = 0
    done = threading.Event()

    def read_while_writing() -> None:
        nonlocal checked
        with httpx.Client(base_url=base, timeout=10) as client:
            while not done.is_set():
                page = client.get("/api/v2/studies", params={"pageSize": "20", "sort": "NCTId"})
                if page.status_code != 200:
                    problems.append(f"search answered {page.status_code}: {page.text[:200]}")
                    return
                for study in page.json()["studies"]:
                    nct_id = study["protocolSection"]["identificationModule"]["nctId"]
                    one = client.get(f"/api/v2/studies/{nct_id}")
                    if one.status_code != 200:
                        problems.append(f"{nct_id} answered {one.status_code}")
                    elif _location_count(one.json()) != expected[nct_id]:
                        problems.append(f"{nct_id} seen with a partial list of sites")
                    checked += 1

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v2/version", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"trialfinder serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
        reader = threading.Thread(target=read_while_writing)
        reader.start()
        store = open_store(url)
        try:
            with serve_ctgov(raw) as api, CtgovApiClient(api.base_url, min_interval=0) as client:
                report = sync(store, client, {"pageSize": "10"})
        finally:
            store.close()
        done.set()
        reader.join(timeout=30)
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=30)
    assert (report.read, report.new) == (300, 300)
    assert problems[:5] == []
    assert checked > 0
