"""Subdivide a polygon into cells around seeds so that the cells tile it exactly.

Streets, communities and grids are all built the same way: a power diagram
(weighted Voronoi) of seed points, clipped to the parent polygon, with every
cell reduced to one contiguous piece. Pieces that a non-convex parent cuts off
from their seed are handed to the neighbour they share most boundary with, so
the cells still cover the parent and none is a scatter of islands.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

# Pieces smaller than this (m²) are floating-point noise, not territory.
_NOISE_M2 = 0.5


def power_cells(
    seeds: np.ndarray, parent: BaseGeometry, weights: np.ndarray | None = None
) -> list[BaseGeometry]:
    """Power-diagram cells of ``seeds`` clipped to ``parent`` (may be multipart).

    Parameters
    ----------
    seeds : ndarray, shape (n, 2)
        Seed coordinates in metres.
    parent : Polygon or MultiPolygon
        The area to subdivide.
    weights : ndarray, shape (n,), optional
        Power weights in m²; a larger weight grows the cell. Zero gives a plain
        Voronoi diagram.

    Returns
    -------
    list of geometry
        One (possibly empty or multipart) cell per seed.
    """
    seeds = np.asarray(seeds, dtype=float)
    n = len(seeds)
    w = np.zeros(n) if weights is None else np.asarray(weights, dtype=float)
    if n == 1:
        return [parent]
    # Work relative to the seeds' centre so that squared coordinates stay small.
    origin = seeds.mean(axis=0)
    p = seeds - origin
    minx, miny, maxx, maxy = parent.bounds
    span = max(maxx - minx, maxy - miny) * 4 + 1e4
    frame = box(-span, -span, span, span)
    local_parent = shapely.transform(parent, lambda c: c - origin)
    cells = []
    for i in range(n):
        cell: BaseGeometry = frame
        for j in range(n):
            if i == j:
                continue
            # Half-plane 2x·(pj-pi) <= |pj|²-|pi|² + wi - wj, as a big polygon.
            d = p[j] - p[i]
            rhs = (p[j] @ p[j] - p[i] @ p[i] + w[i] - w[j]) / 2.0
            norm = np.hypot(*d)
            if norm == 0:
                continue
            u = d / norm
            c = rhs / norm  # boundary line: x·u = c
            foot = u * c
            t = np.array([-u[1], u[0]])
            big = span * 4
            half = Polygon(
                [foot + t * big, foot + t * big - u * big, foot - t * big - u * big, foot - t * big]
            )
            cell = cell.intersection(half)
            if cell.is_empty:
                break
        cells.append(cell.intersection(local_parent))
    return [shapely.transform(c, lambda xy: xy + origin) for c in cells]


def _parts(geom: BaseGeometry) -> list[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and g.area > _NOISE_M2]


def make_contiguous(cells: list[BaseGeometry], seeds: np.ndarray, parent: BaseGeometry) -> list[BaseGeometry]:
    """Reduce each cell to the piece holding its seed; give other pieces to neighbours.

    Cut-off pieces and any part of ``parent`` left uncovered go to the cell
    sharing the longest boundary with them, so the result still tiles
    ``parent``.
    """
    kept: list[BaseGeometry] = []
    orphans: list[Polygon] = []
    for cell, seed in zip(cells, seeds, strict=True):
        parts = _parts(cell)
        if not parts:
            kept.append(Polygon())
            continue
        pt = Point(seed)
        holding = [q for q in parts if q.intersects(pt)]
        main = holding[0] if holding else max(parts, key=lambda q: q.area)
        kept.append(main)
        orphans.extend(q for q in parts if q is not main)
    covered = shapely.union_all([k for k in kept if not k.is_empty] + orphans)
    orphans.extend(_parts(parent.difference(covered)))
    # Largest first so that small leftovers can attach to pieces already merged.
    for orphan in sorted(orphans, key=lambda q: -q.area):
        if orphan.area <= _NOISE_M2:
            continue
        probe = orphan.buffer(1.0)
        shared = [(k.intersection(probe).area if not k.is_empty else 0.0) for k in kept]
        best = int(np.argmax(shared))
        if shared[best] == 0.0:
            continue
        snapped = shapely.snap(orphan, kept[best], 0.05)
        merged = shapely.union_all([kept[best], snapped])
        kept[best] = _single_if_possible(merged)
    return kept


def _single_if_possible(geom: BaseGeometry) -> BaseGeometry:
    """Drop floating-point crumbs so a merged cell becomes one Polygon when it is one."""
    parts = _parts(geom)
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts) if parts else geom


def lloyd(
    seeds: np.ndarray, parent: BaseGeometry, iterations: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Move seeds towards their cells' centroids to even out cell sizes.

    A centroid outside the parent (a crescent-shaped cell) is replaced by a
    point guaranteed to be inside it.
    """
    seeds = np.asarray(seeds, dtype=float).copy()
    for _ in range(iterations):
        cells = power_cells(seeds, parent)
        for i, cell in enumerate(cells):
            if cell.is_empty:
                continue
            c = cell.centroid
            if not parent.contains(c):
                c = cell.representative_point()
            seeds[i] = (c.x, c.y)
    return seeds


def tessellate(
    parent: BaseGeometry,
    seeds: np.ndarray,
    weights: np.ndarray | None = None,
    relax: int = 0,
    relax_area: BaseGeometry | None = None,
) -> tuple[list[BaseGeometry], np.ndarray]:
    """Cells tiling ``parent``, one contiguous piece per seed where possible.

    Parameters
    ----------
    parent : Polygon or MultiPolygon
        The area to subdivide (metres).
    seeds : ndarray, shape (n, 2)
        Initial seed points inside ``parent``.
    weights : ndarray, optional
        Power weights (m²); only used without relaxation.
    relax : int
        Lloyd iterations; evens out cell sizes so no cell is a sliver.
    relax_area : geometry, optional
        Where the relaxation evens out the cells (e.g. the parent minus the river),
        so that every cell gets its share of dry land; the final cells still
        tile the whole parent.

    Returns
    -------
    cells : list of geometry
        Cells in seed order.
    seeds : ndarray
        The seeds after relaxation (each inside its cell).
    """
    if relax:
        seeds = lloyd(seeds, parent if relax_area is None or relax_area.is_empty else relax_area, relax)
    cells = power_cells(seeds, parent, weights)
    cells = make_contiguous(cells, seeds, parent)
    return cells, seeds
