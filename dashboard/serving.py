"""``python app.py`` serves with gunicorn: worker processes forked from the built app,
each with a pool of threads.

Werkzeug's development server starts a new thread for every request, and every new
thread pays again for what a thread sets up on first use (pyproj's projection context
alone, ~0.1 s): under 8 connections the nearest answer took ~1 s at the median instead
of ~2 ms. Gunicorn's threaded workers keep their threads, so that cost is paid once.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

from .settings import Settings


def json_protocol_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's answer to a request it cannot parse (e.g. raw UTF-8 in the URL), as
    JSON like every other error of ours, instead of an HTML page echoing the request."""
    body = json.dumps(
        {"error": f"{reason.lower()}: the request is not valid HTTP; percent-encode the URL (UTF-8)"}
        if status_int == 400
        else {"error": reason.lower()}
    ).encode("ascii")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    gunicorn_util.write_nonblock(sock, head + body)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn around an app already built in this process (as ``--preload`` would)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.app = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app


def serve(app: Flask, settings: Settings) -> None:
    """Serve ``app`` on ``settings.host:port`` until interrupted."""
    # Gunicorn writes its protocol errors through this one function.
    gunicorn_util.write_error = json_protocol_error
    _Gunicorn(
        app,
        {
            "bind": f"{settings.host}:{settings.port}",
            "workers": settings.workers,
            "worker_class": "gthread",
            "threads": settings.threads,
            # A wall's long poll and a big export may take a while; a worker stuck longer is restarted.
            "timeout": 120,
            "graceful_timeout": 10,
            "accesslog": None,  # positions in query strings are never logged (see access_log)
            "loglevel": "warning",
        },
    ).run()
