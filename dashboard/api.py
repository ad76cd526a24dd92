"""The public JSON API (``/api/v1``) for other clients: a WeChat mini-program, the 12345 desk.

Every parameter is checked here and a bad one gets HTTP 400 with a JSON ``error``
that says what was wrong; nothing a client sends can produce a 500. Only fields the
schema marks public leave the server.

The three endpoints are answered by :class:`PublicApi`, a WSGI layer in front of
Flask. A request through Flask runs every hook the three Dash apps, access control,
compression and the language cookie install (~0.7 ms, measured with ``make bench``),
and a public, cookie-less, read-only GET needs none of them: no session, no CSRF, no
page. What it does need is kept here: the same security headers, an access log by
path only (summarised per minute, see :mod:`dashboard.access_log`), gzip when asked
for, JSON errors and never a traceback.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import orjson

from geodata.nearest import TABLE_K

from . import access_log
from .auth.web import HSTS, security_headers
from .finder import Finder

log = logging.getLogger("redmap.api")

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
MAX_K = TABLE_K
"""At most this many places per answer: the walking tables keep that many per junction."""
MAX_LIMIT = 20
MAX_QUERY_CHARS = 64
MAX_PARAMETERS = 16
LANGS = ("zh", "en")
FLAG_VALUES = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}
"""Spellings of ``open_now`` (any case); anything else is a 400, not a silent "no"."""
API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""JSON is never a document to run or frame."""
GZIP_MIN_BYTES = 500
API_HEADERS = frozenset({"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"})

_STATUS_LINES = {code: f"{code} {HTTPStatus(code).phrase}" for code in (200, 400, 405, 500)}
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BadRequest(ValueError):
    """A request parameter is missing or wrong; the message is shown to the client."""


@dataclass(frozen=True)
class NearestQuery:
    """A checked ``/nearest`` request."""

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
    raw_k = args.get("k", "5")
    try:
        k = int(raw_k)
    except ValueError:
        raise BadRequest(f"'k' must be a whole number from 1 to {MAX_K}, not {raw_k[:20]!r}") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"'k' must be from 1 to {MAX_K}, not {k}")
    service = args.get("service", "any")  # given but empty is not "any": it is no service
    if service not in finder.kinds:
        raise BadRequest(f"unknown service {service[:40]!r}; known: {', '.join(finder.kinds)}")
    raw_open = args.get("open_now", "")
    if raw_open.lower() not in FLAG_VALUES:
        raise BadRequest(f"'open_now' must be true or false (or 1/0, yes/no), not {raw_open[:20]!r}")
    return NearestQuery(lon, lat, k, service, FLAG_VALUES[raw_open.lower()])


def parse_lang(args: dict[str, str]) -> str:
    """The ``lang`` parameter: ``zh`` (the default) or ``en``."""
    lang = args.get("lang", "zh")
    if lang not in LANGS:  # an empty lang= is not a language either
        raise BadRequest(f"'lang' must be zh or en, not {lang[:20]!r}")
    return lang


def parse_search(args: dict[str, str]) -> tuple[str, int]:
    """Validate ``/search`` parameters: the query text and how many results."""
    q = args.get("q", "")
    if not q.strip():
        raise BadRequest("'q' is required: a place name in Chinese, pinyin or initials")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"'q' is longer than {MAX_QUERY_CHARS} characters")
    raw_limit = args.get("limit", "8")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise BadRequest(f"'limit' must be a whole number from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be from 1 to {MAX_LIMIT}, not {limit}")
    return q, limit


def _query_args(environ: dict[str, Any]) -> dict[str, str]:
    """Query parameters, UTF-8, the first value of a repeated name winning (as Flask does)."""
    # WSGI hands the raw query bytes over as latin-1 text.
    raw = environ.get("QUERY_STRING", "")
    fields = [f for f in raw.split("&") if f] if raw else []
    if len(fields) > MAX_PARAMETERS:
        raise BadRequest(f"too many query parameters (at most {MAX_PARAMETERS})")
    args: dict[str, str] = {}
    for field in fields:
        name, _, value = field.partition("=")
        if "%" in field or "+" in field or not field.isascii():
            # Rare in API calls (coordinates and codes are plain ASCII): decode properly.
            name, value = (
                unquote_plus(part.encode("latin-1", "replace").decode("utf-8", "replace"))
                for part in (name, value)
            )
        args.setdefault(name, value)
    return args


def openapi_document(kinds: Sequence[str], layers: Sequence[str]) -> bytes:
    """The OpenAPI document of this deployment: ``dashboard/openapi.json`` with the
    service kinds and public layers its data holds filled in as enums, so that a
    client (or a fuzzer) knows exactly which values are answered."""
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    for path, name, values in (
        ("/api/v1/nearest", "service", kinds),
        ("/api/v1/layers/{layer}.geojson", "layer", layers),
    ):
        if values:
            for parameter in document["paths"][path]["get"]["parameters"]:
                if parameter["name"] == name:
                    parameter["schema"]["enum"] = list(values)
    return _json(document)


def _json(document: object) -> bytes:
    return orjson.dumps(document)  # UTF-8, compact; ~15x faster than json.dumps here


class PublicApi:
    """WSGI layer answering ``/api/v1/nearest``, ``/search`` and ``/openapi.json``.

    Every other path goes on to ``app`` (the Flask server) untouched.

    Parameters
    ----------
    app : WSGI application
        What handles everything else.
    finder : Finder
        The public finder's read-only engine.
    https : bool
        Deployed behind HTTPS (adds HSTS as the rest of the site does).
    """

    def __init__(
        self, app: WsgiApp, finder: Finder, https: bool = False, layers: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.finder = finder
        self.https = https
        self.traffic = access_log.TrafficSummary("public api")
        # What OWASP's REST cheat sheet asks of JSON answers; the page-only headers
        # (Referrer-, Permissions-Policy) would cost gunicorn ~3 µs each to check.
        self._headers = [h for h in security_headers(API_CSP) if h[0] in API_HEADERS]
        self._openapi = openapi_document(finder.kinds, layers)
        self._routes: dict[str, Callable[[dict[str, str]], tuple[bytes, str]]] = {
            "/api/v1/nearest": self.nearest,
            "/api/v1/search": self.search,
            "/api/v1/openapi.json": lambda args: (self._openapi, "public, max-age=3600"),
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = self._routes.get(path)
        if route is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET")
        headers = list(self._headers)
        if method not in ("GET", "HEAD"):
            status, body, cache = 405, _json({"error": f"{method} is not allowed here; use GET"}), "no-store"
            headers.append(("Allow", "GET, HEAD"))
        else:
            try:
                status, (body, cache) = 200, route(_query_args(environ))
            except BadRequest as error:
                status, body, cache = 400, _json({"error": str(error)}), "no-store"
            except Exception:  # never a traceback to a client
                log.exception("unhandled error on %s", path)
                status, body, cache = 500, _json({"error": "internal error; it has been logged"}), "no-store"
        headers += [("Content-Type", "application/json"), ("Cache-Control", cache)]
        if cache != "no-store":  # what a cache may keep depends on the encoding asked for
            headers.append(("Vary", "Accept-Encoding"))
        if self.https or environ.get("wsgi.url_scheme") == "https":
            headers.append(HSTS)
        if len(body) >= GZIP_MIN_BYTES and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body, compresslevel=6)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(_STATUS_LINES[status], headers)
        self.traffic.record(method, path, status, (time.perf_counter() - started) * 1000)
        return [] if method == "HEAD" else [body]

    def nearest(self, args: dict[str, str]) -> tuple[bytes, str]:
        """``/nearest``: the k nearest places on foot offering a service."""
        finder = self.finder
        query = parse_nearest(args, finder)
        lang = parse_lang(args)
        now = finder.now()
        away_km = finder.beyond_reach_km(query.lon, query.lat)
        results = (
            finder.nearest(query.lon, query.lat, query.service, query.k, open_now=query.open_now)
            if away_km is None
            else []
        )
        echo = {
            # Echoed rounded (~1 m): a resident's position is not kept at full precision.
            "lon": round(query.lon, 5),
            "lat": round(query.lat, 5),
            "k": query.k,
            "service": query.service,
            "open_now": query.open_now,
            "walk_speed_m_per_min": finder.walk_speed,
            "as_of": now.isoformat(timespec="minutes"),
        }
        body = b'{"query":' + _json(echo) + b',"results":' + finder.results_body(results, lang, now)
        if away_km is not None:
            # A well-formed question with no answer here: said as such, not as an error.
            body += b',"outside_km":' + _json(round(away_km, 1)) + b',"message":' + _json(
                f"the point is {away_km:,.1f} km outside {finder.district_name}; "
                "this service covers the district only"
            )
        body += b"}"
        # An answer is about where someone is: no cache keeps it.
        return body, "no-store"

    def search(self, args: dict[str, str]) -> tuple[bytes, str]:
        """``/search``: places by name, pinyin or initials, best first."""
        q, limit = parse_search(args)
        lang = parse_lang(args)
        matches = [self.finder.match_json(m, lang) for m in self.finder.search(q, limit)]
        return _json({"query": q, "results": matches}), "public, max-age=300"
