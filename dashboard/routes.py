"""Plain Flask routes: layer files for each face and the health check."""

from __future__ import annotations

import gzip

from flask import Flask, Response, abort, jsonify, request

from .context import LAYER_ROUTE, AppContext
from .detail import parse_level
from .i18n import pick_lang
from .tiles import MAX_TILES, TILE_DEG, AreaPayload, parse_bbox, tile_count, tile_range


def _send(gzipped: bytes, etag: str) -> Response:
    """A GeoJSON document kept gzipped; unpacked only for the rare client without gzip."""
    if request.if_none_match and etag in request.if_none_match:
        response = Response(status=304)
    elif "gzip" in request.accept_encodings:
        response = Response(gzipped, mimetype="application/geo+json")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(gzipped), mimetype="application/geo+json")
    response.set_etag(etag)
    response.vary.add("Accept-Encoding")
    # Revalidate every time: cheap with the ETag, and new data shows at once.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _bad_request(message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = 400
    return response


def _send_area(payload: AreaPayload) -> Response:
    """A layer sent by map area: the features of the tiles around ``?bbox=``."""
    bbox = parse_bbox(request.args.get("bbox"))
    tiles = tile_range(*bbox) if bbox else None
    if tiles is None or tile_count(tiles) > MAX_TILES:
        return _bad_request(
            f"this layer has {payload.count:,} features and is sent by map area: add "
            f"bbox=west,south,east,north in degrees, at most {MAX_TILES} tiles of {TILE_DEG} degrees"
        )
    return _send(*payload.answer(tiles))


def register_routes(server: Flask, ctx: AppContext) -> None:
    """Attach the layer and health routes for every face to ``server``."""
    for face, prefix in LAYER_ROUTE.items():

        def serve_layer(layer_id: str, face: str = face) -> Response:
            asked = request.args.get("lang")
            if asked is not None and asked not in ("zh", "en"):
                return _bad_request(f"{layer_id[:40]}: lang must be zh or en, not {asked[:20]!r}")
            lang = pick_lang(asked, ctx.settings.lang)
            payload = ctx.layer_payloads.get((face, layer_id, lang))  # type: ignore[arg-type]
            if payload is None:
                known = sorted({layer for f, layer, _ in ctx.layer_payloads if f == face})
                abort(404, description=f"no layer {layer_id[:40]!r} here; known: {', '.join(known)}")
            if isinstance(payload, AreaPayload):
                return _send_area(payload)
            try:  # a view's zoom level: its polygons simplified to half a pixel (dashboard.detail)
                chosen = payload.at_level(parse_level(request.args.get("z")))
            except ValueError as error:
                return _bad_request(f"{layer_id}: {error}")
            return _send(chosen.gzipped, chosen.etag)

        server.add_url_rule(f"{prefix}<layer_id>.geojson", endpoint=f"layer_{face}", view_func=serve_layer)

    @server.get("/healthz")
    def healthz() -> Response:
        return jsonify(
            ok=True,
            data_file=ctx.dataset.path.name,
            data_version=ctx.dataset.version,
            demo=ctx.dataset.is_demo,
            layers=ctx.dataset.counts(),
        )
