"""Look-up grids that answer per-query questions without a call into numpy, scipy or GEOS.

:class:`CellCandidates` lists the few points that can be nearest anywhere in a cell;
:class:`InsideGrid` answers point-in-polygon for one polygon.

A straight-line query in Python pays ~30 µs of fixed cost for a ``cKDTree.query``
call (argument checks, result arrays), more than the whole answer should take. With
a :class:`CellCandidates` table built once, a query is a cell look-up and a plain
loop over a few dozen points, with no call into numpy or scipy.

Why the table is exact
----------------------
For the centre ``c`` of a cell of half-diagonal ``h``, let ``d_K(c)`` be the distance
to its ``K``-th nearest point. Any query ``q`` in the cell is within ``h`` of ``c``, so
its own ``K``-th nearest is within ``d_K(c) + h`` of ``q`` and every one of its ``K``
nearest lies within ``d_K(c) + 2h`` of ``c``. Keeping every point within that radius
(widened by a relative ``slack`` for callers that re-rank by a slightly different
distance, such as geodesic against projected) makes the cell's list a superset of
every query's ``K`` nearest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

MAX_CELLS = 250_000
"""Cap on cells per table (the cell size grows to respect it): bounds memory at scale."""


@dataclass(frozen=True, slots=True)
class CellCandidates:
    """For each cell of a grid, the points that can be among a query's ``k_max`` nearest.

    Build with :meth:`build`; then :meth:`candidates` gives a cell's point indices.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    offsets: np.ndarray  # (nx * ny + 1,) int64: cell c's points are flat[offsets[c]:offsets[c + 1]]
    flat: np.ndarray  # int32 point indices
    k_max: int

    @classmethod
    def build(
        cls,
        xy: np.ndarray,
        extent: tuple[float, float, float, float],
        k_max: int,
        slack: float = 0.0,
        points_per_cell: float = 0.1,
    ) -> CellCandidates:
        """Tables for the points ``xy`` (metres) over ``extent`` (minx, miny, maxx, maxy).

        Parameters
        ----------
        xy : ndarray, shape (n, 2)
            The points, in a projected CRS.
        extent : tuple of float
            Area the queries fall in; a query outside gets no table (see :meth:`cell_of`).
        k_max : int
            Largest ``k`` the tables answer exactly.
        slack : float
            Relative widening of each cell's radius (see the module docstring).
        points_per_cell : float
            Target mean density. Smaller cells mean shorter lists (a cell's list is
            its ``k_max`` nearest plus a ring as wide as the cell) for more memory:
            at 0.1 the demo's lists hold ~15 points, against ~37 at 1.
        """
        n = len(xy)
        if n == 0:
            raise ValueError("no points")
        minx, miny, maxx, maxy = extent
        minx, miny = min(minx, float(xy[:, 0].min())), min(miny, float(xy[:, 1].min()))
        maxx, maxy = max(maxx, float(xy[:, 0].max())), max(maxy, float(xy[:, 1].max()))
        area = max((maxx - minx) * (maxy - miny), 1.0)
        size = max(math.sqrt(area * points_per_cell / n), math.sqrt(area / MAX_CELLS), 1.0)
        nx = max(1, math.ceil((maxx - minx) / size) + 1)
        ny = max(1, math.ceil((maxy - miny) / size) + 1)
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        centres = np.column_stack([minx + (ix.ravel() + 0.5) * size, miny + (iy.ravel() + 0.5) * size])
        tree = cKDTree(xy)
        k = min(k_max, n)
        d_k, _ = tree.query(centres, k=k)
        d_k = d_k if d_k.ndim == 1 else d_k[:, -1]
        half_diagonal = size * math.sqrt(0.5)
        radius = (d_k + half_diagonal) * (1 + slack) + half_diagonal + 1e-6
        lists = tree.query_ball_point(centres, radius, return_sorted=True)
        lengths = np.fromiter((len(c) for c in lists), dtype=np.int64, count=len(lists))
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.fromiter((i for c in lists for i in c), dtype=np.int32, count=int(offsets[-1]))
        return cls(minx, miny, size, nx, ny, offsets, flat, k_max)

    def cell_of(self, x: float, y: float) -> int:
        """The cell holding (x, y), or -1 outside the grid."""
        i = math.floor((x - self.x0) / self.size)
        j = math.floor((y - self.y0) / self.size)
        if 0 <= i < self.nx and 0 <= j < self.ny:
            return i * self.ny + j
        return -1

    def candidates(self, cell: int) -> list[int]:
        """Point indices that can be among the ``k_max`` nearest anywhere in ``cell``."""
        return self.flat[self.offsets[cell] : self.offsets[cell + 1]].tolist()

    @property
    def mean_candidates(self) -> float:
        return float(self.offsets[-1]) / max(1, len(self.offsets) - 1)


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
