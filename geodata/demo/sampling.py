"""Random points inside polygons, away from their edges and off the river."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry


def points_in(
    area: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    avoid: BaseGeometry | None = None,
    inset: float = 8.0,
    max_rounds: int = 200,
) -> np.ndarray:
    """``n`` uniform random points inside ``area``, at least ``inset`` m from its edge.

    Parameters
    ----------
    area : Polygon or MultiPolygon
        Where the points must fall (metres).
    n : int
        How many points.
    rng : numpy Generator
        The random source.
    avoid : geometry, optional
        Where no point may fall (the river).
    inset : float
        Minimum distance from the edge of ``area``, so that a point stays inside
        after reprojection and rounding.

    Returns
    -------
    ndarray, shape (n, 2)
    """
    target = area.buffer(-inset) if inset else area
    if target.is_empty:
        target = area
    if avoid is not None:
        target = target.difference(avoid)
    if target.is_empty:
        raise ValueError("no room to place points")
    shapely.prepare(target)
    minx, miny, maxx, maxy = target.bounds
    out: list[np.ndarray] = []
    got = 0
    for _ in range(max_rounds):
        if got >= n:
            break
        k = max(16, 4 * (n - got))
        cand = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        ok = cand[shapely.contains_xy(target, cand[:, 0], cand[:, 1])]
        out.append(ok)
        got += len(ok)
    pts = np.vstack(out)[:n] if out else np.empty((0, 2))
    if len(pts) < n:
        rp = target.representative_point()
        pts = np.vstack([pts, np.tile([rp.x, rp.y], (n - len(pts), 1))])
    return pts


def point_in(area: BaseGeometry, rng: np.random.Generator, **kw: object) -> Point:
    """One random point inside ``area`` (see :func:`points_in`)."""
    x, y = points_in(area, 1, rng, **kw)[0]  # type: ignore[arg-type]
    return Point(x, y)
