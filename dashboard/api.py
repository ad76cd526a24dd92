"""The public JSON API (``/api/v1``) for other clients: a WeChat mini-program, the 12345 desk.

Every parameter is checked here and a bad one gets HTTP 400 with a JSON ``error``
that says what was wrong; nothing a client sends can produce a 500. Only fields the
schema marks public leave the server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, jsonify, request

from geodata.nearest import TABLE_K

from .finder import Finder, nearest_json

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
MAX_K = TABLE_K
"""At most this many places per answer: the walking tables keep that many per junction."""
MAX_LIMIT = 20
MAX_QUERY_CHARS = 64


class BadRequest(ValueError):
    """A request parameter is missing or wrong; the message is shown to the client."""


@dataclass(frozen=True)
class NearestQuery:
    lon: float
    lat: float
    k: int
    service: str
    open_now: bool


def _number(args: dict[str, str], name: str) -> float:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        raise BadRequest(f"'{name}' is required (a number, WGS-84 degrees)")
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be a number, not {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise BadRequest(f"'{name}' must be a finite number")
    return value


def parse_nearest(args: dict[str, str], finder: Finder) -> NearestQuery:
    """Validate ``/nearest`` parameters; raise BadRequest naming the parameter."""
    lon, lat = _number(args, "lon"), _number(args, "lat")
    if not -90 <= lat <= 90:
        raise BadRequest(f"'lat' must be between -90 and 90, not {lat:g}")
    if not -180 <= lon <= 180:
        raise BadRequest(f"'lon' must be between -180 and 180, not {lon:g}")
    away_km = finder.km_outside(lon, lat)
    if away_km > 0:
        raise BadRequest(
            f"the point ({lon:.5f}, {lat:.5f}) is {away_km:.1f} km outside {finder.district_name}; "
            "this service covers the district only"
        )
    raw_k = args.get("k", "5")
    try:
        k = int(raw_k)
    except ValueError:
        raise BadRequest(f"'k' must be a whole number from 1 to {MAX_K}, not {raw_k[:20]!r}") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"'k' must be from 1 to {MAX_K}, not {k}")
    service = args.get("service", "any") or "any"
    if service not in finder.kinds:
        raise BadRequest(f"unknown service {service[:40]!r}; known: {', '.join(finder.kinds)}")
    open_now = args.get("open_now", "").lower() in ("1", "true", "yes")
    return NearestQuery(lon, lat, k, service, open_now)


def register_api(server: Flask, finder: Finder) -> None:
    """Attach ``/api/v1/nearest``, ``/api/v1/search`` and the OpenAPI document."""

    @server.errorhandler(BadRequest)
    def _bad_request(error: BadRequest) -> tuple[Response, int]:
        return jsonify(error=str(error)), 400

    @server.get("/api/v1/nearest")
    def nearest() -> Response:
        query = parse_nearest(request.args.to_dict(), finder)
        lang = "en" if request.args.get("lang") == "en" else "zh"
        results = finder.nearest(query.lon, query.lat, query.service, query.k, open_now=query.open_now)
        return jsonify(
            query={
                # Echoed rounded (~1 m): a resident's position is not kept at full precision.
                "lon": round(query.lon, 5),
                "lat": round(query.lat, 5),
                "k": query.k,
                "service": query.service,
                "open_now": query.open_now,
                "walk_speed_m_per_min": finder.walk_speed,
                "as_of": finder.now().isoformat(timespec="minutes"),
            },
            results=[nearest_json(r, lang, finder.open_now(r)) for r in results],
        )

    @server.get("/api/v1/search")
    def search() -> Response:
        q = request.args.get("q", "")
        if not q.strip():
            raise BadRequest("'q' is required: a place name in Chinese, pinyin or initials")
        if len(q) > MAX_QUERY_CHARS:
            raise BadRequest(f"'q' is longer than {MAX_QUERY_CHARS} characters")
        raw_limit = request.args.get("limit", "8")
        try:
            limit = int(raw_limit)
        except ValueError:
            raise BadRequest(f"'limit' must be a whole number from 1 to {MAX_LIMIT}") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"'limit' must be from 1 to {MAX_LIMIT}, not {limit}")
        lang = "en" if request.args.get("lang") == "en" else "zh"
        return jsonify(query=q, results=[finder.match_json(m, lang) for m in finder.search(q, limit)])

    @server.get("/api/v1/openapi.json")
    def openapi() -> Response:
        return Response(OPENAPI_PATH.read_bytes(), mimetype="application/json")
