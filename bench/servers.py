"""gunicorn processes for the HTTP rows, started in their own process group and always killed.

Only ever bound to 127.0.0.1. Each server's output goes to a log file (never a pipe
nobody reads, which would stall the server once full).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.data import ROOT

HOST = "127.0.0.1"
WORKERS = 2


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running gunicorn master and what is needed to reach and stop it."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = 0.0
    """``time.perf_counter()`` when gunicorn was launched."""
    ready_s: float | None = None
    """Seconds from launch until every worker had logged its ready line (see :func:`wait_ready`)."""

    def worker_pids(self) -> list[int]:
        """PIDs of the master's worker processes."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in children.read_text().split()]
        return []

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL it if it lingers."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


@dataclass(frozen=True)
class ServerSpec:
    """How to start one gunicorn server and know it is ready."""

    name: str
    app_spec: str
    env: Mapping[str, str]
    ready_marker: str
    """A line each app instance logs once it is built."""
    probe_path: str
    preload: bool = False
    """``--preload``: the master builds the app once and the workers share it
    (copy-on-write), as the README recommends for Red Map."""
    timeout_s: float = 90.0
    command: tuple[str, ...] = ()
    """Run this instead of ``gunicorn … app_spec`` (e.g. ``python app.py``, which
    serves itself); it is told its port by ``REDMAP_HOST``/``REDMAP_PORT``."""


def start(spec: ServerSpec, log_dir: Path) -> Server:
    """Start ``gunicorn -w 2 --worker-class sync [--preload] -b 127.0.0.1:PORT app`` from the repo root."""
    port = free_port()
    log_path = log_dir / f"{spec.name}.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [
        str(gunicorn),
        "-w",
        str(WORKERS),
        "--worker-class",
        "sync",
        *(["--preload"] if spec.preload else []),
        "-b",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        spec.app_spec,
    ]
    env = {**os.environ, **spec.env}
    if spec.command:
        cmd = list(spec.command)
        env.update(REDMAP_HOST=HOST, REDMAP_PORT=str(port), REDMAP_WORKERS=str(WORKERS))
    started_at = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killpg reaches every worker
        )
    return Server(spec.name, port, proc, log_path, started_at)


def wait_ready(server: Server, spec: ServerSpec) -> None:
    """Wait until the app is built everywhere it will be and the probe answers 200.

    Without ``--preload`` each worker loads the app itself; measuring while one is
    still loading would halve the throughput, so the log is watched for each
    worker's "ready" line. With it, the master's one line is enough: workers are
    forked from it, ready at once.

    Raises
    ------
    RuntimeError
        The server died or did not get ready in time (its log tail is included).
    """
    deadline = time.monotonic() + spec.timeout_s
    builds = 1 if spec.preload else WORKERS
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode}):\n{server.log_tail()}")
        text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        built = text.count(spec.ready_marker) >= builds and len(server.worker_pids()) >= WORKERS
        if built and _status(server.port, spec.probe_path) == 200:
            if server.ready_s is None:
                server.ready_s = time.perf_counter() - server.started_at
            return
        time.sleep(0.02)
    raise RuntimeError(f"{server.name} not ready after {spec.timeout_s:.0f} s:\n{server.log_tail()}")


def _status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


@contextlib.contextmanager
def running(specs: list[ServerSpec], log_dir: Path) -> Iterator[list[Server]]:
    """Start servers one after the other (each ready before the next starts, so that
    their boot times are not mixed up), and stop them all whatever happens."""
    servers: list[Server] = []
    try:
        for spec in specs:
            servers.append(start(spec, log_dir))
            wait_ready(servers[-1], spec)
        yield servers
    finally:
        for server in servers:
            server.stop()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS), None if it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def memory_mb(pid: int) -> dict[str, float] | None:
    """A process's memory in MB: ``rss``, ``pss`` (shared pages split among the
    processes sharing them: what a worker costs the machine) and ``uss`` (its
    private pages); None if it is gone."""
    wanted = {"Rss:": "rss", "Pss:": "pss", "Private_Clean:": "uss", "Private_Dirty:": "uss"}
    out = {"rss": 0.0, "pss": 0.0, "uss": 0.0}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in wanted:
            out[wanted[parts[0]]] += int(parts[1]) / 1024
    return out
