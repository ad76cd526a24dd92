"""Look-up grids that answer per-query questions without a call into numpy, scipy or GEOS.

:class:`InsideGrid` answers point-in-polygon for one polygon; :class:`SegmentCells`
finds the road segments near a point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

_OUTSIDE, _INSIDE, _EDGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class InsideGrid:
    """Point-in-polygon in about a microsecond: a grid of cells marked wholly inside,
    wholly outside or crossed by the boundary; only the last need the polygon.

    Build with :meth:`build`. A prepared shapely ``contains_xy`` costs ~10 µs a call
    from Python, a tenth of a whole nearest answer.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    state: bytes  # per cell (i * ny + j): _OUTSIDE, _INSIDE or _EDGE
    polygon: shapely.Geometry

    @classmethod
    def build(cls, polygon: shapely.Geometry, size: float) -> InsideGrid:
        """Cells of ``size`` (in the polygon's units) over the polygon's bounds."""
        minx, miny, maxx, maxy = polygon.bounds
        nx = max(1, math.ceil((maxx - minx) / size))
        ny = max(1, math.ceil((maxy - miny) / size))
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        x0, y0 = minx + ix.ravel() * size, miny + iy.ravel() * size
        boxes = shapely.box(x0, y0, x0 + size, y0 + size)
        shapely.prepare(polygon)
        state = np.where(
            shapely.contains_properly(polygon, boxes),
            _INSIDE,
            np.where(shapely.intersects(polygon, boxes), _EDGE, _OUTSIDE),
        )
        return cls(minx, miny, size, nx, ny, state.astype(np.uint8).tobytes(), polygon)

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) lies inside the polygon (its boundary counts as outside)."""
        i = math.floor((x - self.x0) / self.size)
        j = math.floor((y - self.y0) / self.size)
        if not (0 <= i < self.nx and 0 <= j < self.ny):
            return False
        state = self.state[i * self.ny + j]
        if state == _EDGE:
            return bool(shapely.contains_xy(self.polygon, x, y))
        return state == _INSIDE


@dataclass(frozen=True, slots=True)
class SegmentCells:
    """For each cell near the segments, the few segments that can be nearest to a
    point anywhere in the cell: snapping to a road in a look-up and a short loop.

    Exact by the argument of the module docstring with ``K = 1`` and distances to
    segments: if the nearest segment is ``d_c`` from a cell's centre, every point of
    the cell has one within ``d_c + h``, and no segment farther than ``d_c + 2h`` from
    the centre can be nearer than that. Cells farther than ``reach`` from every
    segment, or whose list would be long (coarse cells at province scale), get no
    list: :meth:`candidates` returns None and the caller searches the usual way.

    Build with :meth:`build`.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    offsets: np.ndarray  # (nx * ny + 1,) int32; an empty range means "no list"
    flat: np.ndarray  # int32 segment indices, ascending within a cell

    @classmethod
    def build(
        cls,
        start: np.ndarray,
        delta: np.ndarray,
        size: float = 30.0,
        reach: float = 200.0,
        max_list: int = 32,
        max_cells: int = 2_000_000,
    ) -> SegmentCells:
        """Tables for the segments ``start`` → ``start + delta`` (metres, shape (n, 2)).

        Parameters
        ----------
        start, delta : ndarray, shape (n, 2)
            First point and direction of each segment.
        size : float
            Cell side in metres (grown to keep within ``max_cells``). At 30 m the
            demo's lists hold ~7 segments.
        reach : float
            Cells whose centre is farther from every segment get no list.
        max_list : int
            Longer lists are dropped (the caller's general search is then as cheap).
        max_cells : int
            Cap on cells over the segments' extent: bounds memory at scale.
        """
        if len(start) == 0:
            raise ValueError("no segments")
        mid = start + delta / 2
        half = float(np.sqrt(np.einsum("ij,ij->i", delta, delta).max())) / 2
        lo = np.minimum(start, start + delta).min(axis=0) - reach
        hi = np.maximum(start, start + delta).max(axis=0) + reach
        area = float(np.prod(hi - lo))
        size = max(size, math.sqrt(area / max_cells))
        nx, ny = (int(v) for v in np.ceil((hi - lo) / size))
        h = size * math.sqrt(0.5)
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        centres = np.column_stack([lo[0] + (ix.ravel() + 0.5) * size, lo[1] + (iy.ravel() + 0.5) * size])
        tree = cKDTree(mid)
        # The nearest midpoint bounds the nearest segment from above (d_c <= d_mid),
        # and a segment within R of the centre has its midpoint within R + half.
        d_mid, _ = tree.query(centres, k=1, distance_upper_bound=reach)
        near = np.flatnonzero(np.isfinite(d_mid))
        lists = tree.query_ball_point(centres[near], d_mid[near] + 2 * h + half + 1e-6)
        lengths = np.fromiter((len(c) for c in lists), dtype=np.int64, count=len(lists))
        cell = np.repeat(near, lengths)
        seg = np.fromiter((i for c in lists for i in c), dtype=np.int64, count=int(lengths.sum()))
        # Trim each list to what the proof needs, with exact point-to-segment distances.
        dist = _segment_distance(centres[cell], start[seg], delta[seg])
        d_c = np.full(len(centres), np.inf)
        np.minimum.at(d_c, cell, dist)
        keep = dist <= d_c[cell] + 2 * h + 1e-6
        cell, seg = cell[keep], seg[keep]
        order = np.lexsort((seg, cell))
        cell, seg = cell[order], seg[order]
        counts = np.bincount(cell, minlength=len(centres))
        long_cells = counts > max_list
        if long_cells.any():
            short = ~long_cells[cell]
            cell, seg = cell[short], seg[short]
            counts[long_cells] = 0
        offsets = np.zeros(len(centres) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        return cls(float(lo[0]), float(lo[1]), size, nx, ny, offsets, seg.astype(np.int32))

    def candidates(self, x: float, y: float) -> list[int] | None:
        """Segments that can be nearest to (x, y), ascending; None when the cell has no list."""
        i = math.floor((x - self.x0) / self.size)
        j = math.floor((y - self.y0) / self.size)
        if not (0 <= i < self.nx and 0 <= j < self.ny):
            return None
        c = i * self.ny + j
        a, b = self.offsets[c], self.offsets[c + 1]
        return self.flat[a:b].tolist() if b > a else None

    @property
    def cells_with_lists(self) -> int:
        return int(np.count_nonzero(np.diff(self.offsets)))

    @property
    def mean_candidates(self) -> float:
        return float(self.offsets[-1]) / max(1, self.cells_with_lists)


def _segment_distance(p: np.ndarray, start: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Distance from each point ``p[i]`` to the segment ``start[i]`` → ``start[i] + delta[i]``."""
    len2 = np.einsum("ij,ij->i", delta, delta)
    t = np.einsum("ij,ij->i", p - start, delta) / np.where(len2 > 0, len2, 1.0)
    t = np.clip(np.where(len2 > 0, t, 0.0), 0.0, 1.0)
    return np.hypot(*(start + t[:, None] * delta - p).T)
