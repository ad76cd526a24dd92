"""Request log without query strings, and a per-minute summary of public API traffic.

Residents' positions travel in query strings (``/api/v1/nearest?lon=…&lat=…``) and
must never be logged at full precision, so requests are logged by path only, and
werkzeug's own line (which carries the full URL) is silenced.

The public API is the busiest and least interesting traffic: one line per request
would cost ~30 µs each (a tenth of an answer, measured with py-spy under gunicorn)
and leave a trail of when each resident asked. It is summarised instead, once a
minute per process: requests by endpoint and status, with p50/p95 durations. Its
per-request lines appear at DEBUG level.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from flask import Flask, Response, g, request

log = logging.getLogger("redmap.access")

SUMMARY_EVERY_S = 60.0


def install(server: Flask) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @server.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @server.after_request
    def _log(response: Response) -> Response:
        started = g.get("request_started")
        ms = (time.perf_counter() - started) * 1000 if started else 0.0
        record(request.method, request.path, response.status_code, ms)
        return response


def record(method: str, path: str, status: int, ms: float) -> None:
    """Log one request by method, path (never the query string), status and duration."""
    log.info("%s %s %s %.0fms", method, path, status, ms)


class TrafficSummary:
    """Counts requests and logs a summary line at most every ``every_s`` seconds.

    One per process (each gunicorn worker summarises its own share); thread-safe for
    the threaded development server.
    """

    def __init__(self, name: str, every_s: float = SUMMARY_EVERY_S) -> None:
        self.name = name
        self.every_s = every_s
        self._lock = threading.Lock()
        self._since = time.monotonic()
        self._counts: Counter[tuple[str, int]] = Counter()
        self._ms: list[float] = []

    def record(self, method: str, path: str, status: int, ms: float) -> None:
        """Count one request; log the summary when the period is over."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s %.1fms", method, path, status, ms)
        now = time.monotonic()
        with self._lock:
            self._counts[(path, status)] += 1
            self._ms.append(ms)
            if now - self._since < self.every_s:
                return
            counts, durations, since = self._counts, self._ms, self._since
            self._counts, self._ms, self._since = Counter(), [], now
        log.info("%s", summary_line(self.name, counts, durations, now - since))

    def flush(self) -> str | None:
        """Log and return the summary of what was counted so far (None if nothing)."""
        with self._lock:
            counts, durations, since = self._counts, self._ms, self._since
            self._counts, self._ms, self._since = Counter(), [], time.monotonic()
        if not counts:
            return None
        line = summary_line(self.name, counts, durations, time.monotonic() - since)
        log.info("%s", line)
        return line


def summary_line(name: str, counts: Counter[tuple[str, int]], durations: list[float], seconds: float) -> str:
    """``api: 1,203 requests in 60 s (…/nearest 200 ×1,180, …/nearest 400 ×23); p50 1.2 ms, p95 3.4 ms``."""
    ordered = sorted(durations)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    parts = ", ".join(f"{path} {status} ×{n:,}" for (path, status), n in sorted(counts.items()))
    total = sum(counts.values())
    return f"{name}: {total:,} requests in {seconds:.0f} s ({parts}); p50 {p50:.1f} ms, p95 {p95:.1f} ms"
