"""The Wei River (渭河) as a band polygon across the south of the urban area.

Its course is fixed (not drawn from the seed): it stands for a real river and
every seed should show it in the same place. Control points keep the real
street offices on their banks (陈杨寨's office south of it, the others north).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from shapely.geometry import LineString, Polygon

from geodata.demo.crs import lonlat_to_xy

RIVER_NAME = "渭河"

# (lon, lat) of the centre line, west to east; the district spans 108.56–108.80 E.
_COURSE = (
    (108.570, 34.3190),
    (108.595, 34.3180),
    (108.616, 34.3172),
    (108.642, 34.3186),
    (108.667, 34.3168),
    (108.688, 34.3192),
    (108.702, 34.3208),
    (108.722, 34.3196),
    (108.752, 34.3160),
    (108.780, 34.3168),
    (108.815, 34.3180),
)


def river_centreline() -> LineString:
    """The smoothed centre line in metres."""
    lon = np.array([c[0] for c in _COURSE])
    lat = np.array([c[1] for c in _COURSE])
    x, y = lonlat_to_xy(lon, lat)
    spline = CubicSpline(x, y)
    xs = np.linspace(x[0], x[-1], 160)
    return LineString(np.column_stack([xs, spline(xs)]))


def river_polygon() -> Polygon:
    """A 300–500 m wide band whose width swells and narrows gently along the course."""
    line = river_centreline()
    xy = np.asarray(line.coords)
    d = np.gradient(xy, axis=0)
    n = np.column_stack([-d[:, 1], d[:, 0]])
    n /= np.linalg.norm(n, axis=1)[:, None]
    s = np.linspace(0, 1, len(xy))
    width = 400 + 90 * np.sin(2 * np.pi * 3.3 * s + 0.7)
    left = xy + n * (width / 2)[:, None]
    right = xy - n * (width / 2)[:, None]
    return Polygon(np.vstack([left, right[::-1]])).buffer(0)
