"""Layers too big to send whole, sent by the map's area instead.

At 100 times the demo district the roads are 281,678 features (8 MB gzipped, about
60 MB of GeoJSON for a browser to parse and draw) and the incidents 520,000 (30 MB):
no face can load them whole. A layer with more features than
``Settings.area_layers_above`` is cut at start-up into square tiles of
:data:`TILE_DEG` degrees (a feature belongs to the tile of its first point), and the
browser asks for the tiles around its view (``?bbox=west,south,east,north``, snapped
to the tile grid by ``redmap.areaUrl`` so that the same view asks for the same URL).
A view wider than :data:`MAX_TILES` tiles draws nothing of the layer: at that zoom
its features are too small and too many to read, and the face says to zoom in.

Each tile keeps its features as one zlib-compressed JSON fragment; an answer joins
the fragments of its tiles and gzips them once (a few milliseconds for a district's
worth), and a worker keeps its last answers.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

TILE_DEG = 0.02
"""Tile side in degrees (about 2 km east-west at the district's latitude)."""

MAX_TILES = 256
"""Most tiles one view may ask for (a 16 x 16 tile square, about 32 km): a district
and its neighbours. Wider views draw nothing of an area layer."""

TileRange = tuple[int, int, int, int]
"""(first column, first row, last column, last row) of tiles, inclusive."""


@dataclass(frozen=True, eq=False)  # hashed by identity: one per layer, face view and language
class AreaPayload:
    """A layer kept as tiles: ``tiles`` maps (column, row) to a zlib-compressed run of
    comma-separated features; ``count`` is the layer's whole feature count."""

    tiles: Mapping[tuple[int, int], bytes]
    count: int

    def answer(self, tiles: TileRange) -> tuple[bytes, str]:
        """The gzipped FeatureCollection of the features in ``tiles``, and its ETag."""
        return _answer(self, tiles)


def tile_of(lon: float, lat: float) -> tuple[int, int]:
    """The tile (column, row) a point lies in."""
    return math.floor(lon / TILE_DEG), math.floor(lat / TILE_DEG)


def tile_range(west: float, south: float, east: float, north: float) -> TileRange:
    """The tiles a box touches, one more all round: a feature belongs to the tile of
    its first point, and a road or polygon starting just outside the view reaches in."""
    (c0, r0), (c1, r1) = tile_of(west, south), tile_of(east, north)
    return c0 - 1, r0 - 1, c1 + 1, r1 + 1


def tile_count(tiles: TileRange) -> int:
    c0, r0, c1, r1 = tiles
    return max(0, c1 - c0 + 1) * max(0, r1 - r0 + 1)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees from a request, None when it is not one."""
    if not value:
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return west, south, east, north


def _first_point(geometry: Mapping[str, Any]) -> tuple[float, float]:
    coordinates: Any = geometry["coordinates"]
    while isinstance(coordinates[0], list | tuple):
        coordinates = coordinates[0]
    return float(coordinates[0]), float(coordinates[1])


def make_area_payload(features: Iterable[Mapping[str, Any]]) -> AreaPayload:
    """Cut a layer's GeoJSON features into tiles (see the module docstring)."""
    by_tile: dict[tuple[int, int], list[Mapping[str, Any]]] = defaultdict(list)
    count = 0
    for feature in features:
        by_tile[tile_of(*_first_point(feature["geometry"]))].append(feature)
        count += 1
    tiles = {key: zlib.compress(orjson.dumps(part)[1:-1], 6) for key, part in by_tile.items()}
    return AreaPayload(tiles=tiles, count=count)


@lru_cache(maxsize=64)
def _answer(payload: AreaPayload, tiles: TileRange) -> tuple[bytes, str]:
    # Cached per worker: a view asked again (pans back, other users of the same street)
    # costs nothing. The ETag comes from the bytes, so every worker gives the same one.
    c0, r0, c1, r1 = tiles
    parts = [
        zlib.decompress(payload.tiles[(c, r)])
        for c in range(c0, c1 + 1)
        for r in range(r0, r1 + 1)
        if (c, r) in payload.tiles
    ]
    body = b'{"type":"FeatureCollection","features":[' + b",".join(parts) + b"]}"
    etag = hashlib.sha1(body).hexdigest()[:16]
    return gzip.compress(body, compresslevel=5, mtime=0), etag
