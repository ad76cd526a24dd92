"""The bare baseline: a plain Flask app that serves precomputed JSON for the same routes.

``gunicorn bench.bare_app:app`` with ``BENCH_BARE_DIR`` pointing to a directory with
``nearest.json`` (query string → response body, captured from the real API) and
``callback.json`` (the staff records callback's response body). It does nothing a
real request would need beyond a dictionary look-up: the floor for the HTTP rows.
``gunicorn bench.bare_app:raw`` serves the same answers from a plain WSGI function.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from flask import Flask, Response, request

READY_MARKER = "bench bare app ready"


def create(data_dir: Path) -> Flask:
    """The bare app over the precomputed bodies in ``data_dir``.

    The files are read on first use (then kept), so that the bare server can start
    alongside the real one while the bodies are still being captured from it.
    """
    cache: dict[str, object] = {}

    def bodies() -> tuple[dict[str, bytes], bytes]:
        if not cache:
            nearest = json.loads((data_dir / "nearest.json").read_text(encoding="utf-8"))
            cache["nearest"] = {k: v.encode("utf-8") for k, v in nearest.items()}
            cache["callback"] = (data_dir / "callback.json").read_bytes()
        return cache["nearest"], cache["callback"]  # type: ignore[return-value]

    app = Flask("bench_bare")

    @app.get("/api/v1/nearest")
    def _nearest() -> Response:
        body = bodies()[0].get(request.query_string.decode())
        if body is None:
            return Response(b'{"error": "not precomputed"}', status=404, mimetype="application/json")
        return Response(body, mimetype="application/json")

    @app.post("/staff/_dash-update-component")
    def _callback() -> Response:
        return Response(bodies()[1], mimetype="application/json")

    @app.get("/healthz")
    def _health() -> Response:
        return Response(b"ok", mimetype="text/plain")

    return app


def create_raw(data_dir: Path):  # -> a WSGI callable
    """The floor under the floor: the same bodies from a plain WSGI function, no framework.

    What any Python web app pays at least under gunicorn for these answers; the gap
    between it and the bare Flask app is Flask's own share.
    """
    nearest: dict[str, bytes] = {}
    json_headers = [("Content-Type", "application/json")]

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":  # answered before the bodies exist (they are captured later)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if not nearest:
            loaded = json.loads((data_dir / "nearest.json").read_text(encoding="utf-8"))
            nearest.update({k: v.encode("utf-8") for k, v in loaded.items()})
        body = nearest.get(environ.get("QUERY_STRING", "")) if path == "/api/v1/nearest" else None
        if body is None:
            start_response("404 Not Found", json_headers)
            return [b'{"error": "not precomputed"}']
        start_response("200 OK", [*json_headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


_DIR = Path(os.environ["BENCH_BARE_DIR"]) if "BENCH_BARE_DIR" in os.environ else None
app = create(_DIR) if _DIR is not None else None
raw = create_raw(_DIR) if _DIR is not None else None
if app is not None:
    print(READY_MARKER, file=sys.stderr, flush=True)
