"""Polygon layers simplified per zoom, without opening gaps between neighbours.

A map showing a whole city cannot draw a river's bends closer than a pixel, yet a
layer sent whole carries them all: at 100 times the demo district the water alone was
224 KB of every face's first load. A polygon layer sent whole is therefore also kept at
coarser levels, one per zoom of :data:`DETAIL_ZOOMS`, each simplified to half a pixel
at its zoom, and the browser asks for the level of its view (``&z=`` on the layer's
URL; no ``z``, or a view closer than the last level, gets the full geometry).

The layer is simplified as one coverage (``shapely.coverage_simplify``): an edge two
streets share is simplified once, so neighbours keep a common border and no sliver
opens or overlaps between them. A layer whose polygons overlap on purpose (legal
teams cover communities) is no coverage and stays whole; one whose neighbours miss
each other by a hair (generated or digitised borders) is first cleaned
(``shapely.coverage_clean``), a sub-metre change that only the coarse levels carry.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

log = logging.getLogger(__name__)

DETAIL_ZOOMS: tuple[int, ...] = (9, 10, 11, 12, 13)
"""Zooms with a simplified level: a view at zoom ``z`` gets the first level at or above
``z`` (rounded up), and views closer than the last get the full geometry. A layer keeps
only the levels lighter than its full geometry."""

FIRST_MAP_PX: Mapping[str, tuple[int, int]] = {
    "public": (430, 620),  # a phone, below the search box
    "staff": (1000, 700),  # 1366 x 768 less the side panel
    "wall": (1900, 1300),  # the map of a 4K wall: the larger screen picks the finer level
}
"""Map size in pixels each face's first view is assumed to have, to choose the level of
its first load before the browser reports its real zoom."""

_Z_PARAM = re.compile(r"&z=\d+")
_OVERLAP_SLACK = 1e-3
"""Polygons whose areas add up to more than their union by this share overlap on
purpose, and are no coverage."""


def tolerance(zoom: int) -> float:
    """Half a 256-pixel tile's pixel at ``zoom``, in degrees of longitude."""
    return 360.0 / (256 * 2**zoom) / 2


def detail_zoom(view_zoom: float | None, levels: Sequence[int] = DETAIL_ZOOMS) -> int | None:
    """The level of ``levels`` (ascending) a view at ``view_zoom`` draws: the first at or
    above its zoom rounded up (None: the full geometry)."""
    if view_zoom is None or not math.isfinite(view_zoom):
        return None
    wanted = math.ceil(view_zoom - 1e-9)
    return next((z for z in levels if z >= wanted), None)


def detail_url(url: str, view_zoom: float | None, levels: Sequence[int] = DETAIL_ZOOMS) -> str:
    """A layer URL (``?lang=…&v=…``) asking for the level of a view at ``view_zoom``
    among the layer's ``levels``. Mirrored by ``redmap.detailUrl`` in the browser."""
    base = _Z_PARAM.sub("", url)
    level = detail_zoom(view_zoom, levels)
    return base if level is None else f"{base}&z={level}"


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int, height_px: int) -> float:
    """The zoom at which ``bounds`` (west, south, east, north) fills a map of that size,
    as Leaflet's ``fitBounds`` finds it (Web Mercator), before snapping."""
    west, south, east, north = bounds

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = max(east - west, 1e-9) / 360.0
    span_y = max(merc_y(north) - merc_y(south), 1e-9) / (2 * math.pi)
    return min(math.log2(width_px / 256 / span_x), math.log2(height_px / 256 / span_y))


def parse_level(value: str | None) -> int | None:
    """The level a request's ``z`` names; None for the full geometry (no ``z``).

    Raises
    ------
    ValueError
        When ``z`` is not one of :data:`DETAIL_ZOOMS`.
    """
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) not in DETAIL_ZOOMS:
        raise ValueError(f"z must be one of {', '.join(map(str, DETAIL_ZOOMS))} (got {value[:20]!r})")
    return int(value)


def coverage_levels(geometries: Any, name: str = "") -> dict[int, np.ndarray]:
    """The layer's polygons simplified for each of :data:`DETAIL_ZOOMS`, as one coverage.

    Parameters
    ----------
    geometries
        The layer's geometries (EPSG:4326), in row order.
    name
        The layer's id, for the log.

    Returns
    -------
    dict
        Level zoom → geometries in the same order; empty when the layer is not a
        polygon coverage (points, lines, overlapping areas) and must stay whole.
    """
    original = np.asarray(geometries, dtype=object)
    polygons = original
    if len(polygons) == 0 or shapely.is_missing(polygons).any() or shapely.is_empty(polygons).any():
        return {}
    types = shapely.get_type_id(polygons)
    if not np.isin(types, (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)).all():
        return {}
    union_area = shapely.union_all(polygons).area
    if shapely.area(polygons).sum() > union_area * (1 + _OVERLAP_SLACK):
        return {}
    if not shapely.coverage_is_valid(polygons):
        polygons = shapely.coverage_clean(polygons)
        if shapely.is_empty(polygons).any() or not shapely.coverage_is_valid(polygons):
            log.warning("layer %s: its polygons could not be made a coverage; sent whole at every zoom", name)
            return {}
    full_coordinates = shapely.get_num_coordinates(original).sum()
    levels: dict[int, np.ndarray] = {}
    for zoom in DETAIL_ZOOMS:
        simplified = shapely.coverage_simplify(polygons, tolerance(zoom), simplify_boundary=True)
        if shapely.is_empty(simplified).any() or not shapely.is_valid(simplified).all():
            continue  # it would lose a polygon: this zoom gets the full geometry
        if shapely.get_num_coordinates(simplified).sum() >= full_coordinates:
            continue  # nothing to gain: the full geometry serves this zoom
        levels[zoom] = simplified
    return levels
