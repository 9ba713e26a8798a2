"""`trialfinder serve --workers N`: each app process listens on a socket of its own on the one
port, so the kernel spreads connections across the processes; each starts warmed."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from trialfinder.api._serve import listening_sockets, spreads_connections

pytestmark = pytest.mark.skipif(
    not spreads_connections(), reason="SO_REUSEPORT spreads connections on Linux only"
)


def _accept_all(sock: socket.socket) -> list[socket.socket]:
    sock.setblocking(False)
    accepted = []
    while True:
        try:
            accepted.append(sock.accept()[0])
        except BlockingIOError:
            return accepted


def test_the_sockets_share_one_port() -> None:
    sockets = listening_sockets("127.0.0.1", 0, 3)
    try:
        ports = {sock.getsockname()[1] for sock in sockets}
        assert len(ports) == 1
        assert [sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets] == [
            1,
            1,
            1,
        ]
    finally:
        for sock in sockets:
            sock.close()


def test_connections_are_spread_across_the_sockets() -> None:
    """64 connections at once reach both sockets (all on one: a chance of 2 in 2⁶⁴)."""
    sockets = listening_sockets("127.0.0.1", 0, 2)
    port = sockets[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    accepted: list[list[socket.socket]] = []
    try:
        time.sleep(0.2)
        accepted = [_accept_all(sock) for sock in sockets]
        counts = [len(connections) for connections in accepted]
        assert sum(counts) == 64
        assert min(counts) > 0
    finally:
        for sock in [*clients, *sockets, *(c for connections in accepted for c in connections)]:
            sock.close()


def test_a_taken_port_is_refused() -> None:
    with socket.socket() as taken:  # an ordinary socket, without SO_REUSEPORT
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError) as error:
            listening_sockets("127.0.0.1", taken.getsockname()[1], 2)
        assert error.value.errno == errno.EADDRINUSE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening_sockets_on(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (state 0A in /proc/net/tcp)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


def _app_processes(parent: int) -> set[int]:
    """The app processes of the server `parent` (multiprocessing's helper left out)."""
    found = set()
    for children in Path(f"/proc/{parent}/task").glob("*/children"):
        for child in children.read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in command:
                found.add(int(child))
    return found


def _wait_for(predicate: object, timeout: float = 60) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/version", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_serve_runs_one_listening_socket_per_process_restarts_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    # The log goes to a file, not a pipe: a full pipe would stall the server.
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "trialfinder", "serve", "--port", str(port), "--workers", "2"]
            + ["--database", f"sqlite:///{tmp_path / 'trials.db'}"],
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
    try:
        _wait_for(lambda: _answers(base) and len(_app_processes(server.pid)) == 2)
        assert _listening_sockets_on(port) == 2  # uvicorn's own workers share one
        first, second = sorted(_app_processes(server.pid))
        os.kill(first, signal.SIGKILL)
        _wait_for(lambda: len(_app_processes(server.pid) - {first}) == 2 and _answers(base))
        processes = _app_processes(server.pid)
        assert second in processes and first not in processes
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in processes)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert "Traceback" not in log.read_text()


WARMED = textwrap.dedent(
    """
    import sys, warnings
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient
    from trialfinder.api import create_app
    from trialfinder.web._render import TEMPLATES

    app = create_app(f"sqlite:///{sys.argv[1]}")
    print("before start:", len(TEMPLATES.cache))
    with TestClient(app):
        print("after start:", len(TEMPLATES.cache) == len(TEMPLATES.list_templates()))
    """
)


def test_templates_are_compiled_when_the_process_starts(tmp_path: Path) -> None:
    answer = subprocess.run(
        [sys.executable, "-c", WARMED, str(tmp_path / "trials.db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert answer.stdout.split("\n")[:2] == ["before start: 0", "after start: True"]
