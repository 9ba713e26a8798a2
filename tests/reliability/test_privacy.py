"""Patient input never reaches logs, disk or error reports.

A real `trialfinder serve` (with --access-log, the most talkative setting) gets a patient carrying
a unique marker through every interface: the match and check APIs (note, profile, FHIR Bundle),
the web match form and the questionnaire, each also with invalid input that makes it fail. Then
the server's output and every file under its data folder are searched for the marker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from support import FIXTURES

MARKER = "Zq9PatientMarker"
NCT_ID = "NCT05397184"
BUNDLE = json.loads((FIXTURES.parent / "match" / "fixtures" / "srns-boy-bundle.json").read_text())
pytestmark = pytest.mark.slow


def _bundle_with_marker() -> bytes:
    bundle = json.loads(json.dumps(BUNDLE))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["name"] = [{"family": MARKER, "given": [MARKER]}]
    return json.dumps(bundle).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(base URL, data folder, server output file) of a running `trialfinder serve`."""
    data = tmp_path_factory.mktemp("data")
    database = f"sqlite:///{data / 'trials.db'}"
    subprocess.run(
        [sys.executable, "-m", "trialfinder", "ingest", str(FIXTURES / f"{NCT_ID}.json")]
        + ["--database", database],
        check=True,
        capture_output=True,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = data.parent / "server.log"
    env = {**os.environ, "HOME": str(data), "TMPDIR": str(data)}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trialfinder", "serve", "--port", str(port), "--access-log"]
            + ["--database", database],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=data,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v2/version", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield base, data, log
    finally:
        process.terminate()
        process.wait(timeout=30)


REQUESTS = {
    "api match note": ("/api/v2/match", f"{MARKER} 58-year-old woman with asthma.".encode()),
    "api match profile": (
        "/api/v2/match",
        json.dumps({"age_years": 40, "conditions": [{"text": MARKER}]}).encode(),
    ),
    "api match bundle": ("/api/v2/match", _bundle_with_marker()),
    "api check note": (f"/api/v2/studies/{NCT_ID}/check", f"{MARKER}, 9 years old".encode()),
    "api match bad profile": ("/api/v2/match", json.dumps({"age_years": MARKER}).encode()),
    "api match bad json": ("/api/v2/match", b'{"conditions": [' + MARKER.encode()),
    "api check bad bundle": (
        f"/api/v2/studies/{NCT_ID}/check",
        json.dumps({"resourceType": "Bundle", "type": MARKER, "entry": [MARKER]}).encode(),
    ),
    "web match form": ("/match", f"patient={quote(MARKER + ' 7 year old boy')}".encode()),
    "web match bad form": ("/match", ("patient=" + quote(json.dumps({"sex": MARKER}))).encode()),
    "web questionnaire": (f"/trials/{NCT_ID}/check", f"age={MARKER}&sex={MARKER}".encode()),
}


def test_patient_marker_reaches_no_log_file_or_error(served: tuple[str, Path, Path]) -> None:
    base, data, log = served
    echoed = []
    for name, (path, body) in REQUESTS.items():
        kind = "x-www-form-urlencoded" if not path.startswith("/api") else "plain"
        response = httpx.post(
            f"{base}{path}?date=2024-01-01",
            content=body,
            headers={"content-type": f"application/{kind}"},
            timeout=60,
        )
        assert response.status_code < 500, (name, response.text[:300])
        if response.status_code >= 400 and MARKER in response.text:
            echoed.append(name)
    assert echoed == []
    time.sleep(0.5)  # let the server flush its log
    assert "POST /api/v2/match" in log.read_text()  # the access log is on and written
    assert MARKER not in log.read_text(errors="replace")
    files = [path for path in data.rglob("*") if path.is_file()]
    assert any(path.name == "trials.db" for path in files)
    assert [path for path in files if MARKER.encode() in path.read_bytes()] == []
