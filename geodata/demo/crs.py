"""Coordinate transforms between the storage CRS and the metric working CRS.

All geometry is built and measured in EPSG:4545 (metres) and converted to
EPSG:4326 only when the frames are assembled.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geodata.schema import MEASURE_CRS, STORAGE_CRS


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_xy(lon: float | np.ndarray, lat: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS-84 lon/lat to EPSG:4545 metres."""
    x, y = _transformer(STORAGE_CRS, MEASURE_CRS).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def xy_to_lonlat(x: float | np.ndarray, y: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unproject EPSG:4545 metres to WGS-84 lon/lat."""
    lon, lat = _transformer(MEASURE_CRS, STORAGE_CRS).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """A geometry in EPSG:4326 projected to EPSG:4545."""
    return shapely.transform(geom, lambda c: np.column_stack(lonlat_to_xy(c[:, 0], c[:, 1])))


def to_storage(geoms: list[BaseGeometry] | np.ndarray) -> np.ndarray:
    """Geometries in EPSG:4545 unprojected to EPSG:4326 (vectorised over the list).

    Identical metric coordinates map to identical lon/lat, so road segments that
    share an end point still share it exactly after the conversion.
    """
    return shapely.transform(
        np.asarray(geoms, dtype=object), lambda c: np.column_stack(xy_to_lonlat(c[:, 0], c[:, 1]))
    )
