"""A bounded HTTP/1.1 load generator (asyncio, raw sockets), for 127.0.0.1 only.

Fixed number of requests, fixed concurrency, a hard time cap. Connections are kept
alive when the server allows it (gunicorn's sync workers close every connection, so
each request then pays its connect, the same for ours and the baseline).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.timing import percentile

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    """One request to send: method, path, extra headers, body."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    """What a load run saw."""

    sent: int = 0
    ok: int = 0
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    capped: bool = False

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def p(self, pct: float) -> float:
        return percentile(sorted(self.latencies_s), pct) if self.latencies_s else float("nan")

    def merge(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            sent=self.sent + other.sent,
            ok=self.ok + other.ok,
            seconds=self.seconds + other.seconds,
            latencies_s=self.latencies_s + other.latencies_s,
            statuses=self.statuses + other.statuses,
            errors=self.errors + other.errors,
            capped=self.capped or other.capped,
        )


class _Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        self.writer.write(payload)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:  # no length: the body runs to the end of the connection
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _run(
    port: int, requests: Sequence[Request], total: int, concurrency: int, cap_s: float
) -> LoadResult:
    result = LoadResult()
    payloads = itertools.cycle([r.encode(port) for r in requests])
    remaining = total
    deadline = time.perf_counter() + cap_s

    async def worker() -> None:
        nonlocal remaining
        conn = _Conn(port)
        try:
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                payload = next(payloads)
                result.sent += 1
                t0 = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(conn.send(payload), timeout=10)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                    result.errors[type(error).__name__] += 1
                    conn.close()
                    continue
                result.latencies_s.append(time.perf_counter() - t0)
                result.statuses[status] += 1
                if status == 200:
                    result.ok += 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.capped = remaining > 0
    return result


def run_load(
    port: int, requests: Sequence[Request], total: int, concurrency: int = 4, cap_s: float = 30.0
) -> LoadResult:
    """Send ``total`` requests (cycling through ``requests``) to 127.0.0.1:``port``.

    Parameters
    ----------
    port
        Always on 127.0.0.1; nothing else is ever contacted.
    requests
        The requests to cycle through.
    total
        How many to send.
    concurrency
        Requests in flight at once.
    cap_s
        Hard time cap: stop sending after this many seconds (``capped`` is then True).
    """
    if not requests:
        raise ValueError("no requests")
    return asyncio.run(_run(port, requests, total, concurrency, cap_s))
