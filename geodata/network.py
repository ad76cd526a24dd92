"""The walking network: roads as a graph, snapping, walking routes and walking areas.

Built once from the ``roads`` layer and read-only afterwards, so every web worker
builds its own and shares nothing mutable. All lengths are metres in
:data:`geodata.schema.MEASURE_CRS` (EPSG:4545, Gauss-Kruger zone 36 with its
central meridian at 108°E: at Qindu's 108.7°E its scale error is about 5e-5, i.e.
5 cm per kilometre, far below what a walking estimate can tell).

How a point reaches the network
-------------------------------
A resident's position (or a service centre) is rarely on a road centre line. It is
*snapped* to the nearest point **on** the nearest road segment (not to the nearest
junction, which in the middle of a 400 m block may be 200 m away), and the
straight "off-network leg" from the point to that snap point is added to the walk.
The snap point lies on an edge between two junctions (nodes), so a walk leaves it
towards either end.

Routing uses A* with the straight-line distance as heuristic (admissible because a
road is never shorter than the straight line between its ends); walking areas use a
bounded Dijkstra that stops at the walking budget. Both are small heap-based pure
Python loops over precomputed adjacency lists: for one query they touch only the
few hundred junctions within reach, while ``scipy.sparse.csgraph.dijkstra`` pays
for the whole graph on every call (it is still used to build the service tables of
:mod:`geodata.nearest`, where all-nodes answers are wanted).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Point, Polygon

from geodata.cells import SegmentCells
from geodata.schema import MEASURE_CRS, STORAGE_CRS

WALK_SPEED_M_PER_MIN: float = 75.0
"""Walking speed used for every "minutes on foot" figure: 75 m/min = 4.5 km/h.

A relaxed pace suited to older residents (the finder's main users); brisk adults
walk 80–90 m/min, so a time shown is a comfortable upper estimate for them. The UI
states this speed next to every walking time."""

WALK_SPEED = WALK_SPEED_M_PER_MIN
"""Short alias of :data:`WALK_SPEED_M_PER_MIN`."""

NODE_TOLERANCE_M = 0.5
"""Segment ends closer than this share one junction (digitising noise)."""

AREA_BUFFER_M = 40.0
"""Half-width of the band drawn around reached streets in a walking area: roughly
a street plus the building frontage on either side."""

AREA_HOLE_FILL_M2 = 200_000.0
"""Holes smaller than this (a large block, 0.2 km²) inside a walking area are filled:
a block whose surrounding streets are all reached is reached too, through its
entrances and lanes that the road layer does not draw."""

_SNAP_PIECE_M = 25.0
"""Longest piece of road in the snapping index (long segments are cut for it)."""

_SNAP_CELL_M = 30.0
_SNAP_CELL_REACH_M = 200.0
_MAX_SNAP_CELLS = 10_000_000
"""Snap cells over the network's extent: 40 MB of offsets; a city (10x the demo
district) fits, a province does not."""

_SCAN_IN_NUMPY = 24
"""From this many candidate pieces on, a snap measures them with numpy (fixed cost
~15 µs) instead of a Python loop (~1 µs each): points far from any road."""


class Snap(NamedTuple):
    """Where a point meets the walking network (a named tuple: made once per query,
    and a frozen dataclass's ``__init__`` alone costs ~3 µs).

    Attributes
    ----------
    edge : int
        Index of the nearest edge (road segment).
    u, v : int
        Its start and end nodes.
    along_m : float
        Distance along the edge from ``u`` to the snap point.
    length_m : float
        Length of the edge.
    distance_m : float
        Straight off-network leg from the point to the snap point.
    x, y : float
        The point, in EPSG:4545.
    snap_x, snap_y : float
        The snap point on the edge, in EPSG:4545.
    """

    edge: int
    u: int
    v: int
    along_m: float
    length_m: float
    distance_m: float
    x: float
    y: float
    snap_x: float
    snap_y: float

    @property
    def to_u_m(self) -> float:
        """Walk along the edge from the snap point back to ``u``."""
        return self.along_m

    @property
    def to_v_m(self) -> float:
        """Walk along the edge from the snap point on to ``v``."""
        return self.length_m - self.along_m


@dataclass(frozen=True, slots=True)
class Route:
    """A walk between two points along the roads.

    Attributes
    ----------
    walk_m : float
        Length of the whole walk, off-network legs included.
    coords : tuple of (lon, lat)
        The line to draw: start, its snap point, the roads followed (with their
        bends), the end's snap point, the end.
    off_network_m : float
        The two off-network legs together (part of ``walk_m``).
    """

    walk_m: float
    coords: tuple[tuple[float, float], ...]
    off_network_m: float

    @property
    def walk_min(self) -> int:
        """Minutes on foot at :data:`WALK_SPEED_M_PER_MIN`, rounded up."""
        return walk_minutes(self.walk_m)


def walk_minutes(walk_m: float, speed_m_per_min: float = WALK_SPEED_M_PER_MIN) -> int:
    """Whole minutes to walk ``walk_m`` metres, rounded up (a 61 s walk is "2 min")."""
    # The tiny tolerance keeps 1125.0000001 m (float noise) at 15 min, not 16.
    return max(0, math.ceil(walk_m / speed_m_per_min - 1e-9))


class WalkingNetwork:
    """Walkable roads as an undirected graph with geometry, read-only once built.

    Build with :meth:`from_roads`. Nodes are junctions and dead ends; edges are the
    walkable road segments weighted by their length in metres.

    Attributes
    ----------
    node_xy : ndarray, shape (n_nodes, 2)
        Node coordinates in EPSG:4545.
    node_lonlat : ndarray, shape (n_nodes, 2)
        Node coordinates in EPSG:4326.
    edge_u, edge_v : ndarray of int
        End nodes of every edge (oriented as the road was digitised).
    edge_length : ndarray of float
        Edge lengths in metres.
    edge_road_id : ndarray of object
        The ``roads.id`` each edge comes from.
    graph : scipy.sparse.csr_matrix
        Symmetric adjacency matrix (shortest of any parallel edges), for scipy's
        ``csgraph`` routines.
    """

    def __init__(
        self,
        node_xy: np.ndarray,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        edge_coords: np.ndarray,
        edge_offsets: np.ndarray,
        edge_road_id: np.ndarray,
    ) -> None:
        # Private: use from_roads. Everything derived is computed here once. The two
        # pyproj Transformers (~0.2 s each to create) are shared with ServiceIndex;
        # pyproj >= 3.1 gives each thread its own PROJ context, so threads may share them.
        self._to_xy = Transformer.from_crs(STORAGE_CRS, MEASURE_CRS, always_xy=True)
        self._to_lonlat = Transformer.from_crs(MEASURE_CRS, STORAGE_CRS, always_xy=True)
        self.node_xy = _frozen(np.asarray(node_xy, dtype=float))
        lon, lat = self._to_lonlat.transform(self.node_xy[:, 0], self.node_xy[:, 1])
        self.node_lonlat = _frozen(np.column_stack([lon, lat]))
        self.edge_u = _frozen(np.asarray(edge_u, dtype=np.int64))
        self.edge_v = _frozen(np.asarray(edge_v, dtype=np.int64))
        self.edge_road_id = _frozen(np.asarray(edge_road_id, dtype=object))
        # Ragged edge geometry: edge e's vertices are _coords[_offsets[e]:_offsets[e+1]],
        # with cumulative along-edge distances in _cum (same slice).
        self._coords = _frozen(np.asarray(edge_coords, dtype=float))
        self._offsets = _frozen(np.asarray(edge_offsets, dtype=np.int64))
        steps = np.hypot(*np.diff(self._coords, axis=0).T)
        starts = self._offsets[:-1]
        steps[self._offsets[1:-1] - 1] = 0.0  # no step across two edges' vertex runs
        cum = np.concatenate([[0.0], np.cumsum(steps)])
        self._cum = _frozen(cum - np.repeat(cum[starts], np.diff(self._offsets)))
        self.edge_length = _frozen(self._cum[self._offsets[1:] - 1].copy())

        n, m = len(self.node_xy), len(self.edge_u)
        # Incidence lists (all edges, parallels and loops included) as plain Python
        # lists: list indexing is several times faster than numpy scalar indexing
        # inside the pure Python Dijkstra / A* loops.
        ends = np.concatenate([self.edge_u, self.edge_v])
        edge_ids = np.concatenate([np.arange(m), np.arange(m)])
        other = np.concatenate([self.edge_v, self.edge_u])
        order = np.argsort(ends, kind="stable")
        ptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))])
        self._inc_ptr: list[int] = ptr.tolist()
        self._inc_edge: list[int] = edge_ids[order].tolist()
        self._inc_other: list[int] = other[order].tolist()
        self._len_list: list[float] = self.edge_length.tolist()
        self._u_list: list[int] = self.edge_u.tolist()
        self._v_list: list[int] = self.edge_v.tolist()
        self._node_x: list[float] = self.node_xy[:, 0].tolist()
        self._node_y: list[float] = self.node_xy[:, 1].tolist()
        self.graph = self._csr(n, m)
        self._build_snap_index()

    # --- construction ---------------------------------------------------------------

    @classmethod
    def from_roads(cls, roads: gpd.GeoDataFrame, tolerance_m: float = NODE_TOLERANCE_M) -> WalkingNetwork:
        """Build the network from the ``roads`` layer.

        Parameters
        ----------
        roads : GeoDataFrame
            LineStrings split at junctions, with ``id`` and ``walkable`` columns, in
            any CRS (EPSG:4326 as stored). Rows with ``walkable`` false, empty or
            null geometries are left out; MultiLineStrings are split into parts.
        tolerance_m : float
            Segment ends closer than this become one node.

        Returns
        -------
        WalkingNetwork
        """
        if roads.crs is None:
            raise ValueError("roads have no CRS")
        if "walkable" in roads:
            roads = roads[roads["walkable"].fillna(False).astype(bool)]
        roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty].reset_index(drop=True)
        projected = roads.geometry.to_crs(MEASURE_CRS)
        parts = projected.explode(index_parts=False)
        parts = parts[parts.geom_type == "LineString"]
        ids = roads["id"].to_numpy()[parts.index.to_numpy()] if "id" in roads else parts.index.to_numpy()
        geoms = parts.to_numpy()
        coords, part_of = shapely.get_coordinates(geoms, return_index=True)
        counts = np.bincount(part_of, minlength=len(geoms))
        keep = counts >= 2
        if not keep.all():  # degenerate one-point lines cannot carry a walk
            coords = coords[keep[part_of]]
            geoms, ids, counts = geoms[keep], ids[keep], counts[keep]
        if len(geoms) == 0:
            raise ValueError("no walkable road segments")
        offsets = np.concatenate([[0], np.cumsum(counts)])
        first, last = offsets[:-1], offsets[1:] - 1

        # Nodes: cluster segment ends within the tolerance (union-find via connected
        # components of the "close pairs" graph). Rounding to a 0.5 m grid instead
        # would split two ends 1 cm apart that straddle a grid line.
        ends = np.concatenate([coords[first], coords[last]])
        pairs = cKDTree(ends).query_pairs(tolerance_m, output_type="ndarray")
        k = len(ends)
        link = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k))
        _, label = connected_components(link, directed=False)
        n_nodes = int(label.max()) + 1
        node_xy = np.zeros((n_nodes, 2))
        np.add.at(node_xy, label, ends)
        node_xy /= np.bincount(label, minlength=n_nodes)[:, None]
        m = len(geoms)
        edge_u, edge_v = label[:m], label[m:]
        # Edge geometry ends are moved onto their node so drawn routes join up.
        coords = coords.copy()
        coords[first] = node_xy[edge_u]
        coords[last] = node_xy[edge_v]
        return cls(node_xy, edge_u, edge_v, coords, offsets, ids)

    def _csr(self, n: int, m: int) -> csr_matrix:
        u = np.concatenate([self.edge_u, self.edge_v])
        v = np.concatenate([self.edge_v, self.edge_u])
        w = np.concatenate([self.edge_length, self.edge_length])
        loop = u == v
        u, v, w = u[~loop], v[~loop], w[~loop]
        # csr_matrix would *sum* duplicate (parallel) entries: keep the shortest.
        order = np.lexsort((w, v, u))
        u, v, w = u[order], v[order], w[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        return csr_matrix((w[first], (u[first], v[first])), shape=(n, n))

    def _build_snap_index(self) -> None:
        # A k-d tree over the midpoints of short road pieces (segments cut to at most
        # _SNAP_PIECE_M). The piece nearest the query is among those whose midpoint
        # lies within (nearest midpoint distance + half a piece): exact, and about 3x
        # faster per query than shapely's STRtree.query_nearest plus Point creation.
        a = self._coords[:-1]
        b = self._coords[1:]
        valid = np.ones(len(a), dtype=bool)
        valid[self._offsets[1:-1] - 1] = False  # pairs that straddle two edges
        edge_of_vertex = np.repeat(np.arange(len(self.edge_u)), np.diff(self._offsets))[:-1]
        a, b, edge, along0 = a[valid], b[valid], edge_of_vertex[valid], self._cum[:-1][valid]
        seg_len = np.hypot(*(b - a).T)
        cuts = np.maximum(1, np.ceil(seg_len / _SNAP_PIECE_M)).astype(np.int64)
        rep = np.repeat(np.arange(len(a)), cuts)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(cuts) - cuts, cuts)
        f0 = (j / cuts[rep])[:, None]
        f1 = ((j + 1) / cuts[rep])[:, None]
        d = (b - a)[rep]
        pa = a[rep] + f0 * d
        pb = a[rep] + f1 * d
        pd = pb - pa
        len2 = np.einsum("ij,ij->i", pd, pd)
        # One row per piece: (ax, ay, dx, dy, len2). snap_xy takes its handful of
        # rows with one `take(...).tolist()` (~2 µs); per-piece Python lists were
        # ~1 µs faster but cost ~250 bytes a piece: 650 MB at 100x the demo.
        self._pieces = _frozen(np.column_stack([pa, pd, len2]))
        self._pedge = _frozen(edge[rep].astype(np.int64))
        self._palong = _frozen(along0[rep] + f0[:, 0] * seg_len[rep])
        self._piece_half = float(np.sqrt(len2.max(initial=0.0))) / 2 + 1e-9
        self._piece_tree = cKDTree((pa + pb) / 2)
        # Near the roads (where residents ask from) a snap is a cell look-up and a
        # loop over ~7 pieces; elsewhere, and on networks too large for the cells'
        # memory (a province), the ball query below (~4x slower, still ~70 µs).
        extent = np.ptp(np.vstack([pa, pb]), axis=0) + 2 * _SNAP_CELL_REACH_M if len(pa) else np.zeros(2)
        cells = float(np.prod(np.ceil(extent / _SNAP_CELL_M)))
        self._snap_cells = (
            SegmentCells.build(pa, pd, size=_SNAP_CELL_M, reach=_SNAP_CELL_REACH_M, max_cells=_MAX_SNAP_CELLS)
            if len(pa) and cells <= _MAX_SNAP_CELLS
            else None
        )

    # --- basic facts ----------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    def to_xy(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        """EPSG:4326 lon/lat to EPSG:4545 x/y in metres (floats or arrays)."""
        return self._to_xy.transform(lon, lat)

    def to_lonlat(self, x: Any, y: Any) -> tuple[Any, Any]:
        """EPSG:4545 x/y to EPSG:4326 lon/lat (floats or arrays)."""
        return self._to_lonlat.transform(x, y)

    def edge_xy(self, edge: int) -> np.ndarray:
        """Vertices of one edge in EPSG:4545, from ``u`` to ``v``."""
        return self._coords[self._offsets[edge] : self._offsets[edge + 1]]

    # --- snapping -------------------------------------------------------------------

    def snap(self, lon: float, lat: float) -> Snap:
        """Snap a lon/lat point to the nearest point on the nearest walkable edge."""
        x, y = self._to_xy.transform(lon, lat)
        return self.snap_xy(x, y)

    def snap_xy(self, x: float, y: float) -> Snap:
        """Snap an EPSG:4545 point to the nearest point on the nearest walkable edge."""
        # The few candidates are scanned in plain Python, cheaper than a dozen numpy
        # calls on a handful of values.
        cells = self._snap_cells
        found = cells.candidates(x, y) if cells is not None else None
        if found is not None:
            best = self._nearest_piece_loop(x, y, found)
            dist = math.sqrt(best[0])
        else:
            best, dist = self._nearest_piece_search(x, y)
        _, piece, t, cx, cy, _ = best
        edge = int(self._pedge[piece])
        length = self._len_list[edge]
        along = min(length, float(self._palong[piece]) + t * math.sqrt(best[5]))
        return Snap(
            edge, self._u_list[edge], self._v_list[edge], along, length, dist, float(x), float(y), cx, cy
        )

    def _nearest_piece_loop(
        self, x: float, y: float, found: list[int]
    ) -> tuple[float, int, float, float, float, float]:
        """(squared distance, piece, t, x, y, piece length squared) of the nearest of
        ``found`` (ascending: ties go to the lowest piece, deterministically)."""
        best = (math.inf, -1, 0.0, 0.0, 0.0, 0.0)
        for i, (ax, ay, dx, dy, len2) in zip(found, self._pieces.take(found, axis=0).tolist(), strict=True):
            px, py = x - ax, y - ay
            t = (px * dx + py * dy) / len2 if len2 > 0 else 0.0
            t = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
            cx, cy = ax + t * dx, ay + t * dy
            d2 = (cx - x) ** 2 + (cy - y) ** 2
            if d2 < best[0]:
                best = (d2, i, t, cx, cy, len2)
        return best

    def _nearest_piece_search(
        self, x: float, y: float
    ) -> tuple[tuple[float, int, float, float, float, float], float]:
        """The nearest piece by ball queries around the point, and its distance."""
        # Ball query around the point, widened until it provably holds the nearest
        # piece: a piece at distance d has its midpoint within d + half a piece, so
        # once the best distance found plus that half fits in the radius, no piece
        # outside can be nearer. One ball query (~9 µs) usually suffices, where a
        # k-nearest query costs ~27 µs.
        half = self._piece_half
        radius = 4 * half
        while True:
            found = self._piece_tree.query_ball_point((x, y), radius)
            if not found:  # farther from the roads: widen (a k-nearest query costs ~4 ball queries)
                radius *= 2
                continue
            if len(found) >= _SCAN_IN_NUMPY:
                best = self._nearest_piece_numpy(x, y, found)
            else:
                best = self._nearest_piece_loop(x, y, sorted(found))
            dist = math.sqrt(best[0])
            if dist + half <= radius:
                return best, dist
            radius = dist + half + 1e-6

    def _nearest_piece_numpy(
        self, x: float, y: float, found: list[int]
    ) -> tuple[float, int, float, float, float, float]:
        """The same measure as snap_xy's loop, for many candidates at once."""
        i = np.sort(np.asarray(found, dtype=np.int64))
        rows = self._pieces[i]
        a, d, len2 = rows[:, :2], rows[:, 2:4], rows[:, 4]
        safe = np.where(len2 > 0, len2, 1.0)
        t = np.where(len2 > 0, ((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / safe, 0.0)
        t = np.clip(t, 0.0, 1.0)
        c = a + t[:, None] * d
        d2 = (c[:, 0] - x) ** 2 + (c[:, 1] - y) ** 2
        j = int(np.argmin(d2))  # the first minimum: the lowest piece, as in the loop
        return float(d2[j]), int(i[j]), float(t[j]), float(c[j, 0]), float(c[j, 1]), float(len2[j])

    def snap_many_xy(self, xy: np.ndarray) -> list[Snap]:
        """Snap several EPSG:4545 points (shape (n, 2))."""
        return [self.snap_xy(float(x), float(y)) for x, y in np.asarray(xy, dtype=float)]

    # --- shortest paths ---------------------------------------------------------------

    def _bounded_dijkstra(self, snap: Snap, cutoff: float) -> dict[int, float]:
        """Network distance from a snapped point (leg included) to every node within ``cutoff``."""
        dist: dict[int, float] = {}
        heap = [(snap.distance_m + snap.to_u_m, snap.u), (snap.distance_m + snap.to_v_m, snap.v)]
        heapq.heapify(heap)
        ptr, inc_edge, inc_other, length = self._inc_ptr, self._inc_edge, self._inc_other, self._len_list
        while heap:
            d, n = heapq.heappop(heap)
            if n in dist or d > cutoff:
                continue
            dist[n] = d
            for i in range(ptr[n], ptr[n + 1]):
                o = inc_other[i]
                if o not in dist:
                    nd = d + length[inc_edge[i]]
                    if nd <= cutoff:
                        heapq.heappush(heap, (nd, o))
        return dist

    def node_distances(self, lon: float, lat: float, cutoff_m: float = math.inf) -> dict[int, float]:
        """Walking distance from a point to every node within ``cutoff_m`` (off-network leg included).

        Parameters
        ----------
        lon, lat : float
            The start, EPSG:4326.
        cutoff_m : float
            Nodes farther than this on foot are left out.

        Returns
        -------
        dict of int to float
            Node index to metres.
        """
        return self._bounded_dijkstra(self.snap(lon, lat), cutoff_m)

    def _astar(self, a: Snap, b: Snap) -> tuple[float, list[int], list[int], bool, bool] | None:
        """Shortest walk between two snap points along the network, legs excluded.

        Returns the length, the node sequence and the edges between them, whether the
        walk leaves ``a``'s edge by its ``u`` end and enters ``b``'s edge by its ``u``
        end (empty node list: straight along a shared edge); None when ``b`` is
        unreachable.
        """
        best = math.inf
        best_end = -1
        if a.edge == b.edge:  # straight along the shared edge
            best = abs(a.along_m - b.along_m)
        tx, ty = b.snap_x, b.snap_y
        node_x, node_y = self._node_x, self._node_y
        tail = {b.u: b.to_u_m}
        tail[b.v] = min(tail.get(b.v, math.inf), b.to_v_m)
        g: dict[int, float] = {}
        pred: dict[int, tuple[int, int]] = {}
        heap: list[tuple[float, float, int, int, int]] = []
        # A start entry carries pred -1 and "edge" -1 (left via u) or -2 (left via v):
        # on a loop edge (u == v) only that tells which way the walk set off.
        for node, d0, side in ((a.u, a.to_u_m, -1), (a.v, a.to_v_m, -2)):
            h = math.hypot(node_x[node] - tx, node_y[node] - ty)
            heapq.heappush(heap, (d0 + h, d0, node, -1, side))
        ptr, inc_edge, inc_other, length = self._inc_ptr, self._inc_edge, self._inc_other, self._len_list
        while heap:
            f, d, n, p, e = heapq.heappop(heap)
            if f >= best:  # the heuristic is a lower bound: nothing left can beat best
                break
            if n in g:
                continue
            g[n] = d
            pred[n] = (p, e)
            if n in tail and d + tail[n] < best:
                best, best_end = d + tail[n], n
            for i in range(ptr[n], ptr[n + 1]):
                o = inc_other[i]
                if o not in g:
                    nd = d + length[inc_edge[i]]
                    h = math.hypot(node_x[o] - tx, node_y[o] - ty)
                    heapq.heappush(heap, (nd + h, nd, o, n, inc_edge[i]))
        if best == math.inf:
            return None
        if best_end < 0:
            return best, [], [], True, True
        nodes, edges = [best_end], []
        while True:
            p, e = pred[nodes[-1]]
            if p < 0:
                leaves_by_u = e == -1
                break
            nodes.append(p)
            edges.append(e)
        nodes.reverse()
        edges.reverse()
        # On a loop edge both ends are one node: enter by the nearer side.
        enters_by_u = b.to_u_m <= b.to_v_m if b.u == b.v else best_end == b.u
        return best, nodes, edges, leaves_by_u, enters_by_u

    def _edge_part(self, edge: int, start: float, end: float) -> np.ndarray:
        """Vertices of ``edge`` from along-distance ``start`` to ``end`` (reversed if end < start)."""
        lo, hi = self._offsets[edge], self._offsets[edge + 1]
        xy, cum = self._coords[lo:hi], self._cum[lo:hi]
        a, b = min(start, end), max(start, end)
        inner = xy[(cum > a) & (cum < b)]
        pa = _interpolate(xy, cum, a)
        pb = _interpolate(xy, cum, b)
        part = np.vstack([pa, inner, pb])
        return part[::-1] if end < start else part

    def route(self, from_lonlat: Sequence[float], to_lonlat: Sequence[float]) -> Route | None:
        """Shortest walk between two points, drawn along the roads.

        Parameters
        ----------
        from_lonlat, to_lonlat : (lon, lat)
            Start and end in EPSG:4326.

        Returns
        -------
        Route or None
            None when no walk joins the two (separate network components).
        """
        a = self.snap(*from_lonlat)
        b = self.snap(*to_lonlat)
        return self.route_snaps(a, b)

    def route_snaps(self, a: Snap, b: Snap) -> Route | None:
        """:meth:`route` between two already snapped points."""
        found = self._astar(a, b)
        if found is None:
            return None
        network_m, nodes, edges, leaves_by_u, enters_by_u = found
        pieces = [np.array([[a.x, a.y]])]
        if not nodes:
            pieces.append(self._edge_part(a.edge, a.along_m, b.along_m))
        else:
            pieces.append(self._edge_part(a.edge, a.along_m, 0.0 if leaves_by_u else a.length_m))
            for node, edge in zip(nodes[:-1], edges, strict=True):
                forward = int(self.edge_u[edge]) == node
                xy = self.edge_xy(edge)
                pieces.append(xy if forward else xy[::-1])
            pieces.append(self._edge_part(b.edge, 0.0 if enters_by_u else b.length_m, b.along_m))
        pieces.append(np.array([[b.x, b.y]]))
        xy = np.vstack(pieces)
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-6, axis=1)  # drop repeated vertices
        xy = xy[keep]
        lon, lat = self._to_lonlat.transform(xy[:, 0], xy[:, 1])
        legs = a.distance_m + b.distance_m
        return Route(
            walk_m=network_m + legs,
            coords=tuple(zip(np.round(lon, 7).tolist(), np.round(lat, 7).tolist(), strict=True)),
            off_network_m=legs,
        )

    # --- walking areas ----------------------------------------------------------------

    def walk_area(
        self, lon: float, lat: float, minutes: float, speed_m_per_min: float = WALK_SPEED
    ) -> Polygon:
        """The area reachable on foot within ``minutes`` (an isochrone), in EPSG:4326.

        A bounded Dijkstra from the snapped start finds every node within the
        budget; each edge is then covered from either end as far as the remaining
        budget reaches (so edges at the boundary count in part), and the reached
        pieces are buffered by :data:`AREA_BUFFER_M` and merged.

        Parameters
        ----------
        lon, lat : float
            The start, EPSG:4326.
        minutes : float
            Walking time.
        speed_m_per_min : float
            Walking speed, :data:`WALK_SPEED_M_PER_MIN` by default.

        Returns
        -------
        shapely.Polygon
            In EPSG:4326. When the start is farther from any road than the budget,
            the disc it can reach straight across.
        """
        budget = max(0.0, float(minutes) * float(speed_m_per_min))
        s = self.snap(lon, lat)
        start = Point(s.x, s.y)
        if s.distance_m >= budget:
            return self._area_to_lonlat(start.buffer(max(budget, AREA_BUFFER_M), quad_segs=8), start)
        dist = self._bounded_dijkstra(s, budget)
        intervals: dict[int, list[tuple[float, float]]] = {}
        left = budget - s.distance_m
        intervals[s.edge] = [(max(0.0, s.along_m - left), min(s.length_m, s.along_m + left))]
        ptr, inc_edge = self._inc_ptr, self._inc_edge
        edge_u, edge_v, length = self._u_list, self._v_list, self._len_list
        for n, d in dist.items():
            rest = budget - d
            for i in range(ptr[n], ptr[n + 1]):
                e = inc_edge[i]
                L = length[e]
                iv = intervals.setdefault(e, [])
                if edge_u[e] == n:
                    iv.append((0.0, min(L, rest)))
                if edge_v[e] == n:
                    iv.append((max(0.0, L - rest), L))
        lines = [np.array([[s.x, s.y], [s.snap_x, s.snap_y]])]
        for e, iv in intervals.items():
            for lo, hi in _merge_intervals(iv):
                lines.append(self._edge_part(e, lo, hi))
        # The buffer is the cost (the Dijkstra is ~0.1 ms): one buffer of the whole
        # multi-line beats buffering pieces and unioning them; simplifying the lines
        # by 5 m first and 2 segments per quarter circle (corners off by at most 3 m
        # at 40 m) halve it again, with no difference visible at street scale.
        lens = np.array([len(xy) for xy in lines])
        pieces = shapely.linestrings(np.vstack(lines), indices=np.repeat(np.arange(len(lines)), lens))
        lines_m = shapely.simplify(shapely.multilinestrings(pieces), 5.0)
        area = shapely.buffer(lines_m, AREA_BUFFER_M, quad_segs=2)
        return self._area_to_lonlat(area, start)

    def _area_to_lonlat(self, area: Polygon | MultiPolygon, start: Point) -> Polygon:
        if isinstance(area, MultiPolygon):  # only from float noise: keep the part with the start
            area = next((p for p in area.geoms if p.intersects(start)), max(area.geoms, key=lambda p: p.area))
        holes = [r for r in area.interiors if Polygon(r).area >= AREA_HOLE_FILL_M2]
        area = Polygon(area.exterior, holes).simplify(2.0)
        to_lonlat = self._to_lonlat
        return shapely.transform(area, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))

    # --- many sources (service tables) ------------------------------------------------

    def reach_from_snaps(
        self,
        snaps: Sequence[Snap],
        limit_m: float = math.inf,
        keep_nearest: int | None = None,
        max_cells: int = 8_000_000,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (source, node, walking metres) pair no farther apart than ``limit_m``.

        Each point joins the graph as a virtual node linked to its edge's two ends
        (off-network leg plus the along-edge part), so one scipy Dijkstra answers for
        many points at once (see :meth:`searches`).

        Parameters
        ----------
        snaps : sequence of Snap
            The sources (``x, y`` is the source itself: the walk starts there).
        limit_m : float
            Pairs farther apart than this are left out (infinite: every reachable
            node).
        keep_nearest : int, optional
            Keep only pairs that can be among each node's ``keep_nearest`` nearest
            sources (ties included), not every pair.
        max_cells : int
            Cap on one Dijkstra call's dense distance matrix (memory).

        Returns
        -------
        source, node : ndarray of int64
            Index in ``snaps`` and node index of each pair.
        metres : ndarray of float64
            Walking distance of each pair.
        """
        c = len(snaps)
        if c == 0 or self.n_nodes == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        links = (
            np.fromiter((s.u for s in snaps), np.int64, c),
            np.fromiter((s.v for s in snaps), np.int64, c),
            np.fromiter((s.distance_m + s.to_u_m for s in snaps), float, c),
            np.fromiter((s.distance_m + s.to_v_m for s in snaps), float, c),
        )
        origin_xy = np.array([(s.x, s.y) for s in snaps], dtype=float).reshape(-1, 2)
        found = []
        for part, nodes, d in self.searches(origin_xy, limit_m, links=links, max_cells=max_cells):
            if keep_nearest and len(part) > keep_nearest:
                # Per node, only this chunk's nearest few (and any tied with the last)
                # can be among the node's nearest overall.
                kth = np.partition(d, keep_nearest - 1, axis=0)[keep_nearest - 1]
                d = np.where(d <= kth, d, np.inf)
            row, col = np.nonzero(np.isfinite(d))
            found.append((part[row], nodes[col], d[row, col]))
        return tuple(np.concatenate(col) for col in zip(*found, strict=True))  # type: ignore[return-value]

    def searches(
        self,
        origin_xy: np.ndarray,
        limit_m: float = math.inf,
        links: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
        origin_nodes: np.ndarray | None = None,
        max_cells: int = 8_000_000,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Bounded shortest-path searches from many origins, a chunk at a time.

        With a finite limit, origins are taken in spatial blocks and each block
        searches only the part of the network within ``limit_m`` of its origins in a
        straight line (a walk is never shorter than the straight line), so the cost
        grows with the data, not with data × network.

        Parameters
        ----------
        origin_xy : ndarray, shape (n, 2)
            Where each origin is (EPSG:4545).
        limit_m : float
            Search radius on foot.
        links : (u, v, to_u, to_v), optional
            Origins off the network (snapped points): each joins the graph as a
            virtual node linked to ``u`` and ``v`` at those costs. The links are one
            way, so no walk passes *through* another origin.
        origin_nodes : ndarray of int, optional
            Origins on the network: their node indices (instead of ``links``).
        max_cells : int
            Cap on one Dijkstra call's dense distance matrix (memory).

        Yields
        ------
        part : ndarray of int64
            Indices of this chunk's origins.
        nodes : ndarray of int64
            The nodes searched (ascending).
        metres : ndarray, shape (len(part), len(nodes))
            Walking distances, inf beyond the limit or unreachable.
        """
        n, c = self.n_nodes, len(origin_xy)
        if math.isfinite(limit_m):
            # Origins in blocks two limits wide; a block's search area (its origins'
            # extent plus the limit) then lies within its 3 x 3 neighbourhood of blocks.
            size = 2 * limit_m
            groups = _blocks(np.floor(origin_xy / size).astype(np.int64))
            node_blocks = dict(_blocks(np.floor(self.node_xy / size).astype(np.int64)))
        else:
            groups = [((0, 0), np.arange(c))]
        for (bx, by), group in groups:
            if math.isfinite(limit_m):
                lo = origin_xy[group].min(axis=0) - limit_m
                hi = origin_xy[group].max(axis=0) + limit_m
                near = [node_blocks.get((bx + i, by + j)) for i in (-1, 0, 1) for j in (-1, 0, 1)]
                near_nodes = np.sort(np.concatenate([b for b in near if b is not None] or [_NO_NODES]))
                xy = self.node_xy[near_nodes]
                nodes = near_nodes[((xy >= lo) & (xy <= hi)).all(axis=1)]
                graph = self.graph[nodes][:, nodes]
            else:
                nodes = np.arange(n)
                graph = self.graph
            local = np.full(n, -1, dtype=np.int64)
            local[nodes] = np.arange(len(nodes))
            m = len(nodes)
            step = max(1, max_cells // (m + 1))
            for start in range(0, len(group), step):
                part = group[start : start + step]
                if links is None:
                    assert origin_nodes is not None
                    d = dijkstra(graph, directed=True, indices=local[origin_nodes[part]], limit=limit_m)
                else:
                    d = self._search_from_links(graph, local, part, links, limit_m)
                yield part, nodes, d

    @staticmethod
    def _search_from_links(
        graph: csr_matrix,
        local: np.ndarray,
        part: np.ndarray,
        links: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        limit_m: float,
    ) -> np.ndarray:
        su, sv, wu, wv = links
        m, g = graph.shape[0], len(part)
        virt = m + np.arange(g)
        src = np.concatenate([virt, virt])
        dst = np.concatenate([local[su[part]], local[sv[part]]])
        w = np.concatenate([wu[part], wv[part]])
        ok = (dst >= 0) & (w <= limit_m)  # an end outside the search area is beyond the limit
        coo = graph.tocoo()
        # A point exactly on a junction gives a zero weight: scipy's csgraph counts
        # explicitly stored zeros in a sparse matrix as edges, so it stays a link.
        aug = csr_matrix(
            (
                np.concatenate([coo.data, w[ok]]),
                (np.concatenate([coo.row, src[ok]]), np.concatenate([coo.col, dst[ok]])),
            ),
            shape=(m + g, m + g),
        )
        return dijkstra(aug, directed=True, indices=virt, limit=limit_m)[:, :m]


_NO_NODES = np.zeros(0, dtype=np.int64)


def _blocks(block: np.ndarray) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Indices grouped by their (column, row) block, each group ascending."""
    if len(block) == 0:
        return []
    order = np.lexsort((np.arange(len(block)), block[:, 1], block[:, 0]))
    key = block[order]
    cuts = np.flatnonzero((key[1:] != key[:-1]).any(axis=1)) + 1
    bounds = zip([0, *cuts], [*cuts, len(order)], strict=True)
    return [((int(key[a, 0]), int(key[a, 1])), order[a:b]) for a, b in bounds]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _interpolate(xy: np.ndarray, cum: np.ndarray, at: float) -> np.ndarray:
    at = min(max(at, 0.0), float(cum[-1]))
    return np.array([np.interp(at, cum, xy[:, 0]), np.interp(at, cum, xy[:, 1])])


def _merge_intervals(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(i for i in intervals if i[1] >= i[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


__all__ = [
    "AREA_BUFFER_M",
    "NODE_TOLERANCE_M",
    "WALK_SPEED",
    "WALK_SPEED_M_PER_MIN",
    "Route",
    "Snap",
    "WalkingNetwork",
    "walk_minutes",
]
