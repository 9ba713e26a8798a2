"""Serving the app: one process, or several app processes sharing one port evenly.

uvicorn's own ``workers=N`` hands every process the same listening socket. Whichever process
wakes first then accepts every connection waiting (asyncio accepts up to the backlog at once),
so a burst of keep-alive connections, from a proxy or a load test, can all land on one process
while the others idle: under 64 connections, one of 4 processes did all the match work and one
of the trial page work none (bench/load_bench.py, BENCHMARKS.md). Here each app process gets a
listening socket of its own on the same port (``SO_REUSEPORT``), and the kernel spreads new
connections across the sockets by their address hash, as nginx's ``listen … reuseport`` does.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger(__name__)

BACKLOG = 2048
"""Connections each listening socket holds before accepting them (uvicorn's default)."""

STOP_SECONDS = 30.0
"""How long stopping waits for a process to finish its requests before killing it."""


def spreads_connections() -> bool:
    """Whether this system balances connections across sockets sharing a port (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on `host`:`port`, each its own member of a ``SO_REUSEPORT``
    group. With port 0 the first socket picks a free port and the others join it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(BACKLOG)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _serve_worker(url: str, sock: socket.socket, access_log: bool) -> None:
    """One app process: build the app (its own store connections) and serve on `sock`."""
    from trialfinder.api.app import create_app

    try:
        app = create_app(url)
    except Exception:
        log.exception("the app process could not start")
        sys.exit(STARTUP_FAILURE)  # starting another would fail the same way
    config = uvicorn.Config(app, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(url: str, sockets: list[socket.socket], *, access_log: bool) -> int:
    """Serve with one app process per socket (from `listening_sockets`), until SIGINT or
    SIGTERM; a process that ends is started again. Returns the exit status: 0, or uvicorn's
    start-up failure status when a process could not start (then all are stopped). Closes the
    sockets when it returns."""
    workers = len(sockets)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as uvicorn's workers

    def start(index: int) -> multiprocessing.process.BaseProcess:
        process = spawn.Process(
            target=_serve_worker,
            args=(url, sockets[index], access_log),
            name=f"trialfinder-app-{index + 1}",
        )
        process.start()
        return process

    stopping = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {number: signal.signal(number, on_signal) for number in _STOP_SIGNALS}
    status = 0
    processes = [start(index) for index in range(workers)]
    try:
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive() or stopping.is_set():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("%s could not start; stopping", process.name)
                    status = STARTUP_FAILURE
                    stopping.set()
                    break
                log.warning(
                    "%s ended (exit code %s); starting it again", process.name, process.exitcode
                )
                processes[index] = start(index)
    finally:
        _stop(processes)
        for sock in sockets:
            sock.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return status


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """Ask every process to finish (SIGTERM: uvicorn ends its requests first), then wait; kill
    those still running after `STOP_SECONDS`."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
