"""Request log without query strings.

Residents' positions travel in query strings (``/api/v1/nearest?lon=…&lat=…``) and
must never be logged at full precision, so requests are logged by path only, and
werkzeug's own line (which carries the full URL) is silenced.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("redmap.access")


def install(server: Flask) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @server.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @server.after_request
    def _log(response: Response) -> Response:
        started = g.get("request_started")
        ms = (time.perf_counter() - started) * 1000 if started else 0.0
        log.info("%s %s %s %.0fms", request.method, request.path, response.status_code, ms)
        return response
